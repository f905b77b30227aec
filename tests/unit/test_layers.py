"""The house rules of the code, checked on every run: one-way layers and no import cycles.

The layers are import-linter contracts (pyproject.toml, `[tool.importlinter]`), run here as
`lint-imports` runs them; the cycle check reads the same import graph (grimp, import-linter's own
engine), which counts imports inside functions too.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "graph", "ontology")


def test_every_import_linter_contract_is_kept():
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout and "kept" in done.stdout


def _import_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _related(a: str, b: str) -> bool:
    """A package and its own submodules (its __init__ may import them): not a cycle."""
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_module_imports_itself_back_through_others():
    graph = _import_graph()
    cycles = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if _related(importer, imported):
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.add(" → ".join((importer, *back)))
    assert sorted(cycles) == []


@pytest.mark.parametrize("upper, lower", [("graph", "api"), ("ontology", "api"), ("ontology", "graph")])
def test_a_lower_layer_never_imports_a_higher_one_not_even_inside_a_function(upper, lower):
    files = list((ROOT / upper).rglob("*.py"))
    assert files
    upward = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            upward += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                       if n == lower or n.startswith(lower + ".")]
    assert upward == []


def test_the_cycle_check_would_see_a_cycle_hidden_inside_a_function(tmp_path, monkeypatch):
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("import cyclic.b\n")
    (package / "b.py").write_text("def later():\n    from cyclic import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic", cache_dir=None)
    assert graph.find_shortest_chain(importer="cyclic.b", imported="cyclic.a") == ("cyclic.b", "cyclic.a")
