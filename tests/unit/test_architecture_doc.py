"""docs/architecture.md matches the code: every file it names exists, every package it should name is there."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_file_the_architecture_page_names_exists():
    named = set(re.findall(r"`((?:graph|api|ontology|tests)/[\w/.<>-]+\.(?:py|ttl|md|po))`", DOC))
    assert len(named) > 15
    missing = sorted(p for p in named if "<" not in p and not (ROOT / p).exists())
    assert missing == []


def test_every_package_of_graph_and_api_is_on_the_architecture_page():
    packages = sorted(str(p.parent.relative_to(ROOT)) for top in ("graph", "api")
                      for p in (ROOT / top).glob("*/__init__.py"))
    assert packages
    folder_lines = DOC.split("```")[1]
    absent = [p for p in packages if p.split("/")[1] + "/" not in folder_lines]
    assert absent == []


def test_every_store_module_is_described_on_the_architecture_page():
    modules = sorted(p.stem for p in (ROOT / "graph" / "store").glob("*.py") if p.stem not in ("__init__", "worker_start"))
    assert "backend" in modules
    assert [m for m in modules if m not in DOC] == []
