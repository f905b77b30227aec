"""Writing the dumps: every RDF syntax of the whole graph, VoID/DCAT and SHA256SUMS — all of them, or none.

The dumps are written into a fresh folder next to the output folder and swapped in with one atomic
`renameat2(RENAME_EXCHANGE)` (`graph.atomic`), so a build that fails or is killed at any point leaves
the previous dumps exactly as they were.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.atomic import exchange, fsync_tree, make_staging, remove_abandoned_staging
from graph.faults import checkpoint
from graph.publish.catalogue import DEFAULT_PROFILE, PROFILES, Distribution, ReleaseInfo, dataset_metadata
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
        distributions = stage_dumps(kstore, staging)
        checkpoint("build:before-swap")
        _publish_dir(staging, out)
        return distributions
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def stage_dumps(kstore: KnowledgeStore, staging: Path, release: ReleaseInfo | None = None) -> list[Distribution]:
    """Write every dump, VoID/DCAT (for `release`, when given: its version, notes and dates) and SHA256SUMS into the
    empty folder `staging`, flushed to disk; nothing is swapped (`write_dumps` does, and so does a publication,
    graph.workspace.publication, in its own order)."""
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
    description = dataset_metadata(kstore, distributions, release=release)
    void = ox.serialize(sorted(description, key=str), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    (staging / "void.ttl").write_bytes(void)
    catalog_files = {"catalog.ttl": void, "catalog.rdf": ox.serialize(description, format=ox.RdfFormat.RDF_XML)}
    for profile in PROFILES.values():
        if profile != DEFAULT_PROFILE:
            other = sorted(dataset_metadata(kstore, distributions, profile, release=release), key=str)
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
    return distributions


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


# ------------------------------------------------------------------ releases (graph.workspace.releases)
# Each release keeps its dumps in `releases/<number>/` of the dist folder (hard links to the same bytes while it is the
# current one); `releases.json` lists every release with its date and notes; both are in SHA256SUMS, the list of what
# /downloads serves.
RELEASES_FOLDER = "releases"
RELEASES_LIST = "releases.json"


@dataclass(frozen=True)
class ReleaseFiles:
    """One release as the dist folder keeps it: its number, date, notes per language and its dump files."""

    number: int
    date: str
    notes: dict[str, str]
    files: tuple[str, ...]  # paths relative to the dist folder, e.g. releases/3/hki.ttl
    change_sets: tuple[int, ...] = ()
    statements: int = 0


def add_release(staging: Path, previous: Path | None, release: ReleaseFiles) -> None:
    """Keep `release`'s dumps in `staging/releases/<number>/` and carry the earlier releases over from the dist folder
    `previous` (hard links, so nothing is copied), then list them all in releases.json and SHA256SUMS."""
    known: dict[str, str] = {}  # earlier release files → digest, from the previous SHA256SUMS
    earlier: list[dict] = []
    if previous is not None and (previous / "SHA256SUMS").is_file():
        for line in (previous / "SHA256SUMS").read_text(encoding="ascii").splitlines():
            digest, _, name = line.partition("  ")
            if name.startswith(RELEASES_FOLDER + "/") and (previous / name).is_file():
                known[name] = digest
        earlier = [r for r in _read_list(previous) if r.get("number") != release.number]
    for name in sorted(known):
        if name.startswith(f"{RELEASES_FOLDER}/{release.number}/"):
            continue
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(previous / name, target)  # type: ignore[operator]
    sums = (staging / "SHA256SUMS").read_text(encoding="ascii")
    digests = {name: digest for digest, _, name in (line.partition("  ") for line in sums.splitlines())}
    folder = staging / RELEASES_FOLDER / str(release.number)
    folder.mkdir(parents=True, exist_ok=True)
    own = []
    for file_name, *_ in DUMPS:
        _link_or_copy(staging / file_name, folder / file_name)
        own.append(f"{RELEASES_FOLDER}/{release.number}/{file_name}")
        known[own[-1]] = digests[file_name]
    entry = {"number": release.number, "date": release.date, "notes": release.notes, "files": own,
             "change_sets": list(release.change_sets), "statements": release.statements}
    listing = sorted([entry] + earlier, key=lambda r: -int(r["number"]))
    body = (json.dumps({"releases": listing}, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
    (staging / RELEASES_LIST).write_bytes(body)
    sums += f"{hashlib.sha256(body).hexdigest()}  {RELEASES_LIST}\n"
    sums += "".join(f"{known[name]}  {name}\n" for name in sorted(known))
    (staging / "SHA256SUMS").write_text(sums, encoding="ascii")
    fsync_tree(staging)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _read_list(dist_dir: Path) -> list[dict]:
    try:
        data = json.loads((Path(dist_dir) / RELEASES_LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    releases = data.get("releases") if isinstance(data, dict) else None
    return [r for r in releases if isinstance(r, dict) and isinstance(r.get("number"), int)] if isinstance(releases, list) else []


def read_releases(dist_dir: Path) -> list[ReleaseFiles]:
    """The releases the dist folder keeps, newest first ([] before the first release)."""
    out = []
    for r in _read_list(dist_dir):
        files = tuple(f for f in r.get("files", []) if isinstance(f, str) and (Path(dist_dir) / f).is_file())
        notes = r.get("notes") if isinstance(r.get("notes"), dict) else {}
        out.append(ReleaseFiles(int(r["number"]), str(r.get("date", "")), {str(k): str(v) for k, v in notes.items()},
                                files, tuple(int(c) for c in r.get("change_sets", []) if isinstance(c, int)),
                                int(r.get("statements", 0) or 0)))
    return out


__all__ = ["DUMPS", "BuildError", "RELEASES_FOLDER", "RELEASES_LIST", "ReleaseFiles", "add_release", "read_distributions",
           "read_releases", "stage_dumps", "write_dumps"]
