"""Answers to the world questions (`kg analyze candidates|network-stats|…`): a title, a table, notes in
plain words and the full JSON payload, which `graph.analysis.report.world_answer` wraps as an `Answer`.
Pure: takes a `WorldNetwork`, returns values.
"""
from __future__ import annotations

from dataclasses import asdict

from graph.analysis.metrics import DEFAULT_SEED
from graph.analysis.world_measures import (
    Candidate,
    candidates,
    home_position,
    network_statistics,
    partner_link_rows,
    partner_links,
    twinning_distances,
    world_communities,
)
from graph.analysis.world_network import WorldNetwork
from graph.analysis.world_reasons import reason

WORLD_QUESTIONS = {
    "candidates": "cities twinned with two or more of our twin cities (candidate partners), with the reason",
    "network-stats": "global statistics of the world's twin-city network (nodes, links, assortativity, distances)",
    "world-position": "the home city's degree, brokerage and reach among all cities and the German ones",
    "partner-links": "which of our twin cities are twinned with each other",
    "world-communities": "communities of the world network and where our twin cities sit",
    "twinning-distances": "great-circle distances of twinnings against random pairs",
}
NO_CONTEXT = ("the store holds no world context (the named graph {graph} is empty): import Wikidata's twin-city "
              "network first, e.g. `kg context import relations.tsv --names names.tsv` (see `kg context --help`)")


def context_note(net: WorldNetwork) -> str:
    return (f"World network: {net.graph.number_of_nodes():,} items and {net.graph.number_of_edges():,} twinnings "
            f"({net.context_links:,} Wikidata statements, merged with the city's own data: a curated city and its "
            "Wikidata item are one entry).")


def candidate_payload(candidate: Candidate, home: str, home_de: str) -> dict:
    """One candidate as JSON: its fields, how many partners it shares, and the reason in both languages."""
    return {**asdict(candidate), "count": candidate.count, "curated_partners": candidate.curated_partners,
            "reason_de": reason(candidate, home_de, "de"), "reason_en": reason(candidate, home, "en")}


def world_parts(net: WorldNetwork, question: str, top: int | None = None, seed: int = DEFAULT_SEED,
                exact: bool = False) -> tuple[str, list[dict], list[str], object]:
    """(title, rows, notes, data) answering one of `WORLD_QUESTIONS`; ValueError naming what is valid, or
    saying that no context is loaded."""
    if question not in WORLD_QUESTIONS:
        raise ValueError(f"unknown world analysis {question!r}; valid: {', '.join(WORLD_QUESTIONS)}")
    if not net.has_context:
        raise ValueError(NO_CONTEXT.format(graph="…/graph/context"))
    home = net.label(net.home) if net.home else "the home city"
    home_de = net.label(net.home, "de") if net.home else "die Heimatstadt"
    first = [context_note(net)]
    if question == "network-stats":
        found = network_statistics(net, seed=seed, exact=exact)
        return ("Global statistics of the world's twin-city network", found.rows(),
                      first + [f"Distances: {found.distance_method}."], found)
    if question == "world-position":
        found = home_position(net, seed=seed)
        return (f"{home} in the world's twin-city network", found.rows(),
                      first + [f"Germany: {found.germany_basis}.", f"Brokerage {found.broker_method}.",
                               "Reach counts the items within 2 and 3 twinning steps; a rank of 1 is the highest."],
                      found)
    if question == "partner-links":
        found = partner_links(net)
        partners = net.partners()
        return (f"Twin cities of {home} twinned with each other", partner_link_rows(found),
                      first + [f"{len(found)} pairs among {len(partners)} twin cities of {home} "
                               f"({sum(1 for s in partners.values() if s == 'wikidata')} of them only according to "
                               "Wikidata). 'curated': the city's own data; 'wikidata': only Wikidata; 'both': both."],
                      found)
    if question == "candidates":
        found = candidates(net)
        shown = found[:top] if top else found
        rows = [{"rank": c.rank, "candidate": c.label, "shared partners": c.count,
                 "of them in our data": c.curated_partners, "reason": reason(c, home, "en"),
                 "Begründung": reason(c, home_de, "de"), "qid": c.qid or ""} for c in shown]
        return (f"Candidate partners of {home}", rows,
                      first + [f"{len(found)} items are twinned with two or more of {home}'s twin cities and are not yet "
                               f"partners; ranked by how many, ties by name. A partner marked 'only according to "
                               "Wikidata' is not in the city's own data: check before you rely on it."],
                      [candidate_payload(c, home, home_de) for c in shown])
    if question == "world-communities":
        found = world_communities(net, seed=seed)
        rows = found.rows()
        home_in = next((c for c in found.communities if c.has_home), None)
        notes = first + [f"{found.count} communities, modularity {found.modularity:.3f} (Louvain, seed {found.seed})."]
        if home_in is not None:
            notes.append(f"{home} is in community {home_in.number} ({home_in.size:,} items) with "
                         f"{len(home_in.partners)} of its {len(found.partner_communities)} twin cities.")
        return ("Communities of the world's twin-city network", rows[:top] if top else rows, notes,
                      {**asdict(found), "communities": [asdict(c) for c in (found.communities[:top] if top
                                                                             else found.communities)]})
    found = twinning_distances(net, seed=seed)
    return ("Great-circle distances of twinnings and of random pairs", found.rows(),
                  first + [found.note[0].upper() + found.note[1:] + "."], found)
