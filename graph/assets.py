"""The third-party front-end files (JavaScript, CSS, map data): which npm package file goes where.

The repository holds only what its authors wrote. The packages are pinned in `package.json` (exact
versions, with `package-lock.json`), `npm ci` fetches them into `node_modules/`, and
`python -m graph.assets` copies the few files the pages use, with the packages' licence texts, into
the git-ignored `assets/` folder (`make install` does both). `ASSETS` below is the one table of those
files; everything that reads one — the server (`/static/vendor/…`, api/app.py), the CSP hashes of
vis-network (api/web/assets.py), the offline maps (api/web/maps.py), `kg viz` (graph/publish/viz.py)
— asks this module for its path, and a missing folder is an error that says to run `make install`.

`HKI_ASSETS_DIR` names another folder (e.g. for an installed wheel, which has no repository root);
`HKI_NODE_MODULES` (or `--node-modules`) another node_modules folder to copy from.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from graph.atomic import exchange, fsync_tree, make_staging, remove_abandoned_staging

ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = Path(os.environ.get("HKI_ASSETS_DIR") or ROOT / "assets").resolve()
NODE_MODULES = Path(os.environ.get("HKI_NODE_MODULES") or ROOT / "node_modules").resolve()
PACKAGE_JSON = ROOT / "package.json"


@dataclass(frozen=True)
class Asset:
    package: str  # npm package, pinned in package.json
    source: str  # file inside node_modules/<package>/
    target: str  # path under assets/ (served at /static/vendor/<target>)


ASSETS: tuple[Asset, ...] = (
    # CodeMirror 5: the SPARQL editor of /sparql (api/templates/sparql.html)
    Asset("codemirror", "lib/codemirror.js", "codemirror/codemirror.js"),
    Asset("codemirror", "lib/codemirror.css", "codemirror/codemirror.css"),
    Asset("codemirror", "mode/sparql/sparql.js", "codemirror/sparql.js"),
    Asset("codemirror", "addon/hint/show-hint.js", "codemirror/show-hint.js"),
    Asset("codemirror", "addon/hint/show-hint.css", "codemirror/show-hint.css"),
    Asset("codemirror", "LICENSE", "codemirror/LICENSE"),
    # vis-network, standalone UMD build (its CSS inside): the explorer, the resource pages' neighbourhood, kg viz
    Asset("vis-network", "standalone/umd/vis-network.min.js", "vis-network/vis-network.min.js"),
    Asset("vis-network", "LICENSE-APACHE-2.0", "vis-network/LICENSE-APACHE-2.0"),
    Asset("vis-network", "LICENSE-MIT", "vis-network/LICENSE-MIT"),
    # Leaflet and its marker clustering: the explorer's pan-and-zoom map (no tile server: the basemap is world-atlas)
    Asset("leaflet", "dist/leaflet.js", "leaflet/leaflet.js"),
    Asset("leaflet", "dist/leaflet.css", "leaflet/leaflet.css"),
    Asset("leaflet", "dist/images/layers.png", "leaflet/images/layers.png"),
    Asset("leaflet", "dist/images/layers-2x.png", "leaflet/images/layers-2x.png"),
    Asset("leaflet", "dist/images/marker-icon.png", "leaflet/images/marker-icon.png"),
    Asset("leaflet", "dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"),
    Asset("leaflet", "dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"),
    Asset("leaflet", "LICENSE", "leaflet/LICENSE"),
    Asset("leaflet.markercluster", "dist/leaflet.markercluster.js", "leaflet.markercluster/leaflet.markercluster.js"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.css"),
    Asset("leaflet.markercluster", "dist/MarkerCluster.Default.css", "leaflet.markercluster/MarkerCluster.Default.css"),
    Asset("leaflet.markercluster", "MIT-LICENCE.txt", "leaflet.markercluster/MIT-LICENCE.txt"),
    # topojson-client: turns world-atlas's TopoJSON into GeoJSON for the explorer's Leaflet map (api/static/map.js)
    Asset("topojson-client", "dist/topojson-client.min.js", "topojson-client/topojson-client.min.js"),
    Asset("topojson-client", "LICENSE", "topojson-client/LICENSE"),
    # world-atlas: land outlines (TopoJSON from Natural Earth) for the offline SVG maps and the explorer's map
    Asset("world-atlas", "land-50m.json", "world-atlas/land-50m.json"),
    Asset("world-atlas", "land-110m.json", "world-atlas/land-110m.json"),
    Asset("world-atlas", "LICENSE", "world-atlas/LICENSE"),
    # sigma.js (WebGL) over a graphology graph: the explorer's world layer of ten thousand places (explore-world.js)
    Asset("sigma", "dist/sigma.min.js", "sigma/sigma.min.js"),
    Asset("sigma", "LICENSE.txt", "sigma/LICENSE.txt"),
    Asset("graphology", "dist/graphology.umd.min.js", "graphology/graphology.umd.min.js"),
    Asset("graphology", "LICENSE.txt", "graphology/LICENSE.txt"),
)

# axe-core (package.json) is not served: the accessibility tests read it from node_modules/axe-core/axe.min.js.
VIS_NETWORK_JS = "vis-network/vis-network.min.js"
LAND = "world-atlas/land-{resolution}.json"


class AssetsMissing(RuntimeError):
    """The built assets folder, or a file of it, is not there; the message says how to build it."""


class AssetCopyError(RuntimeError):
    """node_modules lacks a file of the table (or holds another version); the message names it."""


def missing_assets(folder: Path | None = None) -> list[str]:
    """The targets of the table that are not files in `folder` (default: ASSETS_DIR)."""
    folder = ASSETS_DIR if folder is None else folder
    return [a.target for a in ASSETS if not (folder / a.target).is_file()]


def require_assets(folder: Path | None = None) -> Path:
    """`folder` (default: ASSETS_DIR) when it holds every file of the table, else AssetsMissing."""
    folder = ASSETS_DIR if folder is None else folder
    missing = missing_assets(folder)
    if missing:
        what = f"{folder} does not exist" if not folder.is_dir() else f"{folder} lacks {', '.join(missing)}"
        raise AssetsMissing(f"front-end assets missing: run make install (npm ci, then python -m graph.assets); "
                            f"{what}")
    return folder


def asset_path(target: str, folder: Path | None = None) -> Path:
    """The built file `target` (a target of the table, e.g. VIS_NETWORK_JS), or AssetsMissing."""
    if target not in {a.target for a in ASSETS}:
        raise KeyError(f"{target!r} is not in graph.assets.ASSETS")
    path = (ASSETS_DIR if folder is None else folder) / target
    if not path.is_file():
        raise AssetsMissing(f"front-end assets missing: run make install ({path} does not exist)")
    return path


def pinned_versions(package_json: Path = PACKAGE_JSON) -> dict[str, str]:
    """The exact versions package.json pins."""
    return dict(json.loads(package_json.read_text(encoding="utf-8")).get("dependencies", {}))


def _check_sources(node_modules: Path, pins: dict[str, str]) -> None:
    problems = []
    for package in sorted({a.package for a in ASSETS}):
        manifest = node_modules / package / "package.json"
        if package not in pins:
            problems.append(f"{package} is not pinned in package.json")
        elif manifest.is_file():
            version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
            if version != pins[package]:
                problems.append(f"{manifest} is version {version}, package.json pins {pins[package]}")
    absent = set()
    for package in sorted({a.package for a in ASSETS}):
        if not (node_modules / package).is_dir():
            absent.add(package)
            problems.append(f"{node_modules / package} is missing (package {package} is not installed)")
    for a in ASSETS:
        source = node_modules / a.package / a.source
        if a.package not in absent and not source.is_file():
            problems.append(f"{source} is missing (file {a.source} of package {a.package})")
    if problems:
        raise AssetCopyError("cannot copy the front-end assets: " + "; ".join(problems) +
                             f" — run `npm ci` in {node_modules.parent} first (make install does)")


def _publish(staging: Path, out: Path) -> None:
    if out.exists():
        try:
            exchange(staging, out)
        except (OSError, AttributeError):  # not Linux: two renames, a window of microseconds
            old = out.with_name(out.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(out, old)
            os.rename(staging, out)
            staging = old
        shutil.rmtree(staging, ignore_errors=True)
    else:
        os.rename(staging, out)


def copy_assets(node_modules: Path | None = None, out: Path | None = None,
                package_json: Path = PACKAGE_JSON) -> list[Path]:
    """Copy every file of the table from `node_modules` into `out`, replacing `out` in one step.

    Nothing is written unless every source file is there (AssetCopyError names the missing ones)."""
    node_modules = (NODE_MODULES if node_modules is None else node_modules).resolve()
    out = (ASSETS_DIR if out is None else out).resolve()
    _check_sources(node_modules, pinned_versions(package_json))
    if out.exists() and not out.is_dir():
        raise AssetCopyError(f"{out} is a file, not a folder; remove it or set HKI_ASSETS_DIR to a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(out)
    staging = make_staging(out)
    try:
        for a in ASSETS:
            target = staging / a.target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(node_modules / a.package / a.source, target)
        for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            folder.chmod(0o755)  # mkdtemp makes the staging folder 0700
        fsync_tree(staging)
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / a.target for a in ASSETS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graph.assets",
                                     description="Copy the front-end files of graph.assets.ASSETS from "
                                                 "node_modules (npm ci) into the assets folder.")
    parser.add_argument("--node-modules", type=Path, default=None, help=f"default: {NODE_MODULES}")
    parser.add_argument("--out", type=Path, default=None, help=f"default: {ASSETS_DIR}")
    args = parser.parse_args(argv)
    try:
        written = copy_assets(args.node_modules, args.out)
    except (AssetCopyError, OSError) as exc:
        print(f"graph.assets: {exc}", file=sys.stderr)
        return 1
    print(f"graph.assets: {len(written)} files in {(ASSETS_DIR if args.out is None else args.out).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
