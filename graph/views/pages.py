"""What pages for people show, as plain dataclasses: a resource's facts, the classes and schemes with
their counts, the action concept's timeline (the list pages and the SDG overview: graph/views/lists.py).

Three layers, as in pyLODE: fixed SPARQL queries over the store (through `KnowledgeStore.select`) →
these dataclasses → the templates in api/, which never see a graph. Texts are chosen for one
language (`lang`: "de" or "en"); IRIs stay IRIs here, the router turns them into links.
"""
from __future__ import annotations

import logging
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
from babel.dates import get_month_names

from graph.views.describe import Description
from graph.views.entities import EntityCatalogue, LabelIndex, sparql_iri
from graph.views.world import WorldViews
from graph.store import EndpointUnavailable, KnowledgeStore, QueryBusy, QueryOutOfMemory, QueryTimeout
from graph.vocabulary import (CV, DCAT, DCT, FOAF, GEO, GEONAMES, HKI, ORG, OWL, RDF, RDFS, SCHEMA, SD, SDG,
                              SKOS, VOID, WGS, WIKIDATA, XSD, inverse_name, term_name)

RDF_TYPE = RDF + "type"
VSTAT = "verification-status/"


def month_name(month: int, lang: str) -> str:
    """The month's name in the page language, from the CLDR data Babel ships ("Februar", "February")."""
    return get_month_names("wide", locale=lang)[month]

# Shown elsewhere on the page (heading, notices, sources, links out, map), not in the list of facts.
SHOWN_APART = {RDFS + "label", SKOS + "prefLabel", RDF_TYPE, DCT + "source", OWL + "sameAs",
               SKOS + "editorialNote", str(HKI.verificationStatus), str(HKI.wikidataIdStatus), DCT + "description",
               FOAF + "homepage", FOAF + "page", WGS + "lat", WGS + "long", GEO + "hasGeometry",
               str(HKI.startYear), str(HKI.endYear)}  # the derived integer years repeat the dates shown
# Links from the dataset's own description (VoID/DCAT) are true but mean nothing to a reader of a page.
HIDDEN_INCOMING_NAMESPACES = (VOID, DCAT, SD)
# Dates shown under a resource's heading too, in this order.
KEY_DATES = [SCHEMA + "startDate", SCHEMA + "endDate", SCHEMA + "foundingDate", DCT + "date", DCT + "dateAccepted"]
# Facts for machines, not for people: kept out of the main view, in the technical details.
TECHNICAL = {GEO + "asWKT"}
# Facts whose values may come from several concept schemes that mean different things (the action concept's
# own four fields of action and the one field of "Mein Hannover 2030" it belongs to): one fact per scheme.
SPLIT_BY_SCHEME = {str(HKI.fieldOfAction)}
# Facts in this order first; the rest alphabetically by their name.
FACT_ORDER = [DCT + "title", SKOS + "notation", DCT + "identifier", str(HKI.partnershipType), str(HKI.partner),
              ORG + "member", ORG + "organization", SCHEMA + "startDate", SCHEMA + "endDate", SCHEMA + "foundingDate",
              DCT + "date", SCHEMA + "containedInPlace", ORG + "classification", DCT + "subject",
              str(HKI.measureStatus), str(HKI.projectStatus), SKOS + "inScheme", SKOS + "note", SKOS + "altLabel"]



def optional(part: Callable[[], object], default: object) -> object:
    """A part of a page the page can do without (a map, a timeline, counts beside the main content): its
    value, or `default` when the store could not answer in time, was busy or unreachable. The page still
    shows its main content; a failure of the main content is the error table's (api/web/errors.py)."""
    try:
        return part()
    except (QueryTimeout, QueryBusy, EndpointUnavailable, QueryOutOfMemory) as exc:
        logging.getLogger("hki.pages").warning("a page part was left out: %s", exc)
        return default

@dataclass(frozen=True)
class Value:
    """One value of a fact: a resource (iri set) or a literal (text only)."""

    text: str
    iri: str | None = None
    known: bool = False  # the graph describes it, so it has a page here
    lang: str = ""


@dataclass(frozen=True)
class Fact:
    predicate: str
    name: str
    values: list[Value]


@dataclass(frozen=True)
class Neighbour:
    iri: str
    label: str
    group: str
    predicate_name: str
    direction: str  # "out" or "in"


@dataclass
class ResourceView:
    iri: str
    label: str
    other_label: str
    types: list[Value]
    description: str
    facts: list[Fact]
    incoming: list[Fact]
    incoming_total: int
    incoming_shown: int
    sources: list[Value]
    links_out: list[Value]
    status: Value | None
    notes: list[str]
    lat: float | None = None
    lon: float | None = None
    neighbours: list[Neighbour] = field(default_factory=list)
    is_scheme: bool = False
    is_action_concept: bool = False
    # The dates a reader looks for first (start, end, founded, date), repeated under the heading.
    key_dates: list[Fact] = field(default_factory=list)
    # Facts only a developer needs (a geometry's WKT): shown in the "Technical details" disclosure.
    technical: list[Fact] = field(default_factory=list)
    # The last part of a partner city's IRI (<base>id/city/<key>) when it has a printable profile, else "".
    profile_key: str = ""
    # A partner city's partnerships with the home city, shown under its heading: (partnership, start in words,
    # how precise the start is: "day", "month", "year" or "" when the data has none).
    partnerships: list[tuple[Value, str, str]] = field(default_factory=list)
    # The home city's page only: candidate partners from the world network (graph/views/world.py), or None.
    candidates: object = None


def format_literal(literal: ox.Literal, lang: str) -> str:
    """Dates in words ("14. Februar 2019" / "14 February 2019", "April 2017"); everything else as written."""
    datatype = literal.datatype.value if literal.datatype else ""
    value = literal.value
    if datatype == XSD + "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        year, month, day = value.split("-")
        name = month_name(int(month), lang)
        return f"{int(day)}. {name} {year}" if lang == "de" else f"{int(day)} {name} {year}"
    if datatype == XSD + "gYearMonth" and re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = value.split("-")
        return f"{month_name(int(month), lang)} {year}"
    return value


def source_text(url: str) -> str:
    """A web address as people read it: host and the decoded end of the path."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = urllib.parse.unquote(parts.path).rstrip("/")
    tail = path.rsplit("/", 1)[-1] if path else ""
    if len(path.split("/")) > 2 and tail:
        return f"{host} › … › {tail}"
    return f"{host}{path}" if path else host


class PageViews:
    """Builds the dataclasses the pages show, over one store."""

    def __init__(self, store: KnowledgeStore, catalogue: EntityCatalogue | None = None):
        self.store = store
        self.base = store.settings.base
        self.catalogue = catalogue or EntityCatalogue(store)
        self.world = WorldViews(store)  # the world network, read on the home city page's first visit

    def _select(self, sparql: str) -> list[dict]:
        return self.store.select(sparql, timeout=self.store.settings.page_query_timeout, trusted=True)

    @property
    def index(self) -> LabelIndex:
        return self.catalogue.index()

    # -- names
    def name(self, iri: str, lang: str) -> str:
        """The label of `iri` in `lang`: a standard term's plain name, else the graph's label."""
        return term_name(iri, lang) or self.index.get(iri).label(lang)

    def known(self, iri: str) -> bool:
        return iri in self.index.entities

    def value(self, term: ox.NamedNode | ox.Literal | ox.BlankNode, lang: str) -> Value:
        if isinstance(term, ox.NamedNode):
            return Value(self.name(term.value, lang), term.value, self.known(term.value))
        if isinstance(term, ox.Literal):
            return Value(format_literal(term, lang), lang=term.language or "")
        return Value(str(term))

    def group(self, iri: str) -> str:
        """A short word for what kind of thing `iri` is (colours in the neighbourhood view)."""
        types = self.index.get(iri).types
        for type_iri, word in ((SCHEMA + "City", "city"), (str(HKI.Partnership), "partnership"),
                               (ORG + "Membership", "membership"), (str(HKI.Measure), "measure"),
                               (str(HKI.Goal), "goal"), (ORG + "Organization", "organisation"),
                               (str(HKI.CouncilPaper), "document"), (str(HKI.Milestone), "milestone"),
                               (str(HKI.PlannedPhase), "milestone"), (str(HKI.ActualEvent), "milestone")):
            if type_iri in types:
                return word
        if iri.startswith(SDG):
            return "sdg"
        return "other"

    # -- one resource
    def resource(self, description: Description, lang: str) -> ResourceView:
        iri = description.iri
        own = [t for t in description.triples if t.subject.value == iri]
        by_predicate: dict[str, list] = defaultdict(list)
        for t in own:
            by_predicate[t.predicate.value].append(t.object)
        entity = self.index.get(iri)
        label = entity.label(lang)
        other = entity.label("en" if lang == "de" else "de")

        def texts(predicate: str) -> list[str]:
            literals = [o for o in by_predicate.get(predicate, []) if isinstance(o, ox.Literal)]
            chosen = [o for o in literals if o.language == lang] or [o for o in literals if not o.language] or literals
            return [o.value for o in chosen]

        facts: list[Fact] = []
        technical: list[Fact] = []
        schemes = self._schemes_of(by_predicate)
        for predicate, objects in by_predicate.items():
            if predicate in SHOWN_APART or (predicate == DCT + "title" and texts(predicate) == [label]):
                continue
            literals = [o for o in objects if isinstance(o, ox.Literal)]
            chosen_literals = [o for o in literals if o.language == lang] or [o for o in literals if not o.language] \
                or literals
            resources = [o for o in objects if not isinstance(o, ox.Literal)]
            name = capitalised(self.name(predicate, lang))
            if predicate in TECHNICAL:
                technical.append(Fact(predicate, name, [self.value(o, lang) for o in chosen_literals]))
                continue
            # One fact per concept scheme, named by the scheme, so a list never mixes them under one heading.
            by_scheme: dict[str, list] = defaultdict(list)
            for o in resources:
                by_scheme[schemes.get(o.value, "")].append(o)
            if predicate in SPLIT_BY_SCHEME and len(by_scheme) > 1 and "" not in by_scheme:
                for scheme, members in sorted(by_scheme.items(), key=lambda item: -len(item[1])):
                    group = sorted((self.value(o, lang) for o in members), key=lambda v: v.text.casefold())
                    facts.append(Fact(predicate, capitalised(self.name(scheme, lang)), group))
                if not chosen_literals:
                    continue
                resources = []
            values = [self.value(o, lang) for o in resources]
            values = sorted(values, key=lambda v: v.text.casefold()) + [self.value(o, lang) for o in chosen_literals]
            facts.append(Fact(predicate, name, values))
        order = {p: i for i, p in enumerate(FACT_ORDER)}
        facts.sort(key=lambda f: (order.get(f.predicate, len(order)), f.name.casefold()))
        key_dates = [f for p in KEY_DATES for f in facts if f.predicate == p]

        incoming_by: dict[str, list[Value]] = defaultdict(list)
        outgoing = {(t.predicate.value, t.object.value) for t in own if isinstance(t.object, ox.NamedNode)}
        for t in description.triples:
            if t.object == ox.NamedNode(iri) and t.subject.value != iri:
                if t.predicate.value.startswith(HIDDEN_INCOMING_NAMESPACES):
                    continue
                if (t.predicate.value, t.subject.value) in outgoing:
                    continue  # a symmetric link (twinnedWith) is shown once, among the facts
                incoming_by[t.predicate.value].append(self.value(t.subject, lang))
        incoming = [Fact(p, capitalised(inverse_name(p, lang) or self.name(p, lang)),
                         sorted(vs, key=lambda v: v.text.casefold()))
                    for p, vs in incoming_by.items()]
        incoming.sort(key=lambda f: f.name.casefold())

        status_iri = next((o.value for o in by_predicate.get(str(HKI.verificationStatus), [])), None)
        status = None
        if status_iri and not status_iri.endswith("/verified"):
            status = Value(self.name(status_iri, lang), status_iri, True)
        id_status = next((o.value for o in by_predicate.get(str(HKI.wikidataIdStatus), [])
                          if isinstance(o, ox.NamedNode)), None)
        links_out = [self._link_out(o.value, lang, id_status) for o in by_predicate.get(OWL + "sameAs", [])]
        links_out += [Value(self.name(p, lang) + ": " + source_text(o.value), o.value)
                      for p in (FOAF + "homepage", FOAF + "page") for o in by_predicate.get(p, [])]
        if iri.startswith(SDG):
            links_out.insert(0, Value("UN: " + source_text(iri), iri))
        lat = _number(by_predicate.get(WGS + "lat"))
        lon = _number(by_predicate.get(WGS + "long"))
        types = [self.value(o, lang) for o in by_predicate.get(RDF_TYPE, []) if isinstance(o, ox.NamedNode)]
        profile_key = self._profile_key(iri, description)
        return ResourceView(
            iri=iri, label=label, other_label=other if other != label else "",
            types=sorted(types, key=lambda v: v.text), description=" ".join(texts(DCT + "description")),
            facts=facts, incoming=incoming, incoming_total=description.incoming_total,
            incoming_shown=description.incoming_shown,
            sources=[Value(source_text(o.value), o.value) for o in by_predicate.get(DCT + "source", [])
                     if isinstance(o, ox.NamedNode)],
            links_out=links_out, status=status, notes=texts(SKOS + "editorialNote"), lat=lat, lon=lon,
            neighbours=self._neighbours(iri, description, lang),
            is_scheme=SKOS + "ConceptScheme" in {v.iri for v in types},
            is_action_concept=str(HKI.ActionConcept) in {v.iri for v in types},
            key_dates=key_dates, technical=technical, profile_key=profile_key,
            partnerships=self._partnerships_of(iri, lang) if profile_key else [],
            candidates=self._candidates(iri, lang))

    def _schemes_of(self, by_predicate: dict[str, list]) -> dict[str, str]:
        """The concept scheme of each SKOS concept among the values (for facts that mix schemes)."""
        concepts = sorted({o.value for p in SPLIT_BY_SCHEME for o in by_predicate.get(p, [])
                           if isinstance(o, ox.NamedNode)})
        if len(concepts) < 2:
            return {}
        chunk = " ".join(sparql_iri(c) for c in concepts[:200])
        rows = optional(lambda: self._select(f"SELECT ?c ?s WHERE {{ VALUES ?c {{ {chunk} }} ?c <{SKOS}inScheme> ?s }}"), [])
        found: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            found[r["c"].value].add(r["s"].value)
        return {c: next(iter(s)) for c, s in found.items() if len(s) == 1}

    def _partnerships_of(self, city: str, lang: str) -> list[tuple[Value, str, str]]:
        """The partnerships a city is partner in, with their start (in words) and its precision, oldest first."""
        rows = optional(lambda: self._select(f"""SELECT ?p ?start WHERE {{ ?p a <{HKI.Partnership}> ;
            <{HKI.partner}> {sparql_iri(city)} OPTIONAL {{ ?p <{SCHEMA}startDate> ?start }} }}"""), [])
        precision = {XSD + "date": "day", XSD + "gYearMonth": "month", XSD + "gYear": "year"}
        out = []
        for r in rows:
            start = r.get("start")
            kind = precision.get(start.datatype.value, "") if isinstance(start, ox.Literal) and start.datatype else ""
            out.append((start.value if start is not None else "9999", self.value(r["p"], lang),
                        format_literal(start, lang) if start is not None else "", kind))
        return [(v, text, kind) for _, v, text, kind in sorted(out, key=lambda row: (row[0], row[1].text))]

    def _profile_key(self, iri: str, description: Description) -> str:
        """`key` of <base>id/city/<key> when the city is a partner of the home city (it then has a printable
        profile, graph/views/profile.py), else ""."""
        prefix = self.base + "id/city/"
        key = iri[len(prefix):] if iri.startswith(prefix) else ""
        if not key or "/" in key or SCHEMA + "City" not in self.index.get(iri).types:
            return ""
        partnerships = {t.subject.value for t in description.triples
                        if t.predicate.value == str(HKI.partner) and t.object == ox.NamedNode(iri)}
        if not partnerships or iri in optional(self.home_places, set()):
            return ""
        return key

    def _link_out(self, iri: str, lang: str, wikidata_status: str | None = None) -> Value:
        """A link to another dataset, named in words; a Wikidata link says how well its ID is backed
        ("Wikidata Q6730 – unbestätigt: eine einzige Quelle Dritter") when hki:wikidataIdStatus says so."""
        if iri.startswith(WIKIDATA):
            text = "Wikidata " + iri.rsplit("/", 1)[-1]
            if wikidata_status and not wikidata_status.endswith("/verified"):
                text += " – " + self.status_words(wikidata_status, lang)
            return Value(text, iri)
        if iri.startswith(GEONAMES):
            return Value("GeoNames " + iri.rstrip("/").rsplit("/", 1)[-1], iri)
        return Value(source_text(iri), iri)  # host and page, never the raw address

    def status_words(self, status: str, lang: str) -> str:
        """A verification status in the page language, with its broader status first when it has one:
        "unbestätigt: eine einzige Quelle Dritter" / "unverified: single third-party source"."""
        query = f"SELECT ?broader WHERE {{ {sparql_iri(status)} <{SKOS}broader> ?broader }}"
        rows = optional(lambda: self._select(query), [])
        broader = sorted(self.name(r["broader"].value, lang) for r in rows if isinstance(r["broader"], ox.NamedNode))
        return ": ".join([*broader[:1], self.name(status, lang)])

    def _neighbours(self, iri: str, description: Description, lang: str) -> list[Neighbour]:
        skip = {RDF_TYPE, DCT + "source", OWL + "sameAs", str(HKI.verificationStatus), str(HKI.wikidataIdStatus),
                str(HKI.sdgMappingBasis), SKOS + "inScheme", SKOS + "topConceptOf", RDFS + "isDefinedBy",
                GEO + "hasGeometry"}
        seen: dict[str, Neighbour] = {}
        for t in description.triples:
            if t.predicate.value in skip or t.predicate.value.startswith(HIDDEN_INCOMING_NAMESPACES):
                continue
            if t.subject.value == iri and isinstance(t.object, ox.NamedNode) and self.known(t.object.value):
                other, direction = t.object.value, "out"
            elif t.object == ox.NamedNode(iri) and isinstance(t.subject, ox.NamedNode) and t.subject.value != iri:
                other, direction = t.subject.value, "in"
            else:
                continue
            if other not in seen and len(seen) < 60:
                seen[other] = Neighbour(other, self.name(other, lang), self.group(other),
                                        self.name(t.predicate.value, lang), direction)
        return list(seen.values())

    def _candidates(self, iri: str, lang: str):
        """Candidate partners for the home city's page (the world network is read on its first visit only)."""
        if iri not in self.home_places():
            return None
        return optional(lambda: self.world.candidates_section(iri, lang), None)

    def home_places(self) -> set[str]:
        """The city (or cities) of the city administration, which the partner-city list leaves out."""
        rows = self._select(f"SELECT DISTINCT ?place WHERE {{ ?org a <{CV}PublicOrganisation> ; "
                            f"<{DCT}spatial> ?place }}")
        return {r["place"].value for r in rows}

    # -- lists
    def classes(self, lang: str) -> list[tuple[str, str, int]]:
        """Every class with instances in the data: (IRI, name, count), largest first."""
        rows = self._select(f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{self.store.graph('data')}> "
                            f"{{ ?s a ?c }} }} GROUP BY ?c")
        out = [(r["c"].value, self.name(r["c"].value, lang), int(r["n"].value)) for r in rows]
        return sorted(out, key=lambda row: (-row[2], row[1]))

    def schemes(self, lang: str) -> list[tuple[str, str, int]]:
        rows = self._select(f"SELECT ?s (COUNT(?c) AS ?n) WHERE {{ ?s a <{SKOS}ConceptScheme> "
                            f"OPTIONAL {{ ?c <{SKOS}inScheme> ?s }} }} GROUP BY ?s")
        out = [(r["s"].value, self.name(r["s"].value, lang), int(r["n"].value)) for r in rows]
        return sorted(out, key=lambda row: row[1].casefold())

    def concepts(self, scheme: str, lang: str) -> list[dict]:
        ref = sparql_iri(scheme)
        rows = self._select(f"""SELECT ?c (SAMPLE(?n) AS ?notation) WHERE {{ ?c <{SKOS}inScheme> {ref}
                                 OPTIONAL {{ ?c <{SKOS}notation> ?n }} }} GROUP BY ?c""")
        out = []
        for r in rows:
            c = r["c"].value
            notation = r["notation"].value if "notation" in r else ""
            out.append({"iri": c, "label": self.index.get(c).label(lang), "notation": notation})
        return sorted(out, key=lambda row: (_natural(row["notation"]), row["label"].casefold()))

    # -- the action concept's timeline
    def timeline(self, concept: str, lang: str) -> list[dict]:
        """Milestones of an action concept: planned phases and actual events, with dates, sorted by start."""
        ref = sparql_iri(concept)
        rows = self._select(f"""SELECT DISTINCT ?m ?kind ?start ?end WHERE {{
            {{ {ref} <{HKI.milestone}> ?m }} UNION {{ {ref} <{HKI.publicParticipation}> ?m }}
            UNION {{ ?measure <{HKI.implementsConcept}> {ref} ; <{HKI.milestone}> ?m }}
            ?m a ?kind FILTER(?kind IN (<{HKI.PlannedPhase}>, <{HKI.ActualEvent}>, <{HKI.ParticipationActivity}>))
            OPTIONAL {{ ?m <{SCHEMA}startDate> ?start }} OPTIONAL {{ ?m <{SCHEMA}endDate> ?end }} }}""")
        out = []
        for r in rows:
            kind = r["kind"].value.rsplit("#", 1)[-1]
            start = r.get("start")
            end = r.get("end")
            out.append({"iri": r["m"].value, "label": self.index.get(r["m"].value).label(lang),
                        "lane": "planned" if kind == "PlannedPhase" else "actual", "kind": self.name(r["kind"].value, lang),
                        "kind_key": kind,
                        "start": start.value if start else "", "end": end.value if end else "",
                        "start_text": format_literal(start, lang) if start else "",
                        "end_text": format_literal(end, lang) if end else ""})
        out.sort(key=lambda m: (m["start"] or "9999", m["lane"], m["label"]))
        counters = {"planned": 0, "actual": 0}
        for m in out:  # numbers shown on the chart and in the lists, so each bar can be found below
            counters[m["lane"]] += 1
            m["n"] = counters[m["lane"]]
        return out


def timeline_bars(milestones: list[dict], width: int = 720) -> dict:
    """Positions for drawing the timeline as SVG: a bar (or dot) per milestone on its lane, and year ticks."""
    dated = [m for m in milestones if m["start"]]
    if not dated:
        return {"bars": [], "ticks": [], "width": width}

    def months(value: str, end: bool = False) -> int:
        parts = value.split("-")
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        return year * 12 + month - 1

    first = min(months(m["start"]) for m in dated)
    last = max(months(m["end"] or m["start"], end=True) for m in dated) + 1
    first_year, last_year = first // 12, (last - 1) // 12 + 1
    span = max(1, (last_year - first_year) * 12)
    left, right = 90, width - 10

    def x(value: int) -> float:
        return round(left + (value - first_year * 12) / span * (right - left), 1)

    bars, rows = [], {"planned": 0, "actual": 0}
    for m in dated:
        s = months(m["start"])
        e = months(m["end"], end=True) + 1 if m["end"] else None
        row = rows[m["lane"]]
        rows[m["lane"]] += 1
        bars.append({**m, "x": x(s), "w": round(max(4.0, x(e) - x(s)), 1) if e else 0, "row": row})
    lane_top = {"planned": 30, "actual": 30 + rows["planned"] * 16 + 30}
    for b in bars:
        b["y"] = lane_top[b["lane"]] + b["row"] * 16
        after = b["x"] + (b["w"] or 6) + 4
        # the number beside its bar, or before it when it would run past the right edge
        b["num_x"], b["num_anchor"] = (after, "start") if after + 16 <= width else (b["x"] - 10, "end")
    # A line at the start of every year, and each year's number centred over its own span, so the last
    # label stays inside the chart (it used to start at the right edge and was cut off).
    ticks = [{"x": x(year * 12), "year": year} for year in range(first_year, last_year + 1)]
    years = [{"x": round((x(year * 12) + x((year + 1) * 12)) / 2, 1), "year": year}
             for year in range(first_year, last_year)]
    height = lane_top["actual"] + rows["actual"] * 16 + 20
    return {"bars": bars, "ticks": ticks, "years": years, "width": width, "height": height, "lanes": lane_top}


def capitalised(text: str) -> str:
    """'partnership type' → 'Partnership type' (only the first letter: 'SDG' stays 'SDG')."""
    return text[:1].upper() + text[1:]


def _number(objects: list | None) -> float | None:
    for o in objects or []:
        try:
            return float(o.value)
        except (AttributeError, ValueError):
            continue
    return None


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


__all__ = ["capitalised", "Fact", "PageViews", "ResourceView", "Value", "format_literal", "source_text", "timeline_bars"]
