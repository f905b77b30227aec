"""The path of a build: data files → checked statements → a filled store → dumps and catalogue.

- `validate_inputs` (`kg validate`): parse every input (`graph.load`) and check it against the shapes;
- `open_knowledge_store` (`kg serve`, `kg query`, …): the store the settings name — an external endpoint,
  or the embedded store filled from the inputs with the derived shortcuts and the dataset's own
  description in the meta graph (reused as it is when its input fingerprint is unchanged);
- `build` (`kg build`): validate, fill an in-memory store, write the dumps (`graph.publish.dumps`).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings
from graph.faults import checkpoint
from graph.load.derive import derived_statements
from graph.load.files import load_file, read_triples, to_rdflib
from graph.load.inputs import fingerprint_inputs, input_files, parse_inputs
from graph.load.staging import StagedInputs
from graph.load.validation import Violation, validate_graph
from graph.publish.catalogue import Distribution, dataset_description, with_publisher
from graph.publish.dumps import DUMPS, BuildError, write_dumps
from graph.store import GRAPH_NAMES, INPUT_FINGERPRINT, KnowledgeStore, StoreError, graph_iri
from graph.store.embedded import EmbeddedBackend, open_disk_store, open_read_only_store, unusable_store

@dataclass(frozen=True)
class ValidationReport:
    """The outcome of checking the inputs: the parsed statements and what breaks the shapes."""

    quads_by_graph: dict[str, list[ox.Quad]]
    violations: list[Violation]

    @property
    def conforms(self) -> bool:
        return not any(v.severity == "Violation" for v in self.violations)


def open_store(settings: Settings, quads_by_graph: dict[str, list[ox.Quad]] | None = None, *,
               serving: bool = False, worker_beside: bool = True) -> KnowledgeStore:
    """Load every input into a store (in memory, or on disk at `settings.store`).

    An on-disk store whose recorded input fingerprint equals the current one is reused as it is.
    `quads_by_graph` lets the caller pass statements it has already parsed (and validated).
    `serving`: the on-disk store is filled from the one in memory beside serving (the server's query workers
    read the store in memory), not before this returns; a first query worker loads copies of the inputs beside
    this load, unless not `worker_beside` (the workers belong to other processes: `kg serve` with web_workers > 1).
    """
    fingerprint = fingerprint_inputs(settings)
    meta = ox.NamedNode(graph_iri(settings.base, "meta"))
    disk: ox.Store | None = None
    if settings.store is not None:
        disk = open_disk_store(settings.store)
        try:
            recorded = [q.object.value for q in disk.quads_for_pattern(None, INPUT_FINGERPRINT, None, meta)]
            if recorded == [fingerprint]:
                return KnowledgeStore(settings, EmbeddedBackend(disk, settings.store), fingerprint, reused=True)
            disk.clear()
        except (OSError, RuntimeError) as exc:
            raise unusable_store(settings.store, exc) from None
    # Up to MEMORY_FIRST_BYTES of input, the store is filled in memory and the on-disk one from it, beside serving
    # (EmbeddedBackend.persist); larger inputs go straight to disk.
    in_memory = disk is None or quads_by_graph is not None or _input_bytes(settings) <= MEMORY_FIRST_BYTES
    store = ox.Store() if in_memory else disk
    # A server's query workers load copies of the inputs themselves (graph.load.staging), not a dump of this store.
    staged = StagedInputs(settings.store) if serving and in_memory and quads_by_graph is None else None
    try:
        if quads_by_graph is None:  # parsed and loaded in Rust, file by file, without a Python object per statement
            files = [(path, ox.NamedNode(graph_iri(settings.base, name))) for path, name in input_files(settings)]
            if staged is not None:
                # a first worker loads them meanwhile
                staged.stage(files, settings.query_memory_mb * 1024 * 1024, start_worker=worker_beside)
                staged.load(store)
            else:
                for path, graph in files:
                    load_file(store, path, graph)
        else:
            for quads in quads_by_graph.values():
                store.bulk_extend(quads)
        checkpoint("store:loading")  # the fingerprint is written last: a store killed before it is rebuilt
        data = ox.NamedNode(graph_iri(settings.base, "data"))
        derived = [ox.Quad(t.subject, t.predicate, t.object, data) for t in derived_statements(store)]
        store.bulk_extend(derived)
        kstore = KnowledgeStore(settings, EmbeddedBackend(store, settings.store), fingerprint)
        description = [ox.Quad(t.subject, t.predicate, t.object, meta)
                       for t in dataset_description(with_publisher(settings, kstore), kstore.triple_counts(), fingerprint)]
        store.bulk_extend(description)
        last = ox.Quad(ox.NamedNode(settings.base + "dataset"), INPUT_FINGERPRINT, ox.Literal(fingerprint), meta)
        if staged is not None and (listing := staged.finish([*derived, *description, last])) is not None:
            kstore.backend.use_sources(listing, staged.take_worker())  # type: ignore[attr-defined]
    except BaseException:
        if staged is not None:
            staged.remove()
        raise
    if disk is not None and store is not disk:
        kstore.backend.persist(disk, last)  # type: ignore[attr-defined]
        if not serving:
            kstore.backend.wait_until_persisted()  # type: ignore[attr-defined]
    store.add(last)
    kstore.recount("meta")  # counted before the description and the fingerprint were added to it
    if store is disk:
        store.flush()
    return kstore


def open_store_in_background(settings: Settings) -> Future[KnowledgeStore]:
    """`open_store(settings, serving=True)` on a thread of its own, for `kg serve`: Oxigraph parses and loads in Rust,
    outside the GIL, so on a second core the store fills while the caller imports the web application's modules
    (about a second and a half). `result()` gives the store, or raises what `open_store` raised."""
    loading: Future[KnowledgeStore] = Future()

    def load() -> None:
        try:
            loading.set_result(open_store(settings, serving=True))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the store
            loading.set_exception(exc)

    # A daemon thread: if the caller gives up (missing assets), the process may end. A store on disk cut off then is
    # refilled at the next start (its input fingerprint is written last); the copy beside serving is not a daemon.
    threading.Thread(target=load, name="hki-store-load", daemon=True).start()
    return loading


MEMORY_FIRST_BYTES = 96 * 1024 * 1024  # input files up to this size (~600k statements of N-Triples) load in memory first


def _input_bytes(settings: Settings) -> int:
    total = 0
    for path, _ in input_files(settings):
        try:
            total += path.stat().st_size
        except OSError:
            pass  # load_file names the missing file
    return total



def open_knowledge_store(settings: Settings, *, read_only: bool = False, serving: bool = False,
                         worker_beside: bool = True) -> KnowledgeStore:
    """The store the settings name: the external endpoint when `endpoint` is set, else the embedded one.

    `read_only`: serve the on-disk store at `settings.store` as it is — filled before by `kg build --store` from
    the same inputs (StoreError otherwise) — without writing to it, so several servers may share it."""
    if settings.endpoint:
        # imported here: the external endpoint's client (httpx, with the rich and pygments its command line loads,
        # 0.1-0.2 s) would otherwise be imported on the way to every embedded server's first answer
        from graph.store.remote import connect_endpoint

        return connect_endpoint(settings)
    if read_only:
        return open_filled_store(settings)
    return open_store(settings, serving=serving, worker_beside=worker_beside)


def open_filled_store(settings: Settings) -> KnowledgeStore:
    """The read-only on-disk store at `settings.store`, checked to hold the current inputs (by their fingerprint)."""
    if settings.store is None:
        raise StoreError("serving a store read-only needs its folder: --store DIR (filled by kg build --store DIR)")
    store = open_read_only_store(settings.store)
    fingerprint = fingerprint_inputs(settings)
    meta = ox.NamedNode(graph_iri(settings.base, "meta"))
    recorded = [q.object.value for q in store.quads_for_pattern(None, INPUT_FINGERPRINT, None, meta)]
    if recorded != [fingerprint]:
        raise StoreError(f"the store at {settings.store} was " + ("not filled completely" if not recorded else
                         "filled from other data or settings") + f": fill it again with `kg build --store "
                         f"{settings.store}` (into a new folder while servers use this one)")
    return KnowledgeStore(settings, EmbeddedBackend(store, settings.store, snapshot=True), fingerprint, reused=True)


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
    # The context layer (graph.context: third-party data, ~170k statements) is checked by its importer, not
    # by the shapes, which describe the city's own data (and would take minutes on it).
    union = to_rdflib([q for name, quads in by_graph.items() if name != "context" for q in quads])
    return ValidationReport(by_graph, validate_graph(union, lang=lang))


def build(settings: Settings, out: Path, store: Path | None = None) -> tuple[ValidationReport, list[Distribution]]:
    """Validate, then load and write the dumps (and, with `store`, leave the filled store in that folder for
    read-only servers: `kg serve --store DIR --read-only`). Nothing is written when the inputs are invalid."""
    report = validate_inputs(settings)
    if not report.conforms:
        return report, []
    kstore = open_store(replace(settings, store=store), report.quads_by_graph)
    try:
        return report, write_dumps(kstore, out)
    finally:
        kstore.close()


__all__ = ["DUMPS", "BuildError", "GRAPH_NAMES", "ValidationReport", "build", "open_knowledge_store", "open_store",
           "validate_inputs", "write_dumps"]
