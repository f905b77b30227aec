"""The page language: German or English, chosen by `?lang=`, remembered in a cookie, else the browser's.

Every page for people uses `page_language` and `remember_language`, so a switch on one page holds on all.
"""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

LANGUAGES = ("de", "en")
COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600


def page_language(request: Request, default: str) -> str:
    """`?lang=`, else the `lang` cookie, else the first of de/en in Accept-Language, else `default`."""
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "de"


def remember_language(request: Request, response: Response) -> Response:
    """Store an explicit `?lang=` choice in the cookie (a year, same site only)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=ONE_YEAR, samesite="lax")
    return response


def other_language(lang: str) -> str:
    return "en" if lang == "de" else "de"


TEXT: dict[str, dict[str, str]] = {
    "de": {
        "other": "English", "home": "Start", "skip": "Zum Inhalt",
        "lead1": "Dieser offene Datensatz beschreibt die internationalen Beziehungen der Stadt: Partnerstädte, "
                 "Partnerorganisationen, Städtenetzwerke und das Handlungskonzept „Internationale Stadt“ mit seinen "
                 "Zielen und Maßnahmen.",
        "lead2": "Jede Angabe nennt ihre Quelle und ist mit den Zielen für nachhaltige Entwicklung der UN (SDGs) "
                 "verknüpft; Menschen lesen ihn hier, Programme laden ihn als RDF oder fragen ihn per SPARQL ab.",
        "start_here": "Wo möchten Sie anfangen?",
        "concept": "Das Handlungskonzept", "concept_sub": "Ziele, Zeitplan, Beteiligte",
        "cities": "Partnerstädte", "cities_sub": "Städtepartnerschaften und -freundschaften",
        "partnerships": "Partnerschaften", "partnerships_sub": "jede Partnerschaft mit Art und Beginn",
        "organisations": "Organisationen & Netzwerke", "organisations_sub": "Partner und Städtenetzwerke",
        "memberships": "Mitgliedschaften", "memberships_sub": "in Städtenetzwerken",
        "goals": "Ziele", "goals_sub": "des Handlungskonzepts und von „Mein Hannover 2030“",
        "measures": "Maßnahmen", "measures_sub": "mit Status und Zielen",
        "sdgs": "Nachhaltigkeitsziele (SDGs)", "sdgs_sub": "welche Ziele und Maßnahmen welches SDG adressieren",
        "explore": "Erkunden", "explore_sub": "das Netz der Beziehungen interaktiv",
        "sparql": "SPARQL-Abfrage", "sparql_sub": "eigene Fragen an die Daten stellen",
        "downloads": "Downloads", "downloads_sub": "alle Daten als Dateien, mit Prüfsummen",
        "ontology": "Ontologie", "ontology_sub": "die Begriffe, mit denen die Daten beschrieben sind",
        "schemes": "Begriffsschemata", "schemes_sub": "Listen fester Werte (Arten, Status, …)",
        "all_lists": "Alle Listen", "contents": "Inhalt des Datensatzes", "part": "Teilgraph",
        "triples": "Aussagen (Tripel)", "total": "gesamt",
        "licence": "Lizenz", "data_licence": "Daten", "footer_note": "Quellen stehen bei jeder Angabe.",
        "type": "Art", "facts": "Angaben", "incoming": "Verweise auf diesen Eintrag", "sources": "Quellen",
        "links_out": "Dieselbe Sache anderswo", "map": "Karte", "neighbourhood": "Umfeld im Graphen",
        "neighbourhood_hint": "Ziehen zum Verschieben, Mausrad oder zwei Finger zum Zoomen; "
                              "ein Klick auf einen Punkt öffnet seine Seite.",
        "show_all_incoming": "alle {n} Verweise zeigen", "shown_of": "{shown} von {total} Verweisen gezeigt",
        "as_data": "Diese Seite als Daten", "iri": "Adresse (IRI)",
        "status_unverified": "Nicht bestätigt", "status_conflicting": "Widersprüchliche Quellen",
        "status_note": "Anmerkung der Redaktion", "notes": "Anmerkungen der Redaktion",
        "not_found_title": "Diesen Eintrag gibt es nicht",
        "not_found_text": "Unter dieser Adresse beschreibt der Datensatz nichts. Vielleicht ist die Adresse "
                          "falsch geschrieben oder der Eintrag wurde umbenannt.",
        "did_you_mean": "Meinten Sie:", "try_lists": "Oder suchen Sie in den Listen:",
        "name": "Name", "count": "Anzahl", "entries": "Einträge", "sort_hint": "Zum Sortieren auf eine Spaltenüberschrift klicken.",
        "lists": "Listen", "classes": "Alle Arten von Einträgen", "list_of": "Liste",
        "sdg_lead": "Welche Ziele und Maßnahmen adressieren welches der 17 Ziele für nachhaltige Entwicklung? "
                    "„laut Quelle“ heißt: die Quelle nennt die Zuordnung; „redaktionell“ heißt: die Redaktion hat "
                    "sie aus dem Inhalt abgeleitet (die Begründung steht auf der Seite des Ziels bzw. der Maßnahme).",
        "basis_source": "laut Quelle", "basis_editorial": "redaktionell", "basis_unknown": "Grundlage unbekannt",
        "none_yet": "noch keine", "sdg": "SDG",
        "timeline": "Zeitplan: geplant und tatsächlich",
        "timeline_lead": "Links die Phasen, wie sie 2017 geplant waren; daneben, was tatsächlich geschah.",
        "planned": "Geplant", "actual": "Tatsächlich", "when": "Wann", "what": "Was", "kind": "Art",
        "downloads_lead": "Alle Daten als Dateien. Die Prüfsumme (SHA-256) zeigt, dass eine Datei vollständig "
                          "und unverändert ist. Beschreibung für Datenportale: DCAT-AP.de-Katalog und VoID.",
        "file": "Datei", "format": "Format", "size": "Größe", "checksum": "Prüfsumme (SHA-256)",
        "no_dumps": "Noch keine Downloads gebaut: „kg build“ (oder „make run“) erzeugt sie.",
        "catalogue": "Katalog für Datenportale (DCAT-AP.de)", "void": "Datensatzbeschreibung (VoID)",
        "ontology_missing": "Die Dokumentation der Ontologie konnte nicht erzeugt werden.",
        "concepts": "Begriffe in diesem Schema", "notation": "Nummer",
        "world_map": "Karte der Orte", "lang_name": "Deutsch",
        "home_city": "ohne die Stadt selbst:",
        "to": "bis", "since": "seit", "no_date": "ohne Datum",
        "catalogue_lead": "Die Beschreibung des Datensatzes für Datenportale (DCAT-AP.de) und Linked-Data-Werkzeuge (VoID).",
    },
    "en": {
        "other": "Deutsch", "home": "Home", "skip": "Skip to content",
        "lead1": "This open dataset describes the city's international relations: twin cities, partner organisations, "
                 "city networks and the action concept \"Internationale Stadt\" with its goals and measures.",
        "lead2": "Every fact names its source and is linked to the UN Sustainable Development Goals (SDGs); people "
                 "read it here, programs load it as RDF or query it with SPARQL.",
        "start_here": "Where would you like to start?",
        "concept": "The action concept", "concept_sub": "goals, timeline, who takes part",
        "cities": "Partner cities", "cities_sub": "twinnings and city friendships",
        "partnerships": "Partnerships", "partnerships_sub": "every partnership with its type and start",
        "organisations": "Organisations & networks", "organisations_sub": "partners and city networks",
        "memberships": "Memberships", "memberships_sub": "in city networks",
        "goals": "Goals", "goals_sub": "of the action concept and of \"Mein Hannover 2030\"",
        "measures": "Measures", "measures_sub": "with status and goals",
        "sdgs": "Sustainable Development Goals", "sdgs_sub": "which goals and measures address which SDG",
        "explore": "Explore", "explore_sub": "the web of relations, interactively",
        "sparql": "SPARQL query", "sparql_sub": "ask the data your own questions",
        "downloads": "Downloads", "downloads_sub": "all data as files, with checksums",
        "ontology": "Ontology", "ontology_sub": "the terms the data is described with",
        "schemes": "Concept schemes", "schemes_sub": "lists of fixed values (types, status, …)",
        "all_lists": "All lists", "contents": "What the dataset contains", "part": "Part",
        "triples": "Statements (triples)", "total": "total",
        "licence": "Licence", "data_licence": "Data", "footer_note": "Every fact names its source.",
        "type": "Type", "facts": "Facts", "incoming": "Links to this entry", "sources": "Sources",
        "links_out": "The same thing elsewhere", "map": "Map", "neighbourhood": "Neighbourhood in the graph",
        "neighbourhood_hint": "Drag to move, scroll or pinch to zoom; click a dot to open its page.",
        "show_all_incoming": "show all {n} links", "shown_of": "{shown} of {total} links shown",
        "as_data": "This page as data", "iri": "Address (IRI)",
        "status_unverified": "Not confirmed", "status_conflicting": "Sources disagree",
        "status_note": "Editors' note", "notes": "Editors' notes",
        "not_found_title": "No such entry",
        "not_found_text": "The dataset describes nothing at this address. Perhaps it is misspelt, or the entry was renamed.",
        "did_you_mean": "Did you mean:", "try_lists": "Or look in the lists:",
        "name": "Name", "count": "Number", "entries": "entries", "sort_hint": "Click a column heading to sort.",
        "lists": "Lists", "classes": "All kinds of entries", "list_of": "List",
        "sdg_lead": "Which goals and measures address which of the 17 Sustainable Development Goals? \"stated in "
                    "the source\" means the source gives the mapping; \"editorial\" means the editors derived it from "
                    "the content (their reasoning is on the goal's or measure's page).",
        "basis_source": "stated in the source", "basis_editorial": "editorial", "basis_unknown": "basis unknown",
        "none_yet": "none yet", "sdg": "SDG",
        "timeline": "Timeline: planned and actual",
        "timeline_lead": "The phases as planned in 2017, next to what actually happened.",
        "planned": "Planned", "actual": "Actual", "when": "When", "what": "What", "kind": "Kind",
        "downloads_lead": "All data as files. The checksum (SHA-256) shows that a file is complete and unchanged. "
                          "Description for data portals: DCAT-AP.de catalogue and VoID.",
        "file": "File", "format": "Format", "size": "Size", "checksum": "Checksum (SHA-256)",
        "no_dumps": "No downloads built yet: `kg build` (or `make run`) creates them.",
        "catalogue": "Catalogue for data portals (DCAT-AP.de)", "void": "Dataset description (VoID)",
        "ontology_missing": "The ontology documentation could not be generated.",
        "concepts": "Concepts in this scheme", "notation": "Number",
        "world_map": "Map of the places", "lang_name": "English",
        "home_city": "not counting the city itself:",
        "to": "to", "since": "since", "no_date": "no date",
        "catalogue_lead": "The dataset's description for data portals (DCAT-AP.de) and linked-data tools (VoID).",
    },
}

PART_NAMES: dict[str, dict[str, str]] = {
    "de": {"ontology": "Ontologie (Begriffe von hki)", "vocab": "Vokabulare (Arten, Status, Länder)",
           "sdg": "Ziele für nachhaltige Entwicklung", "data": "Daten der Stadt", "meta": "Metadaten"},
    "en": {"ontology": "Ontology (hki's terms)", "vocab": "Vocabularies (types, status, countries)",
           "sdg": "Sustainable Development Goals", "data": "The city's data", "meta": "Metadata"},
}
