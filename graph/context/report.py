"""Reconciliation of the context layer with the city's own data: questions for staff, never facts.

Curated places and context items are one entry when the place's `owl:sameAs` names the item
(`wd:Q…`). The report compares, for the home city (the `dct:spatial` of the city administration) and
for every pair of curated places, what the city's data says (its `hki:Partnership`s) with what the
context states (`wdt:P190`, directed, with `pq:P580` start years):

- `context-only`: the context states a twinning the city's data does not have;
- `other-type`: the context states a twinning where the city's data has a partnership of another kind
  (a city friendship, a project partnership);
- `curated-only`: a twin-city partnership of the city's data the context does not state (or whose
  partner has no Wikidata ID, so it cannot be compared);
- `one-sided`: only one of the two items states the twinning in the context;
- `year-conflict`: the start year of the city's data differs from the context's P580.

Each finding is worded as a question to check (`question(finding, lang)`); the staff page words it
through the gettext catalogues with the same parameters (api/routers/context.py).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from graph.context.importer import P190_PAGE, PQ, PS, WDT, P
from graph.store import KnowledgeStore
from graph.vocabulary import CV, DCT, OWL, RDFS, SCHEMA, SKOS, WIKIDATA
from ontology import HKI

TWIN_CITY = "https://w3id.org/hki/scheme/partnership-type/twin-city"
KINDS = ("context-only", "other-type", "curated-only", "one-sided", "year-conflict")


@dataclass(frozen=True)
class Entry:
    """One city as the report shows it: the curated place when there is one (with its Wikidata item),
    else the context item alone."""

    qid: str | None
    curated: str | None  # the curated place's IRI
    label_de: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_de if lang == "de" else self.label_en

    @property
    def wikidata(self) -> str | None:
        return WIKIDATA + self.qid if self.qid else None

    def as_json(self) -> dict:
        return {"label_de": self.label_de, "label_en": self.label_en, "qid": self.qid, "curated": self.curated,
                "wikidata": self.wikidata}


@dataclass(frozen=True)
class Finding:
    """Something to check about the pair (city, other)."""

    kind: str
    scope: str  # "home": the home city is one of the two; "partners": two curated partner places
    city: Entry
    other: Entry
    stated_by: tuple[str, ...] = ()  # the QIDs that state the twinning in the context
    curated_type: str | None = None  # the curated partnership's type (label de, en) for other-type
    curated_type_label: tuple[str, str] | None = None
    curated_years: tuple[int, ...] = ()
    context_years: tuple[int, ...] = ()

    def as_json(self, lang: str = "de") -> dict:
        return {"kind": self.kind, "scope": self.scope, "city": self.city.as_json(), "other": self.other.as_json(),
                "stated_by": list(self.stated_by), "curated_type": self.curated_type,
                "curated_years": list(self.curated_years), "context_years": list(self.context_years),
                "question": question(self, lang)}


@dataclass(frozen=True)
class ContextSource:
    """One import of the context: its label and retrieval date."""

    iri: str
    label: str
    retrieved: str | None
    via: tuple[str, ...] = ()  # where it came from besides Wikidata's P190 page (the endpoint, a repository)


@dataclass
class ReconciliationReport:
    home: Entry | None
    sources: list[ContextSource]
    matched: list[tuple[Entry, int]]  # curated places found in the context, with their number of context twins
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_context(self) -> bool:
        return bool(self.sources)

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def as_json(self, lang: str = "de") -> dict:
        return {"home": self.home.as_json() if self.home else None,
                "sources": [{"iri": s.iri, "label": s.label, "retrieved": s.retrieved, "via": list(s.via)}
                            for s in self.sources],
                "matched": [{**e.as_json(), "context_twins": n} for e, n in self.matched],
                "findings": [f.as_json(lang) for f in self.findings]}


# -------------------------------------------------------------------------------------------- wording

QUESTIONS = {
    "context-only": {
        "de": "Wikidata nennt {other} als Partnerstadt von {city}; in den Daten der Stadt fehlt sie. Prüfen?",
        "en": "Wikidata names {other} as a twin city of {city}; the city's own data does not have it. Check?"},
    "other-type": {
        "de": "Wikidata nennt {other} als Partnerstadt von {city}; in den Daten der Stadt ist es eine {type}. Prüfen?",
        "en": "Wikidata names {other} as a twin city of {city}; in the city's own data it is a {type}. Check?"},
    "curated-only": {
        "de": "In den Daten der Stadt ist {other} Partnerstadt von {city}; Wikidata nennt das nicht. "
              "Prüfen, ob Wikidata ergänzt werden sollte?",
        "en": "In the city's own data {other} is a twin city of {city}; Wikidata does not say so. "
              "Check whether Wikidata should be completed?"},
    "curated-only-no-id": {
        "de": "{other} ist in den Daten der Stadt Partnerstadt von {city}, hat dort aber keine Wikidata-ID; "
              "ein Abgleich ist nicht möglich. Wikidata-ID ergänzen?",
        "en": "{other} is a twin city of {city} in the city's own data but has no Wikidata ID there, so it cannot "
              "be compared. Add the Wikidata ID?"},
    "one-sided": {
        "de": "In Wikidata nennt nur {stater} die Partnerschaft mit {other}, nicht umgekehrt. Prüfen?",
        "en": "In Wikidata only {stater} states the twinning with {other}, not the other way round. Check?"},
    "year-conflict": {
        "de": "Die Daten der Stadt nennen {curated} als Beginn der Partnerschaft {city} – {other}, Wikidata {context}. "
              "Welches Jahr stimmt?",
        "en": "The city's own data gives {curated} as the start of the partnership {city} – {other}, Wikidata "
              "{context}. Which year is right?"},
}


def question_key(finding: Finding) -> str:
    if finding.kind == "curated-only" and finding.other.qid is None:
        return "curated-only-no-id"
    return finding.kind


def question_values(finding: Finding, lang: str) -> dict[str, str]:
    """The placeholders of a finding's question, in `lang`."""
    city, other = finding.city.label(lang), finding.other.label(lang)
    stater, target = city, other
    if finding.kind == "one-sided" and finding.stated_by and finding.stated_by[0] == finding.other.qid:
        stater, target = other, city
    type_label = ""
    if finding.curated_type_label:
        type_label = finding.curated_type_label[0 if lang == "de" else 1]
    return {"city": city, "other": target if finding.kind == "one-sided" else other, "stater": stater,
            "type": type_label, "curated": ", ".join(map(str, finding.curated_years)),
            "context": ", ".join(map(str, finding.context_years))}


def question(finding: Finding, lang: str = "de") -> str:
    """The finding as a question for staff ("Wikidata nennt … als Partnerstadt; … Prüfen?")."""
    return QUESTIONS[question_key(finding)][lang if lang in ("de", "en") else "de"].format(
        **question_values(finding, lang))


# -------------------------------------------------------------------------------------------- reading

def _qid(iri: str) -> str | None:
    return iri[len(WIKIDATA):] if iri.startswith(WIKIDATA) else None


def _year(lexical: str) -> int | None:
    text = lexical.lstrip("+")
    digits = text[1:].split("-", 1)[0] if text.startswith("-") else text.split("-", 1)[0]
    return int(digits) * (-1 if text.startswith("-") else 1) if digits.isdigit() else None


def reconcile(kstore: KnowledgeStore) -> ReconciliationReport:
    """The reconciliation report of the loaded store (an empty one when there is no context graph)."""
    data, context, vocab = kstore.graph("data"), kstore.graph("context"), kstore.graph("vocab")

    def select(sparql: str):
        return kstore.select(sparql, timeout=kstore.settings.statistics_timeout, trusted=True)

    sources = [ContextSource(r["i"].value, r["label"].value if "label" in r else r["i"].value,
                             r["issued"].value if "issued" in r else None,
                             tuple(sorted(v for v in (r["via"].value if "via" in r else "").split(" ") if v)))
               for r in select(f"""SELECT ?i (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?issued)
                                          (GROUP_CONCAT(DISTINCT STR(?s); SEPARATOR=" ") AS ?via)
                   WHERE {{ GRAPH <{context}> {{ ?i a <http://www.w3.org/ns/prov#Entity> .
                   OPTIONAL {{ ?i <{RDFS}label> ?l }} OPTIONAL {{ ?i <{DCT}issued> ?d }}
                   OPTIONAL {{ ?i <{DCT}source> ?s FILTER (?s != <{P190_PAGE}>) }} }} }} GROUP BY ?i ORDER BY ?i""")]
    # Curated places with their Wikidata item and labels.
    places: dict[str, dict] = {}
    for r in select(f"""SELECT ?place ?same ?de ?en WHERE {{ GRAPH <{data}> {{
            ?place a <{SCHEMA}City> .
            OPTIONAL {{ ?place <{OWL}sameAs> ?same FILTER (STRSTARTS(STR(?same), "{WIKIDATA}")) }}
            OPTIONAL {{ ?place <{RDFS}label> ?de FILTER (LANG(?de) = "de") }}
            OPTIONAL {{ ?place <{RDFS}label> ?en FILTER (LANG(?en) = "en") }} }} }}"""):
        place = places.setdefault(r["place"].value, {"qid": None, "de": None, "en": None})
        if "same" in r:
            place["qid"] = place["qid"] or _qid(r["same"].value)
        for lang in ("de", "en"):
            if lang in r:
                place[lang] = place[lang] or r[lang].value
    curated_by_qid = {p["qid"]: iri for iri, p in places.items() if p["qid"]}
    home_rows = select(f"""SELECT ?home WHERE {{ GRAPH <{data}> {{ ?org a <{CV}PublicOrganisation> ;
                                 <{DCT}spatial> ?home }} }} ORDER BY ?home LIMIT 1""")
    home_iri = home_rows[0]["home"].value if home_rows else None

    def curated_entry(iri: str) -> Entry:
        p = places.get(iri, {"qid": None, "de": None, "en": None})
        name = p["de"] or p["en"] or iri.rsplit("/", 1)[-1]
        return Entry(p["qid"], iri, p["de"] or name, p["en"] or name)

    home = curated_entry(home_iri) if home_iri else None
    if not sources:
        return ReconciliationReport(home, [], [])

    # Curated partnerships between two places: type and start years, by unordered pair of place IRIs.
    type_labels: dict[str, tuple[str, str]] = {}
    for r in select(f"""SELECT ?type ?de ?en WHERE {{ GRAPH <{vocab}> {{ ?type <{SKOS}prefLabel> ?de , ?en
                        FILTER (LANG(?de) = "de" && LANG(?en) = "en") }} }}"""):
        type_labels[r["type"].value] = (r["de"].value, r["en"].value)
    curated_pairs: dict[frozenset, dict] = {}
    for r in select(f"""SELECT ?p ?a ?b ?type ?start WHERE {{ GRAPH <{data}> {{
            ?p a <{HKI.Partnership}> ; <{HKI.partner}> ?a , ?b ; <{HKI.partnershipType}> ?type .
            OPTIONAL {{ ?p <{SCHEMA}startDate> ?start }} FILTER (STR(?a) < STR(?b)) }} }}"""):
        pair = frozenset((r["a"].value, r["b"].value))
        entry = curated_pairs.setdefault(pair, {"types": set(), "years": set()})
        entry["types"].add(r["type"].value)
        if "start" in r and (year := _year(r["start"].value)) is not None and r["type"].value == TWIN_CITY:
            entry["years"].add(year)

    # Context statements that touch the home city, or join two curated places.
    home_qid = home.qid if home else None
    watched = sorted(curated_by_qid)
    statements: dict[tuple[str, str], set[int]] = {}
    if watched:
        values = " ".join(f"<{WIKIDATA}{q}>" for q in watched)
        for r in select(f"""SELECT ?a ?b ?start WHERE {{ GRAPH <{context}> {{
                VALUES ?x {{ {values} }}
                {{ ?x <{WDT}P190> ?b BIND (?x AS ?a) }} UNION {{ ?a <{WDT}P190> ?x BIND (?x AS ?b) }}
                OPTIONAL {{ ?a <{P}P190> ?s . ?s <{PS}P190> ?b ; <{PQ}P580> ?start }} }} }}"""):
            a, b = _qid(r["a"].value), _qid(r["b"].value)
            if a is None or b is None:
                continue
            if not (home_qid in (a, b) or (a in curated_by_qid and b in curated_by_qid)):
                continue
            years = statements.setdefault((a, b), set())
            if "start" in r and (year := _year(r["start"].value)) is not None:
                years.add(year)
    # Context labels of the items that are no curated place.
    outside = sorted({q for pair in statements for q in pair if q not in curated_by_qid})
    context_labels: dict[str, dict[str, str]] = defaultdict(dict)
    if outside:
        values = " ".join(f"<{WIKIDATA}{q}>" for q in outside)
        for r in select(f"""SELECT ?x ?label WHERE {{ GRAPH <{context}> {{ VALUES ?x {{ {values} }}
                            ?x <{RDFS}label> ?label }} }}"""):
            labels = context_labels[_qid(r["x"].value)]
            lang = r["label"].language or ""
            labels.setdefault(lang, r["label"].value)

    def entry(qid: str) -> Entry:
        if qid in curated_by_qid:
            return curated_entry(curated_by_qid[qid])
        labels = context_labels.get(qid, {})
        untagged = labels.get("") or qid
        return Entry(qid, None, labels.get("de") or untagged, labels.get("en") or untagged)

    def scope_of(a: str, b: str) -> str:
        return "home" if home_qid in (a, b) else "partners"

    def ordered(a: str, b: str) -> tuple[str, str]:
        """(city, other): the home city first, else the curated place, else by label."""
        if b == home_qid or (b in curated_by_qid and a not in curated_by_qid):
            return b, a
        return a, b

    findings: list[Finding] = []
    pairs = sorted({frozenset(p) for p in statements}, key=lambda p: sorted(p))
    for pair in pairs:
        a, b = ordered(*sorted(pair))
        stated_by = tuple(q for q in (a, b) if (q, b if q == a else a) in statements)
        context_years = sorted(set().union(*(statements.get(k, set()) for k in ((a, b), (b, a)))))
        city, other = entry(a), entry(b)
        curated = curated_pairs.get(frozenset((city.curated, other.curated))) if city.curated and other.curated else None
        scope = scope_of(a, b)
        if curated is None:
            findings.append(Finding("context-only", scope, city, other, stated_by, context_years=tuple(context_years)))
            continue
        if TWIN_CITY not in curated["types"]:
            kind = sorted(curated["types"])[0]
            findings.append(Finding("other-type", scope, city, other, stated_by, kind, type_labels.get(kind, (kind, kind)),
                                    context_years=tuple(context_years)))
        if len(stated_by) == 1:
            findings.append(Finding("one-sided", scope, city, other, stated_by))
        if curated["years"] and context_years and not set(context_years) & curated["years"]:
            findings.append(Finding("year-conflict", scope, city, other, stated_by,
                                    curated_years=tuple(sorted(curated["years"])), context_years=tuple(context_years)))
    # Curated twin-city partnerships the context does not state.
    for pair, curated in sorted(curated_pairs.items(), key=lambda item: sorted(item[0])):
        if TWIN_CITY not in curated["types"]:
            continue
        a_iri, b_iri = sorted(pair)
        if b_iri == home_iri:
            a_iri, b_iri = b_iri, a_iri
        a, b = places.get(a_iri, {}).get("qid"), places.get(b_iri, {}).get("qid")
        if a and b and ((a, b) in statements or (b, a) in statements):
            continue
        scope = "home" if home_iri in pair else "partners"
        findings.append(Finding("curated-only", scope, curated_entry(a_iri), curated_entry(b_iri),
                                curated_years=tuple(sorted(curated["years"]))))
    order = {kind: i for i, kind in enumerate(KINDS)}
    findings.sort(key=lambda f: (f.scope != "home", order[f.kind], f.city.label_de, f.other.label_de))

    # The curated places that are in the context, one entry each, with their number of context twins.
    matched: list[tuple[Entry, int]] = []
    if watched:
        values = " ".join(f"<{WIKIDATA}{q}>" for q in watched)
        counts = {_qid(r["x"].value): int(r["n"].value) for r in select(
            f"""SELECT ?x (COUNT(DISTINCT ?y) AS ?n) WHERE {{ GRAPH <{context}> {{ VALUES ?x {{ {values} }}
                {{ ?x <{WDT}P190> ?y }} UNION {{ ?y <{WDT}P190> ?x }} }} }} GROUP BY ?x""")}
        present = {_qid(r["x"].value) for r in select(
            f"""SELECT DISTINCT ?x WHERE {{ GRAPH <{context}> {{ VALUES ?x {{ {values} }} ?x ?p ?o }} }}""")}
        for qid in watched:
            if qid in present:
                matched.append((curated_entry(curated_by_qid[qid]), counts.get(qid, 0)))
        matched.sort(key=lambda item: (item[0].qid != home_qid, item[0].label_de))
    return ReconciliationReport(home, sources, matched, findings)


__all__ = [
    "KINDS",
    "QUESTIONS",
    "ContextSource",
    "Entry",
    "Finding",
    "ReconciliationReport",
    "question",
    "question_key",
    "question_values",
    "reconcile",
]
