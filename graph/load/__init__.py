"""Loading: reading RDF files (`files`), checking them against the shapes (`validation`), the shortcuts
derived from the n-ary data (`derive`), the input files and their fingerprint (`inputs`), and
spreadsheets ⇄ statements (`spreadsheets`). Only this package opens RDF files."""
