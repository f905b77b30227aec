"""The example questions of the query page: what researchers and city staff ask, as SPARQL.

Ordered from simple lists to aggregations. Every example must return rows on the shipped Hannover
data (a test runs each one), and uses only the published vocabulary (docs/modelling.md), so it works
unchanged for another city's data.
"""
from __future__ import annotations

from dataclasses import dataclass

from ontology import PREFIXES


@dataclass(frozen=True)
class Example:
    """One example question; `body` is the query without PREFIX lines, `{lang}` where labels are chosen."""

    slug: str
    title_de: str
    title_en: str
    body: str
    prefixes: tuple[str, ...]

    def sparql(self, lang: str = "de") -> str:
        """The query text, asking for labels in `lang` (the query page's language)."""
        lines = [f"PREFIX {p}: <{PREFIXES[p]}>" for p in self.prefixes]
        return "\n".join(lines) + "\n\n" + self.body.strip().replace("{lang}", lang) + "\n"


EXAMPLES: tuple[Example, ...] = (
    Example(
        "twin-cities", "Partnerstädte mit Jahr des Beginns", "Twin cities and the year they were twinned",
        """
SELECT ?city ?name ?since WHERE {
  ?partnership a hki:Partnership ;
      hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/twin-city> ;
      hki:partner ?city ;
      schema:startDate ?since .
  ?city rdfs:label ?name .
  FILTER(lang(?name) = "{lang}")
  FILTER(?city != <https://w3id.org/hki/id/city/hannover>)
}
ORDER BY ?since
""", ("hki", "schema", "rdfs")),
    Example(
        "partnerships-by-type", "Alle Partnerschaften nach Art", "All partnerships by type",
        """
SELECT ?partnership ?name ?type ?since WHERE {
  ?partnership a hki:Partnership ;
      rdfs:label ?name ;
      hki:partnershipType ?typeConcept .
  ?typeConcept skos:prefLabel ?type .
  OPTIONAL { ?partnership schema:startDate ?since }
  FILTER(lang(?name) = "{lang}" && lang(?type) = "{lang}")
}
ORDER BY ?type ?since
""", ("hki", "schema", "rdfs", "skos")),
    Example(
        "cities-on-map", "Partnerorte mit Land und Koordinaten", "Partner places with country and coordinates",
        """
SELECT ?city ?name ?country ?lat ?long WHERE {
  ?city a schema:City ;
      rdfs:label ?name ;
      wgs:lat ?lat ;
      wgs:long ?long .
  OPTIONAL { ?city schema:containedInPlace ?c . ?c skos:prefLabel ?country FILTER(lang(?country) = "{lang}") }
  FILTER(lang(?name) = "{lang}")
}
ORDER BY ?name
""", ("schema", "rdfs", "wgs", "skos")),
    Example(
        "wikidata-links", "Orte mit Wikidata- und GeoNames-Verknüpfung", "Places linked to Wikidata and GeoNames",
        """
SELECT ?city ?name ?wikidata ?geonames WHERE {
  ?city a schema:City ; rdfs:label ?name .
  OPTIONAL { ?city owl:sameAs ?wikidata FILTER(STRSTARTS(STR(?wikidata), "http://www.wikidata.org/entity/")) }
  OPTIONAL { ?city owl:sameAs ?geonames FILTER(STRSTARTS(STR(?geonames), "https://sws.geonames.org/")) }
  FILTER(lang(?name) = "{lang}")
}
ORDER BY ?name
""", ("schema", "rdfs", "owl")),
    Example(
        "city-networks", "Städtenetzwerke, in denen Hannover Mitglied ist, seit wann",
        "City networks Hannover belongs to, and since when",
        """
SELECT ?network ?name ?since WHERE {
  ?membership a org:Membership ;
      org:member <https://w3id.org/hki/id/organisation/lhh> ;
      org:organization ?network .
  ?network rdfs:label ?name .
  OPTIONAL { ?membership schema:startDate ?since }
  FILTER(lang(?name) = "{lang}")
}
ORDER BY ?since ?name
""", ("org", "rdfs", "schema")),
    Example(
        "organisations-by-type", "Organisationen nach Art", "Organisations by type",
        """
SELECT ?type (COUNT(?organisation) AS ?organisations) (GROUP_CONCAT(?name; separator=", ") AS ?names) WHERE {
  ?organisation a org:Organization ;
      org:classification ?typeConcept ;
      rdfs:label ?name .
  ?typeConcept skos:prefLabel ?type .
  FILTER(lang(?name) = "{lang}" && lang(?type) = "{lang}")
}
GROUP BY ?type
ORDER BY DESC(?organisations)
""", ("org", "rdfs", "skos")),
    Example(
        "measures", "Maßnahmen des Handlungskonzepts mit Status", "Measures of the action concept and their status",
        """
SELECT ?measure ?id ?title ?status WHERE {
  ?measure a hki:Measure ;
      dct:identifier ?id ;
      rdfs:label ?title ;
      hki:measureStatus ?statusConcept .
  ?statusConcept skos:prefLabel ?status .
  FILTER(lang(?title) = "{lang}" && lang(?status) = "{lang}")
}
ORDER BY ?id
""", ("hki", "dct", "rdfs", "skos")),
    Example(
        "goals-and-sdgs", "Ziele und die SDGs, denen sie dienen", "Goals and the SDGs they serve",
        """
SELECT ?goal ?notation ?goalLabel ?sdg ?sdgLabel WHERE {
  ?goal a hki:Goal ;
      skos:notation ?notation ;
      rdfs:label ?goalLabel ;
      hki:addressesSDG ?sdg .
  ?sdg rdfs:label ?sdgLabel .
  FILTER(lang(?goalLabel) = "{lang}" && lang(?sdgLabel) = "{lang}")
}
ORDER BY ?notation ?sdg
""", ("hki", "skos", "rdfs")),
    Example(
        "sdg-coverage", "Welche SDGs wie oft adressiert werden (Ziele und Maßnahmen)",
        "How often each SDG is addressed (goals and measures)",
        """
SELECT ?sdg ?sdgLabel (COUNT(DISTINCT ?goal) AS ?goals) (COUNT(DISTINCT ?measure) AS ?measures) WHERE {
  ?sdg skos:inScheme <http://metadata.un.org/sdg> ;
      skos:notation ?number ;
      rdfs:label ?sdgLabel .
  FILTER(lang(?sdgLabel) = "{lang}")
  OPTIONAL { ?goal a hki:Goal ; hki:addressesSDG ?sdg }
  OPTIONAL { ?measure a hki:Measure ; hki:addressesSDG ?sdg }
}
GROUP BY ?sdg ?sdgLabel ?number
HAVING (COUNT(DISTINCT ?goal) + COUNT(DISTINCT ?measure) > 0)
ORDER BY xsd:integer(?number)
""", ("hki", "skos", "rdfs", "xsd")),
    Example(
        "sdg-mapping-basis", "SDG-Zuordnungen: belegt oder redaktionell?", "SDG links: sourced or editorial?",
        """
SELECT ?basis (COUNT(*) AS ?links) WHERE {
  ?thing hki:addressesSDG ?sdg ;
      hki:sdgMappingBasis ?basisConcept .
  ?basisConcept skos:prefLabel ?basis .
  FILTER(lang(?basis) = "{lang}")
}
GROUP BY ?basis
""", ("hki", "skos")),
    Example(
        "partnerships-per-decade", "Neue Partnerschaften je Jahrzehnt", "New partnerships per decade",
        """
SELECT ?decade (COUNT(?partnership) AS ?partnerships) WHERE {
  ?partnership a hki:Partnership ; schema:startDate ?start .
  BIND(CONCAT(SUBSTR(STR(?start), 1, 3), "0s") AS ?decade)
}
GROUP BY ?decade
ORDER BY ?decade
""", ("hki", "schema")),
    Example(
        "measures-with-partners", "Maßnahmen mit beteiligten Städten und Organisationen",
        "Measures with the cities and organisations involved",
        """
SELECT ?measure ?title ?partner ?partnerName WHERE {
  ?measure a hki:Measure ;
      rdfs:label ?title ;
      hki:involves ?partner .
  ?partner rdfs:label ?partnerName .
  FILTER NOT EXISTS { ?partner a hki:Partnership }
  FILTER(lang(?title) = "{lang}" && lang(?partnerName) = "{lang}")
}
ORDER BY ?title ?partnerName
""", ("hki", "rdfs")),
    Example(
        "dataset-size", "Größe des Datensatzes je Teilgraph", "Size of the dataset per part",
        """
SELECT ?graph (COUNT(*) AS ?triples) WHERE {
  GRAPH ?graph { ?s ?p ?o }
}
GROUP BY ?graph
ORDER BY DESC(?triples)
""", ()),
)
