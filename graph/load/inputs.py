"""The files that go into the store, their fingerprint, and parsing them into the quads of their graphs."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox

from graph import __version__
from graph.config import Settings
from graph.load.files import read_triples
from graph.store.backend import graph_iri
from ontology import ONTOLOGY_FILE, SDG_FILE, VOCABULARY_FILE


def input_files(settings: Settings) -> list[tuple[Path, str]]:
    """Every file that goes into the store, with the short name of its graph (the context layer's files,
    graph.context, last: `context`)."""
    files = [(ONTOLOGY_FILE, "ontology"), (VOCABULARY_FILE, "vocab"), (SDG_FILE, "sdg")]
    return (files + [(path, "data") for path in settings.data_files()]
            + [(path, "context") for path in settings.context_files()])


# The settings graph.publish.catalogue.dataset_description reads: a change must not reuse a stale store.
DESCRIPTION_SETTINGS = ("title_de", "title_en", "publisher", "publisher_url", "licence", "modified", "issued")


def fingerprint_inputs(settings: Settings) -> str:
    """A hash of the software version, the base IRI, the settings the dataset's description in the meta
    graph is made from (titles, publisher, licence, dates) and every input file's name and bytes."""
    digest = hashlib.sha256(f"hki {__version__}\n{settings.base}\n".encode())
    for name in DESCRIPTION_SETTINGS:
        digest.update(f"{name}={getattr(settings, name)}\n".encode())
    for path, name in input_files(settings):
        digest.update(f"{name} {path.name}\n".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()



def parse_inputs(settings: Settings) -> dict[str, list[ox.Quad]]:
    """Parse every input file into the quads of its named graph (DataFileError names file:line)."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for path, name in input_files(settings):
        by_graph.setdefault(name, []).extend(read_triples(path, ox.NamedNode(graph_iri(settings.base, name))))
    return by_graph
