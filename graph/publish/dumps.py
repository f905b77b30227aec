"""Writing the dumps: every RDF syntax of the whole graph, VoID/DCAT and SHA256SUMS — all of them, or none.

The dumps are written into a fresh folder next to the output folder and swapped in with one atomic
`renameat2(RENAME_EXCHANGE)` (`graph.atomic`), so a build that fails or is killed at any point leaves
the previous dumps exactly as they were.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from graph.atomic import exchange, make_staging, remove_abandoned_staging
from graph.faults import checkpoint
from graph.publish.catalogue import DEFAULT_PROFILE, PROFILES, Distribution, dataset_metadata
from graph.store import KnowledgeStore
from graph.store.formats import media_type
from ontology import PREFIXES



def _dump(fmt: ox.RdfFormat, title: str, compressed: bool = False) -> tuple[str, ox.RdfFormat, str, str]:
    """(file name, format, media type, title): named and typed by the format (pyoxigraph), `.gz` if compressed."""
    return f"hki.{fmt.file_extension}" + (".gz" if compressed else ""), fmt, media_type(fmt), title


DUMPS: tuple[tuple[str, ox.RdfFormat, str, str], ...] = (
    _dump(ox.RdfFormat.TURTLE, "All data as Turtle (union of the named graphs)"),
    _dump(ox.RdfFormat.N_TRIPLES, "All data as N-Triples, sorted, gzip-compressed", compressed=True),
    _dump(ox.RdfFormat.JSON_LD, "All data as JSON-LD"),
    _dump(ox.RdfFormat.RDF_XML, "All data as RDF/XML"),
    _dump(ox.RdfFormat.TRIG, "All named graphs as TriG"),
)


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
        # VoID + DCAT-AP.de (graph.publish.catalogue): void.ttl for linked-data tools, catalog.rdf/.ttl for portals
        # in the default DCAT-AP.de profile (2.0, what GovData harvests), and as catalog-dcat-ap-de-3.0.* in 3.0
        description = dataset_metadata(kstore, distributions)
        void = ox.serialize(sorted(description, key=str), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        (staging / "void.ttl").write_bytes(void)
        catalog_files = {"catalog.ttl": void, "catalog.rdf": ox.serialize(description, format=ox.RdfFormat.RDF_XML)}
        for profile in PROFILES.values():
            if profile != DEFAULT_PROFILE:
                other = sorted(dataset_metadata(kstore, distributions, profile), key=str)
                catalog_files[f"catalog-dcat-ap-de-{profile.key}.ttl"] = ox.serialize(
                    other, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
                catalog_files[f"catalog-dcat-ap-de-{profile.key}.rdf"] = ox.serialize(other, format=ox.RdfFormat.RDF_XML)
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



def read_distributions(dist_dir: Path) -> list[Distribution]:
    """The dumps listed in `dist_dir/SHA256SUMS` that exist, with sizes; [] when nothing was built."""
    sums = Path(dist_dir) / "SHA256SUMS"
    if not sums.is_file():
        return []
    known = {name: (media, title) for name, _, media, title in DUMPS}
    out = []
    for line in sums.read_text(encoding="ascii").splitlines():
        digest, _, name = line.partition("  ")
        path = Path(dist_dir) / name
        if name not in known or not path.is_file():  # void.ttl and catalog.* describe the dumps, they are none
            continue
        media, title = known[name]
        out.append(Distribution(name, media, path.stat().st_size, digest, title))
    return out


__all__ = ["DUMPS", "BuildError", "read_distributions", "write_dumps"]
