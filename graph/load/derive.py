"""Shortcuts derived from the n-ary data at build time, so simple queries stay simple.

- `hki:twinnedWith`: symmetric, between every two partners of a partnership of type twin-city.
- `org:memberOf`: from every `org:Membership` (member → organisation).
Data files never state these; the shapes and tests rely on them being generated here.
"""
from __future__ import annotations

import pyoxigraph as ox

from ontology import PREFIXES

DERIVATIONS = {
    "twinnedWith": f"""
        PREFIX hki: <{PREFIXES["hki"]}>
        CONSTRUCT {{ ?a hki:twinnedWith ?b }}
        WHERE {{
          ?p a hki:Partnership ;
             hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> ;
             hki:partner ?a , ?b .
          FILTER (?a != ?b)
        }}""",
    "memberOf": f"""
        PREFIX org: <{PREFIXES["org"]}>
        CONSTRUCT {{ ?member org:memberOf ?organisation }}
        WHERE {{ ?m a org:Membership ; org:member ?member ; org:organization ?organisation . }}""",
}


def derived_statements(store: ox.Store) -> list[ox.Triple]:
    """The derived triples for the data currently in `store` (sorted, so builds are reproducible)."""
    triples: set[ox.Triple] = set()
    for sparql in DERIVATIONS.values():
        triples.update(store.query(sparql, use_default_graph_as_union=True))
    return sorted(triples, key=str)
