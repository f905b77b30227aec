"""The path of a build: data files → checked statements → a filled store → dumps and catalogue.

- `validate_inputs` (`kg validate`): parse every input (`graph.load`) and check it against the shapes;
- `open_knowledge_store` (`kg serve`, `kg query`, …): the store the settings name — an external endpoint,
  or the embedded store filled from the inputs with the derived shortcuts and the dataset's own
  description in the meta graph (reused as it is when its input fingerprint is unchanged);
- `build` (`kg build`): validate, fill an in-memory store, write the dumps (`graph.publish.dumps`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.faults import checkpoint
from graph.load.derive import derived_statements
from graph.load.files import read_triples, to_rdflib
from graph.load.inputs import fingerprint_inputs, input_files, parse_inputs
from graph.load.validation import Violation, validate_graph
from graph.publish.catalogue import Distribution, dataset_description, with_publisher
from graph.publish.dumps import DUMPS, BuildError, write_dumps
from graph.store import GRAPH_NAMES, INPUT_FINGERPRINT, KnowledgeStore, graph_iri
from graph.store.embedded import EmbeddedBackend, open_disk_store, unusable_store
from graph.store.remote import connect_endpoint

@dataclass(frozen=True)
class ValidationReport:
    """The outcome of checking the inputs: the parsed statements and what breaks the shapes."""

    quads_by_graph: dict[str, list[ox.Quad]]
    violations: list[Violation]

    @property
    def conforms(self) -> bool:
        return not any(v.severity == "Violation" for v in self.violations)


def open_store(settings: Settings, quads_by_graph: dict[str, list[ox.Quad]] | None = None) -> KnowledgeStore:
    """Load every input into a store (in memory, or on disk at `settings.store`).

    An on-disk store whose recorded input fingerprint equals the current one is reused as it is.
    `quads_by_graph` lets the caller pass statements it has already parsed (and validated).
    """
    fingerprint = fingerprint_inputs(settings)
    meta = ox.NamedNode(graph_iri(settings.base, "meta"))
    if settings.store is not None:
        store = open_disk_store(settings.store)
        try:
            recorded = [q.object.value for q in store.quads_for_pattern(None, INPUT_FINGERPRINT, None, meta)]
            if recorded == [fingerprint]:
                return KnowledgeStore(settings, EmbeddedBackend(store, settings.store), fingerprint, reused=True)
            store.clear()
        except (OSError, RuntimeError) as exc:
            raise unusable_store(settings.store, exc) from None
    else:
        store = ox.Store()
    if quads_by_graph is None:
        quads_by_graph = parse_inputs(settings)
    for quads in quads_by_graph.values():
        store.bulk_extend(quads)
    checkpoint("store:loading")  # the fingerprint is written last: a store killed before it is rebuilt
    data = ox.NamedNode(graph_iri(settings.base, "data"))
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, data) for t in derived_statements(store))
    kstore = KnowledgeStore(settings, EmbeddedBackend(store, settings.store), fingerprint)
    description = dataset_description(with_publisher(settings, kstore), kstore.triple_counts(), fingerprint)
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, meta) for t in description)
    store.add(ox.Quad(ox.NamedNode(settings.base + "dataset"), INPUT_FINGERPRINT, ox.Literal(fingerprint), meta))
    if settings.store is not None:
        store.flush()
    return kstore



def open_knowledge_store(settings: Settings) -> KnowledgeStore:
    """The store the settings name: the external endpoint when `endpoint` is set, else the embedded one."""
    if settings.endpoint:
        return connect_endpoint(settings)
    return open_store(settings)


def validate_inputs(settings: Settings, paths: Sequence[Path] = (), lang: str = "en") -> ValidationReport:
    """Parse the inputs (DataFileError on syntax errors) and check them against the SHACL shapes.

    With `paths`, those files are checked as the instance data instead of the configured data folder.
    """
    if paths:
        by_graph: dict[str, list[ox.Quad]] = {}
        for path, name in input_files(settings):
            if name != "data":
                by_graph.setdefault(name, []).extend(read_triples(path, ox.NamedNode(graph_iri(settings.base, name))))
        data = ox.NamedNode(graph_iri(settings.base, "data"))
        by_graph["data"] = [q for p in paths for q in read_triples(Path(p), data)]
    else:
        by_graph = parse_inputs(settings)
    union = to_rdflib([q for quads in by_graph.values() for q in quads])
    return ValidationReport(by_graph, validate_graph(union, lang=lang))


def build(settings: Settings, out: Path) -> tuple[ValidationReport, list[Distribution]]:
    """Validate, then load and write the dumps. Nothing is written when the inputs are invalid."""
    report = validate_inputs(settings)
    if not report.conforms:
        return report, []
    kstore = open_store(replace(settings, store=None), report.quads_by_graph)
    try:
        return report, write_dumps(kstore, out)
    finally:
        kstore.close()


__all__ = ["DUMPS", "BuildError", "GRAPH_NAMES", "ValidationReport", "build", "open_knowledge_store", "open_store",
           "validate_inputs", "write_dumps"]
