"""A partner city's profile on one printable page, for staff preparing a delegation visit: since when and
how the city is linked with the home city (each partnership, its type, dates and notes), the council papers,
the projects and measures with the city, the SDGs those address, the networks both cities belong to, and
every source, numbered.

Only what the graph says: a part the data has nothing for is empty, and the page says so ("no networks in
common are recorded"), never guesses. Values are plain dataclasses in one language, as in pages.py; the
router (api/routers/profiles.py) turns IRIs into links.
"""
from __future__ import annotations

import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from graph.views.entities import sparql_iri
from graph.views.pages import PageViews, Value, format_literal, source_text
from graph.vocabulary import DCT, FOAF, HKI, ORG, SCHEMA, SDG, SKOS, XSD

PARTNERSHIP = str(HKI.Partnership)
MEASURE = str(HKI.Measure)
VERIFIED = "/verified"


class NotAPartnerCity(LookupError):
    """The key names no city, the home city itself, or a city without a partnership with the home city."""

    def __init__(self, key: str, reason: str, valid: list[tuple[str, str]]):
        super().__init__(f"{key!r}: {reason}")
        self.key = key
        self.reason = reason  # "unknown", "home" or "no-partnership"
        self.valid = valid  # (key, label) of every city that has a profile


@dataclass(frozen=True)
class Noted:
    """Something with its notes, its verification status and the numbers of its sources in the profile."""

    iri: str
    label: str
    notes: list[str]
    editorial: list[str]
    status: Value | None
    sources: list[int]


@dataclass(frozen=True)
class ProfilePartnership(Noted):
    types: list[Value] = field(default_factory=list)
    start: str = ""
    start_precision: str = ""  # "day", "month" or "year": "seit dem 29. Oktober 1979", "seit 1947"
    end: str = ""
    description: str = ""


@dataclass(frozen=True)
class ProfileMeasure(Noted):
    state: Value | None = None
    responsible: list[Value] = field(default_factory=list)
    start: str = ""
    end: str = ""
    sdgs: list[Value] = field(default_factory=list)
    description: str = ""


@dataclass(frozen=True)
class ProfileDocument(Noted):
    identifier: str = ""
    date: str = ""
    page: str = ""  # its web address, when it has one
    description: str = ""


@dataclass(frozen=True)
class ProfileSdg:
    iri: str
    number: str
    label: str
    editorial: bool  # mapped by the editors, not by a source
    via: list[str]  # the measures (or partnerships) that address it


@dataclass(frozen=True)
class ProfileSource:
    text: str  # the address as people read it: host and the end of the path
    iri: str  # the link
    address: str  # the whole address with its characters decoded, to print ("…/Städtepartnerschaften")


@dataclass
class PartnerProfile:
    iri: str
    key: str
    label: str
    country: Value | None
    home: str  # the home city's name
    partnerships: list[ProfilePartnership]
    documents: list[ProfileDocument]
    measures: list[ProfileMeasure]
    sdgs: list[ProfileSdg]
    networks: list[Noted]
    sources: list[ProfileSource]
    as_of: str  # the data's last curation, in words


class ProfileViews:
    """Builds partner profiles over the page views' store and label index."""

    def __init__(self, pages: PageViews):
        self.pages = pages
        self.store = pages.store
        self.city_prefix = pages.base + "id/city/"

    def _select(self, sparql: str) -> list[dict]:
        return self.pages._select(sparql)

    def _home(self) -> set[str]:
        return self.pages.home_places()

    def partner_cities(self, lang: str) -> list[tuple[str, str]]:
        """(key, name) of every city with a partnership with the home city, by name."""
        home = self._home()
        if not home:
            return []
        values = " ".join(sparql_iri(h) for h in sorted(home))
        rows = self._select(f"""SELECT DISTINCT ?city WHERE {{ VALUES ?home {{ {values} }}
            ?p a <{PARTNERSHIP}> ; <{HKI.partner}> ?home , ?city . ?city a <{SCHEMA}City> FILTER(?city != ?home) }}""")
        out = []
        for r in rows:
            iri = r["city"].value
            key = iri[len(self.city_prefix):] if iri.startswith(self.city_prefix) else ""
            if key and "/" not in key and iri not in home:
                out.append((key, self.pages.index.get(iri).label(lang)))
        return sorted(out, key=lambda kv: kv[1].casefold())

    def profile(self, key: str, lang: str) -> PartnerProfile:
        """The profile of the city <base>id/city/<key>; NotAPartnerCity when there is none."""
        iri = self.city_prefix + key
        valid = self.partner_cities(lang)
        if "/" in key or not key or SCHEMA + "City" not in self.pages.index.get(iri).types:
            raise NotAPartnerCity(key, "unknown", valid)
        home = self._home()
        if iri in home:
            raise NotAPartnerCity(key, "home", valid)
        if key not in {k for k, _ in valid}:
            raise NotAPartnerCity(key, "no-partnership", valid)
        ref = sparql_iri(iri)
        homes = " ".join(sparql_iri(h) for h in sorted(home))
        partnership_iris = sorted(r["p"].value for r in self._select(
            f"SELECT DISTINCT ?p WHERE {{ VALUES ?home {{ {homes} }} ?p a <{PARTNERSHIP}> ; <{HKI.partner}> ?home , {ref} }}"))
        involved = " ".join(sparql_iri(i) for i in [iri, *partnership_iris])
        measure_iris = sorted(r["m"].value for r in self._select(
            f"SELECT DISTINCT ?m WHERE {{ VALUES ?x {{ {involved} }} ?m a <{MEASURE}> ; <{HKI.involves}> ?x }}"))
        networks = self._networks_in_common(iri, home)
        memberships = [m for mine, theirs, _ in networks for m in (mine, theirs)]
        facts = self._statements([*partnership_iris, *measure_iris, *memberships])
        papers = set()
        for s in [*partnership_iris, *measure_iris, *memberships]:
            papers |= {o.value for o in facts[s].get(str(HKI.councilPaper), []) if isinstance(o, ox.NamedNode)}
        pages_of_sources = {o.value for s in partnership_iris for o in facts[s].get(DCT + "source", [])}
        if pages_of_sources:  # a council paper the graph describes that is cited as a partnership's source
            listed = " ".join(sparql_iri(u) for u in sorted(pages_of_sources))
            papers |= {r["d"].value for r in self._select(
                f"SELECT DISTINCT ?d WHERE {{ VALUES ?page {{ {listed} }} ?d a <{HKI.CouncilPaper}> ; <{FOAF}page> ?page }}")}
        facts.update(self._statements(sorted(papers)))

        sources: list[ProfileSource] = []
        numbers: dict[str, int] = {}

        def cite(subject: str) -> list[int]:
            out = []
            for o in facts[subject].get(DCT + "source", []):
                if isinstance(o, ox.NamedNode):
                    if o.value not in numbers:
                        sources.append(ProfileSource(source_text(o.value), o.value, urllib.parse.unquote(o.value)))
                        numbers[o.value] = len(sources)
                    out.append(numbers[o.value])
            return sorted(set(out))

        def texts(subject: str, predicate: str) -> list[str]:
            literals = [o for o in facts[subject].get(predicate, []) if isinstance(o, ox.Literal)]
            chosen = [o for o in literals if o.language == lang] or [o for o in literals if not o.language] or literals
            return [o.value for o in chosen]

        def date(subject: str, predicate: str) -> str:
            found = [o for o in facts[subject].get(predicate, []) if isinstance(o, ox.Literal)]
            return format_literal(found[0], lang) if found else ""

        def named(subject: str, predicate: str) -> list[Value]:
            values = [self.pages.value(o, lang) for o in facts[subject].get(predicate, []) if isinstance(o, ox.NamedNode)]
            return sorted(values, key=lambda v: v.text.casefold())

        def status(subject: str) -> Value | None:
            found = [o.value for o in facts[subject].get(str(HKI.verificationStatus), []) if isinstance(o, ox.NamedNode)]
            if found and not found[0].endswith(VERIFIED):
                return Value(self.pages.name(found[0], lang), found[0], True)
            return None

        def noted(subject: str) -> dict:
            return {"iri": subject, "label": self.pages.index.get(subject).label(lang),
                    "notes": texts(subject, SKOS + "note"), "editorial": texts(subject, SKOS + "editorialNote"),
                    "status": status(subject), "sources": cite(subject)}

        partnerships = [ProfilePartnership(**noted(p), types=named(p, str(HKI.partnershipType)),
                                           start=date(p, SCHEMA + "startDate"), end=date(p, SCHEMA + "endDate"),
                                           start_precision=_precision(facts[p].get(SCHEMA + "startDate", [])),
                                           description=" ".join(texts(p, DCT + "description")))
                        for p in partnership_iris]
        partnerships.sort(key=lambda p: (_first_start(facts[p.iri]), p.label.casefold()))
        documents = [ProfileDocument(**noted(d), identifier=" ".join(texts(d, DCT + "identifier")),
                                     date=date(d, DCT + "date"),
                                     page=next((o.value for o in facts[d].get(FOAF + "page", [])), ""),
                                     description=" ".join(texts(d, DCT + "description")))
                     for d in sorted(papers)]
        documents.sort(key=lambda d: (d.identifier[-4:], d.identifier))
        measures = []
        for m in measure_iris:
            states = named(m, str(HKI.measureStatus))
            measures.append(ProfileMeasure(**noted(m), state=states[0] if states else None,
                                           responsible=named(m, str(HKI.responsibleOrganisation)),
                                           start=date(m, SCHEMA + "startDate"), end=date(m, SCHEMA + "endDate"),
                                           sdgs=sorted(named(m, str(HKI.addressesSDG)), key=lambda v: _sdg_number(v.iri)),
                                           description=" ".join(texts(m, DCT + "description"))))
        measures.sort(key=lambda m: (m.label.casefold()))
        network_items = []
        for mine, theirs, organisation in networks:  # both memberships' sources; unconfirmed if either is
            ours, partners = noted(mine), noted(theirs)
            network_items.append(Noted(
                organisation, self.pages.index.get(organisation).label(lang), ours["notes"] + partners["notes"],
                ours["editorial"] + partners["editorial"], ours["status"] or partners["status"],
                sorted(set(ours["sources"]) | set(partners["sources"]))))
        countries = self._country(iri, lang)
        modified = self.store.settings.modified
        return PartnerProfile(
            iri=iri, key=key, label=self.pages.index.get(iri).label(lang), country=countries[0] if countries else None,
            home=", ".join(sorted(self.pages.index.get(h).label(lang) for h in home)),
            partnerships=partnerships, documents=documents, measures=measures,
            sdgs=self._sdgs(partnership_iris + measure_iris, facts, lang), networks=network_items, sources=sources,
            as_of=format_literal(ox.Literal(modified, datatype=ox.NamedNode(XSD + "date")), lang) if modified else "")

    # ------------------------------------------------------------------ parts
    def _statements(self, subjects: list[str]) -> dict[str, dict[str, list]]:
        """Every statement of each subject: subject → predicate → objects."""
        out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for start in range(0, len(subjects), 100):
            chunk = " ".join(sparql_iri(s) for s in subjects[start:start + 100])
            for r in self._select(f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {chunk} }} ?s ?p ?o }}"):
                out[r["s"].value][r["p"].value].append(r["o"])
        return out

    def _country(self, iri: str, lang: str) -> list[Value]:
        rows = self._select(f"SELECT ?c WHERE {{ {sparql_iri(iri)} <{SCHEMA}containedInPlace> ?c }}")
        return [self.pages.value(r["c"], lang) for r in rows if isinstance(r["c"], ox.NamedNode)]

    def _networks_in_common(self, city: str, home: set[str]) -> list[tuple[str, str, str]]:
        """(membership of the home side, membership of the partner's side, organisation) for every organisation
        that the home city (or an organisation of it) and the partner city (or one of its) are both members of."""
        homes = " ".join(sparql_iri(h) for h in sorted(home))
        rows = self._select(f"""SELECT DISTINCT ?mine ?theirs ?network WHERE {{
            VALUES ?home {{ {homes} }}
            ?mine a <{ORG}Membership> ; <{ORG}member> ?a ; <{ORG}organization> ?network .
            ?theirs a <{ORG}Membership> ; <{ORG}member> ?b ; <{ORG}organization> ?network .
            {{ ?a <{DCT}spatial> ?home }} UNION {{ FILTER(?a = ?home) }}
            {{ ?b <{DCT}spatial> {sparql_iri(city)} }} UNION {{ FILTER(?b = {sparql_iri(city)}) }} }}""")
        return sorted({(r["mine"].value, r["theirs"].value, r["network"].value) for r in rows}, key=lambda m: m[2])

    def _sdgs(self, subjects: list[str], facts: dict[str, dict[str, list]], lang: str) -> list[ProfileSdg]:
        via: dict[str, list[str]] = defaultdict(list)
        editorial: dict[str, bool] = {}
        for s in subjects:
            basis = [o.value for o in facts[s].get(str(HKI.sdgMappingBasis), [])]
            for o in facts[s].get(str(HKI.addressesSDG), []):
                if isinstance(o, ox.NamedNode):
                    via[o.value].append(self.pages.index.get(s).label(lang))
                    editorial[o.value] = editorial.get(o.value, True) and any(b.endswith("/editorial") for b in basis)
        out = []
        for sdg, names in via.items():
            entity = self.pages.index.get(sdg)
            short = next((n.text for n in entity.names if n.predicate == SKOS + "prefLabel" and n.lang == lang),
                         entity.label(lang))
            number = _sdg_number(sdg)
            out.append(ProfileSdg(sdg, str(number) if number != 99 else "", short, editorial[sdg],
                                  sorted(set(names), key=str.casefold)))
        return sorted(out, key=lambda s: _sdg_number(s.iri))


def _sdg_number(iri: str) -> int:
    tail = iri[len(SDG):] if iri.startswith(SDG) else ""
    return int(tail) if tail.isdigit() else 99


def _precision(dates: list) -> str:
    """How precise a date is by its datatype: "day", "month", "year", or "" (none, or another kind)."""
    kinds = {XSD + "date": "day", XSD + "gYearMonth": "month", XSD + "gYear": "year"}
    for d in dates:
        if isinstance(d, ox.Literal) and d.datatype and d.datatype.value in kinds:
            return kinds[d.datatype.value]
    return ""


def _first_start(statements: dict[str, list]) -> str:
    starts = [o.value for o in statements.get(SCHEMA + "startDate", [])]
    return min(starts) if starts else "9999"


__all__ = ["NotAPartnerCity", "PartnerProfile", "ProfileSource", "ProfileViews"]
