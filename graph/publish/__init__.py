"""Publishing: the dumps (`dumps`), the catalogue — VoID and DCAT-AP.de in one place (`catalogue`), the
SPARQL service description, the ontology's documentation (`ontology_docs`), `kg publish` to an external
store (`upload`), `kg viz` (`viz`) and synthetic graphs for benchmarks (`synthetic`)."""
