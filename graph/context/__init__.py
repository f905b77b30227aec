"""The context layer: third-party open data about the world around the city (Wikidata's twin-city network).

It lives in its own named graph, `<base>graph/context`, loaded from the N-Triples files of the
`context_dir` setting (default `<data_dir>/context`), and never passes as the city's own facts:

- `importer`: WDQS answers (SPARQL JSON, CSV) and the TSV pair of the shared extract → sorted N-Triples;
- `query`: the Wikidata Query Service query and `kg context fetch` (admin only, never the server);
- `report`: reconciliation with the curated data, worded as questions for staff to check;
- `init`: a new city's data folder started from the context (`kg init`).
"""
