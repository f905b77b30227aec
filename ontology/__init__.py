"""The hki schema as files, and the closed namespaces of the vocabularies hki uses.

`HKI` is a closed `DefinedNamespace`: `HKI.parnter` raises instead of minting a new IRI. A test
checks that it and `hki.ttl` define exactly the same terms. The other namespaces are the published
IRIs of the standards we reuse (http schema.org, http WGS84, the UN's SDG IRIs), pinned here because
rdflib ships wrong ones for some of them.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_DIR = Path(__file__).resolve().parent
ONTOLOGY_FILE = ONTOLOGY_DIR / "hki.ttl"
VOCABULARY_FILE = ONTOLOGY_DIR / "vocab.ttl"
SDG_FILE = ONTOLOGY_DIR / "sdg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"

DEFAULT_BASE = "https://w3id.org/hki/"
ONTOLOGY_IRI = URIRef("https://w3id.org/hki/def")


class HKI(DefinedNamespace):
    """Terms of the hki ontology (https://w3id.org/hki/def#).

    Listed by hand rather than read from hki.ttl at import: importing stays free of file reading and
    Turtle parsing (every process imports this, query workers too), the names are visible to editors
    and in review, and a new term is a deliberate change in both places; tests/unit/test_ontology.py
    and test_vocabulary.py fail when the two lists differ.
    """

    _fail = True
    _NS = Namespace("https://w3id.org/hki/def#")

    # classes
    ActionConcept: URIRef
    ActualEvent: URIRef
    CouncilPaper: URIRef
    DevelopmentConcept: URIRef
    FieldOfAction: URIRef
    Goal: URIRef
    Measure: URIRef
    Milestone: URIRef
    ParticipationActivity: URIRef
    Partnership: URIRef
    PlannedPhase: URIRef
    # properties
    addressesSDG: URIRef
    annualGoal: URIRef
    contributesToGoal: URIRef
    costNote: URIRef
    councilInvolvement: URIRef
    councilPaper: URIRef
    districtScope: URIRef
    endYear: URIRef  # derived at build (graph/load/derive.py)
    externalPartner: URIRef
    externalPartnerNote: URIRef
    fieldOfAction: URIRef
    hasGoal: URIRef
    implementsConcept: URIRef
    inputFingerprint: URIRef  # internal: the fingerprint of a build's inputs, in the meta graph
    involves: URIRef
    measureCountNote: URIRef
    measureStatus: URIRef
    milestone: URIRef
    overarchingGoal: URIRef
    partner: URIRef
    partnershipType: URIRef
    portalEntryStatus: URIRef
    projectStatus: URIRef
    publicParticipation: URIRef
    responsibleOrganisation: URIRef
    sdgMappingBasis: URIRef
    startYear: URIRef  # derived at build (graph/load/derive.py)
    twinnedWith: URIRef
    verificationStatus: URIRef
    wikidataIdStatus: URIRef


# Published namespace IRIs of the standards we reuse. Tests compare these with the specifications.
SCHEMA = Namespace("http://schema.org/")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
ORG = Namespace("http://www.w3.org/ns/org#")
CV = Namespace("http://data.europa.eu/m8g/")
TIME = Namespace("http://www.w3.org/2006/time#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SDG = Namespace("http://metadata.un.org/sdg/")
SDG_SCHEME = URIRef("http://metadata.un.org/sdg")
COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")
GEONAMES = "https://sws.geonames.org/"

PREFIXES: dict[str, str] = {
    "hki": str(HKI._NS),
    "hkis": DEFAULT_BASE + "scheme/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": str(SCHEMA),
    "wgs": str(WGS),
    "geo": str(GEO),
    "org": str(ORG),
    "cv": str(CV),
    "time": str(TIME),
    "void": str(VOID),
    "dcat": str(DCAT),
    "sd": str(SD),
    "sdg": str(SDG),
    "wd": str(WIKIDATA),
    "country": str(COUNTRY),
}


def sdg(number: int) -> URIRef:
    """The UN IRI of SDG `number` (1–17), unpadded and http, as the UN publishes it."""
    if not 1 <= number <= 17:
        raise ValueError(f"SDG number must be 1..17, got {number}")
    return URIRef(f"{SDG}{number}")
