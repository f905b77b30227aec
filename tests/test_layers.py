"""The layers run one way, api → graph → ontology (the full contracts come with import-linter, issue 13)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, also inside functions, read from its syntax tree."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_graph_and_ontology_never_import_api_not_even_inside_a_function():
    files = [p for folder in ("graph", "ontology") for p in (ROOT / folder).rglob("*.py")]
    assert len(files) > 20
    upward = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in files for line, name in _imports(p)
              if name == "api" or name.startswith("api.")]
    assert upward == []


def test_ontology_imports_neither_graph_nor_api():
    upward = [f"{p.relative_to(ROOT)}:{line} imports {name}" for p in (ROOT / "ontology").rglob("*.py")
              for line, name in _imports(p) if name.split(".")[0] in ("graph", "api")]
    assert upward == []
