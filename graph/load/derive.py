"""Shortcuts derived from the n-ary data at build time, so simple queries stay simple.

- `hki:twinnedWith`: symmetric, between every two partners of a partnership of type twin-city.
- `org:memberOf`: from every `org:Membership` (member → organisation) backed by its source: a membership
  marked unverified or conflicting (e.g. EUROCITIES, whose joining is decided but not documented) stays
  only as the n-ary `org:Membership` with its status, so the plain shortcut never states it as fact.
- `hki:startYear` / `hki:endYear`: the year of `schema:startDate` / `schema:endDate` as an
  `xsd:integer`, whatever the date's precision (`xsd:gYear`, `xsd:gYearMonth`, `xsd:date`,
  `xsd:dateTime`). SPARQL's YEAR() is defined on `xsd:dateTime` only: Oxigraph extends it to the
  other date types, rdflib answers unbound for `xsd:gYear` and `xsd:gYearMonth`, so year
  arithmetic on the dates is not portable; on these integers it is (docs/modelling.md, "Years").
Data files never state these; the shapes and tests rely on them being generated here.
"""
from __future__ import annotations

import pyoxigraph as ox

from ontology import PREFIXES

# The date types a start or end may have (the shapes allow the first three in data files).
DATE_TYPES = ("xsd:gYear", "xsd:gYearMonth", "xsd:date", "xsd:dateTime")


def _year_of(date: str, year: str) -> str:
    # Oxigraph's YEAR() reads every one of DATE_TYPES (the build always runs on Oxigraph); a value of
    # another type, or an ill-formed one, gets no year rather than a wrong one.
    return f"""
        PREFIX hki: <{PREFIXES["hki"]}>
        PREFIX schema: <{PREFIXES["schema"]}>
        PREFIX xsd: <{PREFIXES["xsd"]}>
        CONSTRUCT {{ ?thing {year} ?year }}
        WHERE {{
          ?thing {date} ?date .
          FILTER (DATATYPE(?date) IN ({", ".join(DATE_TYPES)}))
          BIND (YEAR(?date) AS ?year)
          FILTER (BOUND(?year))
        }}"""


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
        WHERE {{ ?m a org:Membership ; org:member ?member ; org:organization ?organisation .
                 FILTER NOT EXISTS {{ ?m <{PREFIXES["hki"]}verificationStatus> ?status
                                     FILTER (?status != <https://w3id.org/hki/scheme/verification-status/verified>) }} }}""",
    "startYear": _year_of("schema:startDate", "hki:startYear"),
    "endYear": _year_of("schema:endDate", "hki:endYear"),
}


def derived_statements(store: ox.Store) -> list[ox.Triple]:
    """The derived triples for the data currently in `store` (sorted, so builds are reproducible)."""
    triples: set[ox.Triple] = set()
    for sparql in DERIVATIONS.values():
        triples.update(store.query(sparql, use_default_graph_as_union=True))
    return sorted(triples, key=str)
