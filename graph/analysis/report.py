"""Answers to the analysis questions as tables, CSV and JSON text: what `kg analyze` prints.

Pure: takes projections, returns values and strings; the command line only prints them.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field, is_dataclass

from graph.analysis import Projections
from graph.analysis.metrics import DEFAULT_SEED, as_rows, brokers, communities, core, fragile_links, hubs, influence
from graph.analysis.paths import connections
from graph.analysis.sdg import coverage_rows, gaps, sdg_co_occurrence, sdg_coverage
from graph.analysis.world_report import WORLD_QUESTIONS, world_parts

QUESTIONS = {
    "hubs": "who has the most direct links",
    "brokers": "who lies on the paths between others",
    "influence": "who is linked to the well-linked",
    "communities": "which groups belong together",
    "fragile": "which links and nodes everything hangs on",
    "core": "the densely knit centre",
    "path": "how two resources are connected (give A and B)",
    "sdg-coverage": "which SDGs each goal and measure addresses",
    "co-occurrence": "which SDGs are addressed together",
    "gaps": "SDGs, goals and partners without measures",
    **WORLD_QUESTIONS,
}


@dataclass
class Answer:
    """One question's answer: a title, a table, sentences to show with it, and the full JSON payload."""

    question: str
    title: str
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    data: object = None


def _payload(value):
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, list):
        return [_payload(v) for v in value]
    return value


def answer(views: Projections, question: str, names: tuple[str, ...] = (), top: int | None = None,
           network: str = "full", seed: int = DEFAULT_SEED) -> Answer:
    """Answer one of `QUESTIONS` on the projections. Raises ValueError naming what is valid."""
    if question not in QUESTIONS:
        raise ValueError(f"unknown analysis {question!r}; valid: {', '.join(QUESTIONS)}")
    if question in WORLD_QUESTIONS:
        raise ValueError(f"{question!r} is about the world network: answer it with world_answer(read_world_network(store), …)")
    if question == "path":
        if len(names) != 2:
            raise ValueError(f"'path' needs two resources, A and B (IRIs or labels); got {len(names)}: {list(names)}")
    elif names:
        raise ValueError(f"{question!r} takes no resource names; got {list(names)} (only 'path' does)")
    graph = views.undirected(network)
    where = "the partner network" if network == "partners" else "the whole graph"
    if question in ("hubs", "brokers", "influence"):
        ranking = {"hubs": hubs, "brokers": lambda g, top: brokers(g, top, seed=seed), "influence": influence}[question](graph, top)
        notes = [ranking.explanation] + ([f"Brokerage {ranking.note}."] if question == "brokers" else [])
        return Answer(question, f"{question.capitalize()} of {where}", ranking.rows(), notes, ranking)
    if question == "communities":
        found = communities(graph, seed=seed)
        rows = found.rows()[:top] if top else found.rows()
        return Answer(question, f"Communities of {where}", rows,
                      [f"{len(found.communities)} communities, modularity {found.modularity:.3f} "
                       f"(Louvain, seed {found.seed}; above about 0.3 the groups are clearly there)."],
                      {"modularity": found.modularity, "seed": found.seed, "communities": _payload(found.communities)})
    if question == "fragile":
        fragility = fragile_links(graph)
        rows = fragility.rows()
        return Answer(question, f"Fragile links and cut points of {where}", rows[:top] if top else rows,
                      [f"{len(fragility.links)} links and {len(fragility.cut_points)} nodes are the only connection "
                       "between parts of the network; 'cut off' counts the nodes each one alone keeps connected."],
                      fragility)
    if question == "core":
        centre = core(graph)
        return Answer(question, f"Core of {where}", centre.rows(),
                      [f"The innermost core is the {centre.k}-core: {len(centre.members)} nodes, each linked to at "
                       f"least {centre.k} others of them."],
                      {"k": centre.k, "members": centre.members, "member_labels": centre.member_labels})
    if question == "path":
        found = connections(views.full, names[0], names[1], limit=top or 3)
        return Answer(question, f"How {found[0].source_label} and {found[0].target_label} are connected",
                      found[0].rows(), [line for c in found for line in (c.sentence_en, c.sentence_de)], found)
    if question == "sdg-coverage":
        coverage = sdg_coverage(views.full)
        rows = coverage_rows(coverage)
        return Answer(question, "SDGs addressed by each goal and measure", rows[:top] if top else rows, [], coverage)
    if question == "co-occurrence":
        _, pairs = sdg_co_occurrence(views.full)
        return Answer(question, "SDGs addressed together", as_rows(pairs[:top] if top else pairs), [], pairs)
    found_gaps = gaps(views.full)
    rows = found_gaps.rows()
    return Answer(question, "Gaps: what no measure covers", rows[:top] if top else rows, [], found_gaps)


def world_answer(net, question: str, top: int | None = None, seed: int = DEFAULT_SEED, exact: bool = False) -> Answer:
    """Answer one of the world questions (`WORLD_QUESTIONS`) on a `graph.analysis.world_network.WorldNetwork`."""
    title, rows, notes, data = world_parts(net, question, top=top, seed=seed, exact=exact)
    return Answer(question, title, rows, notes, data)


def to_csv(rows: list[dict]) -> str:
    """The rows as CSV text with a header row (columns in first-seen order)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def to_json(result: Answer) -> str:
    """The answer as JSON: question, title, notes, rows and the full result."""
    return json.dumps({"question": result.question, "title": result.title, "notes": result.notes,
                       "rows": result.rows, "result": _payload(result.data)}, ensure_ascii=False, indent=2)
