"""Front-end dependencies come from the npm registry, never from copies in git.

package.json pins CodeMirror, vis-network and world-atlas exactly (package-lock.json agrees), `npm ci`
fetches them, and `python -m graph.assets` copies the files of one table (graph/assets.py) into the
git-ignored assets/ folder, which the server mounts at /static/vendor. These tests need `make install`
(they fail, saying so, when node_modules/ or assets/ is missing).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.assets import ASSETS, ASSETS_DIR, NODE_MODULES, copy_assets

ROOT = Path(__file__).resolve().parents[2]
PINS = {"axe-core": "4.14.1", "codemirror": "5.65.21", "graphology": "0.26.0", "leaflet": "1.9.4",
        "leaflet.markercluster": "1.5.3", "sigma": "3.0.3",
        "topojson-client": "3.1.0", "vis-network": "10.1.5", "world-atlas": "2.0.2"}
NOT_SERVED = {"axe-core"}  # read by the accessibility tests from node_modules, never copied into assets/
PACKAGES = sorted({a.package for a in ASSETS})


def _need_install() -> None:
    missing = [p for p in (NODE_MODULES, ASSETS_DIR) if not p.is_dir()]
    if missing:
        pytest.fail(f"{', '.join(map(str, missing))} missing: run make install")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_copy(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graph.assets", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def test_every_file_of_the_table_is_built_and_equals_the_packages_file_byte_for_byte():
    _need_install()
    assert len({a.target for a in ASSETS}) == len(ASSETS)  # no two entries write the same file
    for a in ASSETS:
        built, source = ASSETS_DIR / a.target, NODE_MODULES / a.package / a.source
        assert built.is_file(), f"{built} missing: run make install"
        assert built.read_bytes() == source.read_bytes(), f"{built} differs from {source}: run make install"


def test_every_package_keeps_its_licence_beside_its_files():
    for package in PACKAGES:
        assert any(a.package == package and "LICEN" in Path(a.source).name.upper() for a in ASSETS), package


def test_git_holds_no_copy_of_a_package_file():
    _need_install()
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = [ROOT / name for name in tracked.decode("utf-8").split("\0") if name]
    names = [str(p.relative_to(ROOT)) for p in files]
    assert [n for n in names if n.startswith(("api/static/vendor/", "assets/", "node_modules/"))] == []
    # by name (api/static/sparql.js is our own page script, not CodeMirror's SPARQL mode: content decides there)
    distinctive = {"vis-network.min.js", "codemirror.js", "codemirror.css", "show-hint.js", "show-hint.css",
                   "land-50m.json", "land-110m.json"}
    assert [n for n in names if Path(n).name in distinctive] == []
    # Content, not only names: no tracked file equals any file of the installed packages (a renamed
    # copy counts too). Sizes first, so only the few files of equal size are hashed.
    by_size: dict[int, list[Path]] = {}
    for path in files:
        if path.is_file() and not path.is_symlink() and path.stat().st_size >= 512:
            by_size.setdefault(path.stat().st_size, []).append(path)
    copies = []
    for package in PACKAGES:
        for source in (NODE_MODULES / package).rglob("*"):
            if source.is_file() and source.stat().st_size in by_size:
                digest = _sha(source)
                copies += [f"{p.relative_to(ROOT)} = {source.relative_to(NODE_MODULES)}"
                           for p in by_size[source.stat().st_size] if _sha(p) == digest]
    assert copies == []


def test_package_json_pins_exact_versions_that_package_lock_json_holds():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert package["private"] is True
    assert package["dependencies"] == PINS
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in package["dependencies"].values())
    assert "devDependencies" not in package and "scripts" not in package
    assert lock["packages"][""]["dependencies"] == PINS
    for name, version in PINS.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert set(PACKAGES) == set(PINS) - NOT_SERVED  # the table copies from exactly the pinned packages
    assert "/assets/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_installed_packages_are_the_pinned_versions():
    _need_install()
    for name, version in PINS.items():
        assert json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))["version"] == version


def test_the_copy_fails_naming_the_missing_file_and_npm_ci(tmp_path):
    _need_install()
    empty = tmp_path / "empty" / "node_modules"
    empty.mkdir(parents=True)
    out = tmp_path / "assets"
    done = _run_copy("--node-modules", str(empty), "--out", str(out))
    assert done.returncode == 1
    assert "npm ci" in done.stderr and "Traceback" not in done.stderr
    for package in PACKAGES:
        assert str(empty / package) in done.stderr
    assert not out.exists()

    # One file missing: the message names that file; the folder already there is left as it was.
    partial = tmp_path / "partial" / "node_modules"
    for package in PACKAGES:
        shutil.copytree(NODE_MODULES / package, partial / package)
    gone = next(a for a in ASSETS if a.target.endswith("vis-network.min.js"))
    (partial / gone.package / gone.source).unlink()
    out.mkdir()
    (out / "old.txt").write_text("the previous build")
    done = _run_copy("--node-modules", str(partial), "--out", str(out))
    assert done.returncode == 1
    assert str(partial / gone.package / gone.source) in done.stderr and "npm ci" in done.stderr
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert not list(tmp_path.glob(".assets-*"))  # no staging folder left behind


def test_the_copy_replaces_the_folder_in_one_step(tmp_path):
    _need_install()
    out = tmp_path / "assets"
    out.mkdir()
    (out / "stale.js").write_text("from an older table")
    written = copy_assets(NODE_MODULES, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        sorted(a.target for a in ASSETS) == sorted(p.relative_to(out).as_posix() for p in written)
    assert not list(tmp_path.glob(".assets-*"))
    done = _run_copy("--node-modules", str(NODE_MODULES), HKI_ASSETS_DIR=str(tmp_path / "by-env"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "by-env" / ASSETS[0].target).read_bytes() == (out / ASSETS[0].target).read_bytes()


def test_the_server_refuses_to_start_without_the_assets(tmp_path):
    code = ("from graph.config import Settings\nfrom api.app import create_app\n"
            "try:\n    create_app(Settings())\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HKI_ASSETS_DIR": str(tmp_path / "nothing")})
    assert done.stdout.startswith("AssetsMissing front-end assets missing: run make install"), done.stdout + done.stderr


def test_the_server_serves_the_built_files_at_static_vendor(hannover, settings):
    _need_install()
    from api.app import create_app

    with TestClient(create_app(settings, kstore=hannover)) as client:
        for a in ASSETS:
            answer = client.get(f"/static/vendor/{a.target}")
            assert answer.status_code == 200, a.target
            assert answer.content == (ASSETS_DIR / a.target).read_bytes(), a.target
        assert client.get("/static/hki.css").status_code == 200  # our own files still at /static
        assert client.get("/static/vendor/nothing.js").status_code == 404
