"""Exports of a projection for other tools: GraphML and GEXF (Gephi, Cytoscape), CSV node and edge tables.

The pure part (`exportable`, `node_table`, `edge_table`) prepares values; the `write_*` functions
are the only ones here that touch the file system, and do nothing else.
"""
from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx

EXPORT_FORMATS = ("graphml", "gexf", "csv")


def _scalar(value) -> str | int | float | bool:
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return " | ".join(sorted(str(v) for v in value))
    return str(value)


def exportable(graph: nx.Graph) -> nx.Graph:
    """A copy whose graph, node and edge attributes are all str, int, float or bool (what GraphML and
    GEXF can hold); None values are left out. The caller's graph is not changed."""
    copy = graph.__class__()
    copy.graph.update({k: _scalar(v) for k, v in graph.graph.items() if v is not None})
    copy.add_nodes_from((str(n), {k: _scalar(v) for k, v in d.items() if v is not None})
                        for n, d in graph.nodes(data=True))
    if graph.is_multigraph():
        copy.add_edges_from((str(u), str(v), key, {k: _scalar(x) for k, x in d.items() if x is not None})
                            for u, v, key, d in graph.edges(keys=True, data=True))
    else:
        copy.add_edges_from((str(u), str(v), {k: _scalar(x) for k, x in d.items() if x is not None})
                            for u, v, d in graph.edges(data=True))
    return copy


def node_table(graph: nx.Graph) -> tuple[list[str], list[dict]]:
    """Columns and rows of the node table: `id`, then the common attributes, then the rest by name."""
    first = ["id", "label", "label_de", "label_en", "kind", "kind_de", "type"]
    seen = sorted({k for _, d in graph.nodes(data=True) for k in d} - set(first))
    columns = [c for c in first if c == "id" or any(c in d for _, d in graph.nodes(data=True))] + seen
    rows = [{"id": str(n), **{k: _scalar(v) for k, v in d.items()}} for n, d in graph.nodes(data=True)]
    return columns, rows


def edge_table(graph: nx.Graph) -> tuple[list[str], list[dict]]:
    """Columns and rows of the edge table: `source`, `target` (and `key` for multigraphs), then attributes."""
    first = ["source", "target"] + (["key"] if graph.is_multigraph() else [])
    data_items = (graph.edges(keys=True, data=True) if graph.is_multigraph()
                  else ((u, v, None, d) for u, v, d in graph.edges(data=True)))
    rows = []
    for u, v, key, d in data_items:
        row = {"source": str(u), "target": str(v), **{k: _scalar(x) for k, x in d.items()}}
        if key is not None:
            row["key"] = str(key)
        rows.append(row)
    columns = first + sorted({k for r in rows for k in r} - set(first))
    return columns, rows


def write_graphml(graph: nx.Graph, path: Path) -> Path:
    """Write GraphML (readable by `networkx.read_graphml`, Gephi, Cytoscape, yEd)."""
    nx.write_graphml(exportable(graph), path, encoding="utf-8")
    return path


def write_gexf(graph: nx.Graph, path: Path) -> Path:
    """Write GEXF 1.2 (Gephi's own format)."""
    nx.write_gexf(exportable(graph), path, encoding="utf-8")
    return path


def write_csv_tables(graph: nx.Graph, folder: Path, stem: str = "graph") -> tuple[Path, Path]:
    """Write `<stem>-nodes.csv` and `<stem>-edges.csv` (UTF-8, header row) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, (columns, rows) in (("nodes", node_table(graph)), ("edges", edge_table(graph))):
        path = folder / f"{stem}-{suffix}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written[0], written[1]


def write_export(graph: nx.Graph, fmt: str, target: Path) -> list[Path]:
    """Write `graph` as `fmt` (graphml, gexf: `target` is the file; csv: `target` is a folder)."""
    if fmt == "graphml":
        return [write_graphml(graph, target)]
    if fmt == "gexf":
        return [write_gexf(graph, target)]
    if fmt == "csv":
        return list(write_csv_tables(graph, target))
    raise ValueError(f"export format {fmt!r} is not known; valid: {', '.join(EXPORT_FORMATS)}")
