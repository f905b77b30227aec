"""`kg validate` and `kg build`: check the inputs, then write the dumps — all of them, or none.

The dumps are written into a fresh folder next to the output folder and swapped in with one atomic
`renameat2(RENAME_EXCHANGE)`, so a build that fails or is killed at any point leaves the previous
dumps exactly as they were.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib

from graph.atomic import exchange, make_staging, remove_abandoned_staging
from graph.config import Settings
from graph.faults import checkpoint
from graph.loading import read_triples
from graph.catalogue import dataset_metadata
from graph.metadata import Distribution
from graph.store import GRAPH_NAMES, KnowledgeStore, graph_iri, input_files, open_store, parse_inputs
from ontology import PREFIXES

DUMPS: tuple[tuple[str, ox.RdfFormat, str, str], ...] = (
    ("hki.ttl", ox.RdfFormat.TURTLE, "text/turtle", "All data as Turtle (union of the named graphs)"),
    ("hki.nt.gz", ox.RdfFormat.N_TRIPLES, "application/n-triples", "All data as N-Triples, sorted, gzip-compressed"),
    ("hki.jsonld", ox.RdfFormat.JSON_LD, "application/ld+json", "All data as JSON-LD"),
    ("hki.rdf", ox.RdfFormat.RDF_XML, "application/rdf+xml", "All data as RDF/XML"),
    ("hki.trig", ox.RdfFormat.TRIG, "application/trig", "All named graphs as TriG"),
)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of checking the inputs: the parsed statements and what breaks the shapes."""

    quads_by_graph: dict[str, list[ox.Quad]]
    violations: list  # list[graph.validation.Violation]

    @property
    def conforms(self) -> bool:
        return not any(v.severity == "Violation" for v in self.violations)


def to_rdflib(quads: Sequence[ox.Quad]) -> rdflib.Graph:
    """The triples of `quads` as an rdflib graph (for pySHACL), via N-Triples."""
    data = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=data or b"", format="nt")
    return graph


def validate_inputs(settings: Settings, paths: Sequence[Path] = (), lang: str = "en") -> ValidationReport:
    """Parse the inputs (DataFileError on syntax errors) and check them against the SHACL shapes.

    With `paths`, those files are checked as the instance data instead of the configured data folder.
    """
    from graph.validation import validate_graph

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


def _publish_dir(new: Path, out: Path) -> None:
    if out.exists():
        try:
            exchange(new, out)
        except (OSError, AttributeError):
            # Not Linux (or an old kernel): two renames; the window between them is a few microseconds.
            old = out.with_name(out.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(out, old)
            os.rename(new, out)
            new = old
        checkpoint("build:swapped")
        shutil.rmtree(new, ignore_errors=True)
    else:
        os.rename(new, out)


class BuildError(RuntimeError):
    """The dumps cannot be written where asked; the message names the folder and what to do."""


def _sorted_triples(kstore: KnowledgeStore) -> list[ox.Triple]:
    return sorted({ox.Triple(q.subject, q.predicate, q.object) for q in kstore.quads()}, key=str)


def write_dumps(kstore: KnowledgeStore, out: Path) -> list[Distribution]:
    """Write every dump, VoID/DCAT and SHA256SUMS into `out`, atomically replacing what was there."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} is a file, not a folder: give --out a folder for the dumps (it is created if missing)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_staging(out)
        staging = make_staging(out)  # named with our pid: a later build removes it if we are killed
    except OSError as exc:
        raise BuildError(f"cannot write the dumps next to {out} ({exc.strerror or exc}); choose another --out "
                         "folder; nothing was written") from None
    checkpoint("build:staging")
    try:
        triples = _sorted_triples(kstore)
        quads = sorted(kstore.quads(), key=lambda q: (q.graph_name.value, str(q.subject), str(q.predicate), str(q.object)))
        distributions = []
        for file_name, fmt, media_type, title in DUMPS:
            if fmt == ox.RdfFormat.TRIG:
                body = ox.serialize(quads, format=fmt, prefixes=PREFIXES)
            elif fmt == ox.RdfFormat.TURTLE:
                body = ox.serialize(triples, format=fmt, prefixes=PREFIXES)
            else:
                body = ox.serialize(triples, format=fmt)
            if file_name.endswith(".gz"):
                buffer = io.BytesIO()
                with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as gz:
                    gz.write(body)
                body = buffer.getvalue()
            (staging / file_name).write_bytes(body)
            checkpoint(f"build:wrote-{file_name}")
            distributions.append(Distribution(file_name, media_type, len(body), hashlib.sha256(body).hexdigest(), title))
        # VoID + DCAT-AP.de (graph.catalogue): void.ttl for linked-data tools, catalog.rdf/.ttl for portals
        description = dataset_metadata(kstore, distributions)
        void = ox.serialize(sorted(description, key=str), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        (staging / "void.ttl").write_bytes(void)
        catalog_files = {"catalog.ttl": void, "catalog.rdf": ox.serialize(description, format=ox.RdfFormat.RDF_XML)}
        for catalog_name, catalog_body in catalog_files.items():
            (staging / catalog_name).write_bytes(catalog_body)
        sums = "".join(f"{d.sha256}  {d.file_name}\n" for d in distributions)
        sums += f"{hashlib.sha256(void).hexdigest()}  void.ttl\n"
        sums += "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in catalog_files.items())
        (staging / "SHA256SUMS").write_text(sums, encoding="ascii")
        for path in staging.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        os.chmod(staging, 0o755)
        checkpoint("build:before-swap")
        _publish_dir(staging, out)
        return distributions
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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


__all__ = ["DUMPS", "BuildError", "GRAPH_NAMES", "ValidationReport", "build", "validate_inputs", "write_dumps"]
