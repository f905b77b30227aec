"""Plain-word names (German, English) for the standard terms hki reuses.

Our own terms are labelled in `ontology/hki.ttl` and the vocabularies; the standard ones (schema.org,
Dublin Core, SKOS, ORG, …) are not labelled in our graph, so pages for people take their names from here.

It is also the one module with the namespace IRIs of the standard vocabularies as plain strings
(`SCHEMA + "City"`), pinned to their published values (http schema.org, http WGS84; a test compares
them), and the way to hki's own terms from code that works with strings or pyoxigraph terms:
`HKI` is the closed namespace of `ontology` (`HKI.parnter` raises AttributeError); it gives rdflib
`URIRef`s, which never compare equal to a `str`, so string code writes `str(HKI.partner)` and
pyoxigraph code `term(HKI.partner)`.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import URIRef

from ontology import HKI

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "http://schema.org/"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
GEO = "http://www.opengis.net/ont/geosparql#"
TIME = "http://www.w3.org/2006/time#"
CV = "http://data.europa.eu/m8g/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SPDX = "http://spdx.org/rdf/terms#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
DCATDE = "http://dcat-ap.de/def/dcatde/"
SDG = "http://metadata.un.org/sdg/"
SDG_SCHEME = "http://metadata.un.org/sdg"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"
WIKIDATA = "http://www.wikidata.org/entity/"
GEONAMES = "https://sws.geonames.org/"


def term(iri: URIRef | str) -> ox.NamedNode:
    """The pyoxigraph term of a namespace term: `term(HKI.partner)`, `term(SCHEMA + "City")`."""
    return ox.NamedNode(str(iri))


TERM_NAMES: dict[str, tuple[str, str]] = {
    RDF + "type": ("Art", "type"),
    RDFS + "label": ("Bezeichnung", "name"),
    RDFS + "comment": ("Kommentar", "comment"),
    RDFS + "seeAlso": ("siehe auch", "see also"),
    RDFS + "subClassOf": ("Unterklasse von", "subclass of"),
    RDFS + "isDefinedBy": ("definiert in", "defined by"),
    RDFS + "domain": ("Definitionsbereich", "domain"),
    RDFS + "range": ("Wertebereich", "range"),
    OWL + "sameAs": ("dasselbe wie", "same as"),
    OWL + "Class": ("Klasse", "class"),
    OWL + "ObjectProperty": ("Beziehung", "relation"),
    OWL + "DatatypeProperty": ("Eigenschaft", "property"),
    OWL + "Ontology": ("Ontologie", "ontology"),
    SKOS + "prefLabel": ("Vorzugsbezeichnung", "preferred name"),
    SKOS + "altLabel": ("auch genannt", "also called"),
    SKOS + "notation": ("Nummer", "number"),
    SKOS + "note": ("Anmerkung", "note"),
    SKOS + "editorialNote": ("Anmerkung der Redaktion", "editors' note"),
    SKOS + "scopeNote": ("Anwendungshinweis", "scope note"),
    SKOS + "definition": ("Definition", "definition"),
    SKOS + "inScheme": ("gehört zu", "part of scheme"),
    SKOS + "topConceptOf": ("oberster Begriff in", "top concept of"),
    SKOS + "hasTopConcept": ("oberste Begriffe", "top concepts"),
    SKOS + "broader": ("Oberbegriff", "broader"),
    SKOS + "narrower": ("Unterbegriff", "narrower"),
    SKOS + "closeMatch": ("entspricht weitgehend", "close match"),
    SKOS + "exactMatch": ("entspricht", "exact match"),
    SKOS + "relatedMatch": ("verwandt mit", "related match"),
    SKOS + "Concept": ("Begriff", "concept"),
    SKOS + "ConceptScheme": ("Begriffsschema", "concept scheme"),
    DCT + "title": ("Titel", "title"),
    DCT + "description": ("Beschreibung", "description"),
    DCT + "source": ("Quelle", "source"),
    DCT + "identifier": ("Kennung", "identifier"),
    DCT + "date": ("Datum", "date"),
    DCT + "dateAccepted": ("beschlossen am", "adopted on"),
    DCT + "modified": ("zuletzt geändert", "last modified"),
    DCT + "issued": ("veröffentlicht", "issued"),
    DCT + "creator": ("erstellt von", "created by"),
    DCT + "publisher": ("Herausgeber", "publisher"),
    DCT + "license": ("Lizenz", "licence"),
    DCT + "isPartOf": ("Teil von", "part of"),
    DCT + "hasPart": ("hat Teil", "has part"),
    DCT + "references": ("verweist auf", "references"),
    DCT + "relation": ("steht in Beziehung zu", "related to"),
    DCT + "spatial": ("Ort", "place"),
    DCT + "temporal": ("Zeitraum", "period"),
    DCT + "type": ("Art", "type"),
    DCT + "subject": ("Thema", "topic"),
    SCHEMA + "City": ("Stadt", "city"),
    SCHEMA + "AdministrativeArea": ("Stadtbezirk", "administrative area"),
    SCHEMA + "Place": ("Ort", "place"),
    SCHEMA + "CreativeWork": ("Werk", "creative work"),
    SCHEMA + "startDate": ("Beginn", "start"),
    SCHEMA + "endDate": ("Ende", "end"),
    SCHEMA + "foundingDate": ("gegründet", "founded"),
    SCHEMA + "containedInPlace": ("liegt in", "located in"),
    ORG + "Organization": ("Organisation", "organisation"),
    ORG + "OrganizationalUnit": ("Organisationseinheit", "organisational unit"),
    ORG + "Membership": ("Mitgliedschaft", "membership"),
    ORG + "classification": ("Art der Organisation", "kind of organisation"),
    ORG + "member": ("Mitglied", "member"),
    ORG + "organization": ("Organisation", "organisation"),
    ORG + "memberOf": ("Mitglied von", "member of"),
    ORG + "memberDuring": ("Zeitraum der Mitgliedschaft", "period of membership"),
    ORG + "unitOf": ("Einheit von", "unit of"),
    CV + "PublicOrganisation": ("öffentliche Verwaltung", "public organisation"),
    FOAF + "homepage": ("Website", "website"),
    FOAF + "page": ("Webseite", "web page"),
    FOAF + "name": ("Name", "name"),
    WGS + "lat": ("geografische Breite", "latitude"),
    WGS + "long": ("geografische Länge", "longitude"),
    GEO + "hasGeometry": ("Geometrie", "geometry"),
    GEO + "asWKT": ("Geometrie (WKT)", "geometry (WKT)"),
    GEO + "Geometry": ("Geometrie", "geometry"),
    TIME + "Interval": ("Zeitraum", "period"),
    TIME + "Instant": ("Zeitpunkt", "point in time"),
    TIME + "hasBeginning": ("Beginn", "beginning"),
    TIME + "hasEnd": ("Ende", "end"),
    TIME + "inXSDgYear": ("Jahr", "year"),
    TIME + "inXSDgYearMonth": ("Monat", "month"),
    TIME + "inXSDDate": ("Tag", "day"),
    VOID + "Dataset": ("Datensatz", "dataset"),
    VOID + "Linkset": ("Verknüpfungen", "link set"),
    DCAT + "Dataset": ("Datensatz", "dataset"),
}

# The wording for links *to* a resource ("… is partner in …"), where the plain name reads wrong backwards.
INVERSE_NAMES: dict[str, tuple[str, str]] = {
    str(HKI.partner): ("Partnerschaften", "partnerships"),
    str(HKI.involves): ("beteiligt an", "involved in"),
    str(HKI.addressesSDG): ("adressiert von", "addressed by"),
    str(HKI.contributesToGoal): ("Maßnahmen dazu", "measures towards it"),
    str(HKI.responsibleOrganisation): ("verantwortlich für", "responsible for"),
    str(HKI.externalPartner): ("externer Partner von", "external partner of"),
    str(HKI.councilPaper): ("genannt in", "mentioned in"),
    str(HKI.hasGoal): ("Ziel von", "goal of"),
    str(HKI.overarchingGoal): ("übergeordnetes Ziel von", "overarching goal of"),
    str(HKI.implementsConcept): ("umgesetzt durch", "implemented by"),
    str(HKI.twinnedWith): ("Partnerstadt von", "twin city of"),
    ORG + "member": ("Mitgliedschaften", "memberships"),
    ORG + "organization": ("Mitgliedschaften", "memberships"),
    ORG + "memberOf": ("Mitglieder", "members"),
    ORG + "unitOf": ("Einheiten", "units"),
    SKOS + "inScheme": ("Begriffe", "concepts"),
    SKOS + "topConceptOf": ("oberster Begriff von", "top concept of"),
    SKOS + "broader": ("Unterbegriffe", "narrower concepts"),
    SKOS + "closeMatch": ("entspricht weitgehend", "close match of"),
    DCT + "subject": ("Thema von", "topic of"),
    str(HKI.wikidataIdStatus): ("Wikidata-IDs mit diesem Prüfstatus", "Wikidata IDs with this status"),
    SCHEMA + "containedInPlace": ("Orte darin", "places in it"),
    DCT + "isPartOf": ("Teile", "parts"),
    DCT + "spatial": ("Ort von", "place of"),
    DCT + "creator": ("erstellt", "created"),
    RDF + "type": ("Einträge dieser Art", "entries of this kind"),
}


def term_name(iri: str, lang: str) -> str | None:
    """The plain-word name of a standard term in `lang` ("de" or "en"), or None."""
    names = TERM_NAMES.get(iri)
    return None if names is None else names[0 if lang == "de" else 1]


def inverse_name(iri: str, lang: str) -> str | None:
    names = INVERSE_NAMES.get(iri)
    return None if names is None else names[0 if lang == "de" else 1]
