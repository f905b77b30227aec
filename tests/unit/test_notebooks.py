"""The researchers' notebooks run top to bottom with the installed package, and are stored without outputs."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
KERNEL = "hki-test-venv"


def test_there_are_notebooks_for_getting_started_network_analysis_and_sdg_coverage():
    names = [path.name for path in NOTEBOOKS]
    assert len(names) >= 3
    for topic in ("getting-started", "network-analysis", "sdg-coverage"):
        assert any(topic in name for name in names), f"no notebook about {topic} in notebooks/: {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_stored_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    with_output = [i for i, cell in enumerate(notebook.cells)
                   if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not with_output, f"{path.name}: cells {with_output} keep outputs; clear them before committing"


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory) -> str:
    """A kernel spec for this interpreter (the venv's), found first through JUPYTER_PATH, so the
    notebooks run against the installed package whatever kernels the machine has registered."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hki test kernel", "language": "python"}), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(folder))
    patch.setenv("MPLBACKEND", "Agg")  # plots are drawn but never shown in a window
    yield KERNEL
    patch.undo()


# Notebooks that import the shared world extract (shared/world/ beside or above the project, or HKI_WORLD_DIR):
# without it they are skipped with a message, and in CI they fail.
NEEDS_WORLD = {"04-world-network.ipynb"}


def _world_extract_or_skip() -> None:
    named = os.environ.get("HKI_WORLD_DIR")
    root = Path(__file__).resolve().parents[2]
    candidates = [Path(named)] if named else [p / "shared" / "world" for p in root.parents] + [Path("/work/shared/world")]
    if any((c / "relations.tsv").is_file() and (c / "names.tsv").is_file() for c in candidates):
        return
    message = ("the world notebook needs the shared world extract (shared/world/relations.tsv and names.tsv beside or "
               "above the project, or a folder named by HKI_WORLD_DIR); looked in: " + ", ".join(map(str, candidates)))
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_without_error(path: Path, venv_kernel: str):
    if path.name in NEEDS_WORLD:
        _world_extract_or_skip()
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=venv_kernel, timeout=300,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}")
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors}"
