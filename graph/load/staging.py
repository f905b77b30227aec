"""Copies of the input files exactly as a server loaded them, for its query workers to load the same bytes.

A server's query workers each read the whole store into memory. Writing the server's store out as one N-Quads copy
(0.4 s at 330k statements) and parsing that back (its every line carries a graph name: 1.0 s) used to stand between
the load and the first answer; parsing the input files themselves takes 0.75 s and writes nothing. The workers
therefore load *copies* of the inputs — made before the server parses them, so a file edited after that (a data
folder being worked on, `watch_data`) can never make a replacement worker serve other data than the server — and
one small N-Quads file of what the server added (the derived shortcuts, the dataset's description). The first worker
starts loading the copies as soon as they are made, beside the server's own load (on two cores, at the same time),
and is given the rest — the small file — when the server has written it (graph.store.workers.start_loading_worker).

Blank nodes of the inputs are what a copy by files cannot carry: Oxigraph gives a file's blank nodes new names at every
parse, so each worker would answer with other labels (and in another order) under one strong ETag, and a derived
statement about such a node would, in a worker, be about a node that does not exist there. When an input has a blank
node (looked for on a thread beside the server's derivations), `finish` declines and the server
writes the whole store out as before. The shipped data has none. (Blank nodes only the additions use are written
with them, labels and all, and stay one node each.)
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from graph.atomic import remove_abandoned_staging
from graph.load.files import DataFileError, load_file, rdf_format_for
from graph.store.errors import StoreError
from graph.store.workers import SOURCES_SUFFIX, start_loading_worker

log = logging.getLogger("hki.store")


class StagedInputs:
    """A folder of input copies, the list of them, and a query worker loading them beside the server."""

    def __init__(self, store_folder: Path | None):
        """Beside the on-disk store folder, named as graph.atomic names staging (so a killed server's copies are
        removed by the next start), else in a temporary folder."""
        if store_folder is not None:
            remove_abandoned_staging(store_folder)
            self.folder = Path(tempfile.mkdtemp(prefix=f".{store_folder.name}-{os.getpid()}-sources-",
                                                dir=store_folder.parent))
        else:
            self.folder = Path(tempfile.mkdtemp(prefix="hki-store-sources-"))
        self.copies: list[tuple[Path, Path, ox.RdfFormat, ox.NamedNode]] = []  # (original, copy, its syntax, graph)
        self.worker = None  # graph.store.workers._Worker, loading the copies (take_worker hands it on)
        self._worker_start: threading.Thread | None = None  # starting it
        self._blank_check: threading.Thread | None = None
        self._input_blank_nodes: bool | None = None  # None: not known (not loaded, or the check failed)

    def stage(self, files: Iterable[tuple[Path, ox.NamedNode]], memory_budget: int, *, start_worker: bool = True) -> None:
        """Copy every input file (errors name the original), list the copies, and start a query worker loading them
        (with `memory_budget` per query; not if `start_worker` is false: the workers are other processes'); where no
        worker can start now, the pool starts its own later."""
        for path, graph in files:
            fmt = rdf_format_for(path)
            if not path.is_file():
                load_file(ox.Store(), path, graph)  # raises the DataFileError that says what is wrong with the path
            copy = self.folder / f"{len(self.copies):03d}.{fmt.file_extension}"
            try:
                shutil.copyfile(path, copy)
            except OSError as exc:
                raise DataFileError(path, f"cannot be read: {exc.strerror or exc}") from None
            self.copies.append((path, copy, fmt, graph))
        # RDF/XML only once the server has refused entity declarations in it (graph.load.files): in the full listing.
        if not start_worker:
            return
        listing = self._write_listing("inputs", self._entries(without=ox.RdfFormat.RDF_XML))
        # On a thread: the worker comes from the fork server, which may still be importing what workers need (0.1-0.3
        # s after `kg serve` started it); the server's own load does not wait for that.
        self._worker_start = threading.Thread(target=self._start_worker, args=(listing, memory_budget), daemon=True,
                                              name="hki-loading-worker-start")
        self._worker_start.start()

    def _start_worker(self, listing: Path, memory_budget: int) -> None:
        try:
            self.worker = start_loading_worker(listing, memory_budget)
        except (OSError, StoreError) as exc:
            log.warning("no query worker could start loading the data beside the server: %s", exc)

    def load(self, store: ox.Store) -> None:
        """Load the copies into `store`, each into its graph (graph.load.files.load_file); errors name the original;
        then look for blank nodes in them on a thread (Oxigraph evaluates outside the GIL)."""
        for original, copy, _, graph in self.copies:
            try:
                load_file(store, copy, graph)
            except DataFileError as exc:
                raise DataFileError(original, exc.reason, exc.line, exc.column) from None
        self._blank_check = threading.Thread(target=self._check_blank_nodes, args=(store,), daemon=True,
                                             name="hki-blank-nodes")
        self._blank_check.start()

    def _check_blank_nodes(self, store: ox.Store) -> None:
        # The input graphs only: derived statements (about input nodes) may be added meanwhile, and have a blank node
        # only where an input has one; the dataset's description goes to the meta graph, which no input fills.
        graphs = " ".join(sorted({f"<{graph.value}>" for _, _, _, graph in self.copies}))
        try:
            self._input_blank_nodes = bool(store.query(
                f"ASK {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }} }}"))
        except (OSError, RuntimeError, ValueError, SyntaxError) as exc:
            log.warning("could not look for blank nodes in the inputs (%s): the workers read a copy of the store", exc)
            self._input_blank_nodes = True

    def finish(self, additions: Iterable[ox.Quad]) -> Path | None:
        """Write the server's `additions` (in its store already, or about to be) and the list of all files, complete
        before anyone reads it; its path, or None (and the copies removed) when an input has a blank node."""
        additions = list(additions)
        if self._blank_check is not None:
            self._blank_check.join()
        if self._input_blank_nodes is not False:
            self.remove()
            return None
        extra = self.folder / f"{len(self.copies):03d}.nq"
        extra.write_bytes(ox.serialize(additions, format=ox.RdfFormat.N_QUADS) or b"")
        return self._write_listing("store", [*self._entries(), [str(extra), "nq", None]])

    def _entries(self, without: ox.RdfFormat | None = None) -> list[list[str | None]]:
        """The copies (but those in syntax `without`) as a SOURCES_SUFFIX listing names them: [file, its syntax's
        file extension, graph IRI]."""
        return [[str(copy), fmt.file_extension, graph.value] for _, copy, fmt, graph in self.copies if fmt != without]

    def take_worker(self):
        """The worker loading the copies (or None), for the pool to complete; from now on the pool's to kill."""
        if self._worker_start is not None:
            self._worker_start.join()
        worker, self.worker = self.worker, None
        return worker

    def _write_listing(self, name: str, entries: list[list[str | None]]) -> Path:
        listing = self.folder / f"{name}{SOURCES_SUFFIX}"
        staging = listing.with_name(listing.name + ".part")
        staging.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(staging, listing)
        return listing

    def remove(self) -> None:
        """Stop the loading worker, if not handed on, and delete the copies."""
        worker = self.take_worker()
        if worker is not None:
            worker.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
