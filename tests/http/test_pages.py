"""Pages for people, read as HTML: German and English (remembered), labels instead of IRIs, sources
as links, marked uncertainty, maps, lists, the SDG overview, the timeline, the ontology — and every
text from the data escaped. (tests/browser/test_pages_in_chromium.py drives the same pages in Chromium.)"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def hostile(make_client, hostile_settings, hostile_store) -> Iterator[TestClient]:
    """The pages in English with tests/fixtures/hostile.ttl loaded too."""
    with make_client(replace(hostile_settings, lang="en"), kstore=hostile_store) as test_client:
        yield test_client


def test_the_home_page_explains_the_dataset_and_leads_to_every_part(client):
    page = client.get("/").text
    assert "Dieser offene Datensatz beschreibt" in page
    for target in ("/id/action-concept/internationale-stadt", "/list/cities", "/list/organisations", "/list/goals",
                   "/list/measures", "/sdgs", "/explore", "/sparql", "/downloads"):
        assert f'href="{target}"' in page, target


def test_the_language_is_switched_by_a_link_and_remembered_in_a_cookie(client):
    client.cookies.clear()
    assert '<html lang="de">' in client.get("/").text
    english = client.get("/list/cities?lang=en")
    assert english.cookies.get("lang") == "en" and "Partner cities" in english.text
    assert '<html lang="en">' in client.get("/sdgs").text  # no ?lang: the cookie holds
    switch = re.search(r'id="lang-switch" href="([^"]+)"', client.get("/sdgs").text)[1]
    assert "lang=de" in switch.replace("&amp;", "&")
    client.get("/?lang=de")
    assert '<html lang="de">' in client.get("/sdgs").text
    client.cookies.clear()


def test_the_browser_language_is_the_default(client):
    client.cookies.clear()
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text


def test_a_resource_page_shows_facts_with_labels_as_links_and_sources_as_links(client):
    page = client.get("/id/partnership/hannover-bristol?lang=en").text
    assert "<h1>Twinning Hannover – Bristol</h1>" in page
    assert '<a href="/id/city/bristol">Bristol</a>' in page
    assert ">twin city<" in page.lower() or "Twin city" in page
    assert 'href="https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/3168-2017"' in page
    assert "1947" in page
    assert "https://w3id.org/hki/def#partner" not in page  # names, not IRIs


def test_a_place_has_a_small_offline_map_and_links_out_to_wikidata_and_geonames(client):
    page = client.get("/id/city/bristol?lang=en").text
    assert re.search(r'<svg class="map"[^>]*viewBox="0 0 [\d.]+ [\d.]+"', page)
    assert '<circle class="place main"' in page and '<path class="land" d="M' in page
    assert 'href="http://www.wikidata.org/entity/Q23154"' in page and 'href="https://sws.geonames.org/2654675/"' in page
    assert "tile" not in page.lower()


def test_an_organisation_has_no_map_but_a_neighbourhood_view(client):
    page = client.get("/id/organisation/eurocities?lang=en").text
    assert 'class="map"' not in page
    assert 'id="network-data"' in page and "/static/vendor/vis-network/vis-network.min.js" in page


def test_unverified_and_conflicting_facts_are_marked(client):
    conflicting = client.get("/id/membership/lhh-covenant-of-mayors?lang=en").text
    assert 'class="notice status-conflicting"' in conflicting and "Sources disagree" in conflicting
    assert "early 2009" in conflicting  # the editors' note says what disagrees


def test_the_eurocities_membership_is_marked_unconfirmed_with_the_reason(client):
    english = client.get("/id/membership/lhh-eurocities?lang=en").text
    assert 'class="notice status-unverified"' in english and "Not confirmed" in english
    assert "completed is not documented" in english and "2293/2019" in english
    german = client.get("/id/membership/lhh-eurocities?lang=de").text
    assert 'class="notice status-unverified"' in german and "Nicht bestätigt" in german


def test_a_wikidata_link_says_in_words_how_well_the_id_is_backed(client):
    english = client.get("/id/city/blantyre?lang=en").text
    assert ('<a class="ext" href="http://www.wikidata.org/entity/Q188693" rel="noopener">'
            "Wikidata Q188693 – unverified: backed by Wikidata extracts alone</a>") in english
    german = client.get("/id/city/blantyre?lang=de").text
    assert "Wikidata Q188693 – unbestätigt: nur durch Wikidata-Auszüge belegt</a>" in german
    assert "Wikidata Q6730 – unbestätigt: eine einzige Quelle Dritter</a>" in client.get("/id/city/perpignan?lang=de").text
    assert ">Wikidata Q23154</a>" in client.get("/id/city/bristol?lang=en").text  # confirmed: no status
    assert "wikidataIdStatus" not in english and "verification-status/wikidata-only" not in english.split("<main")[1]


def test_a_network_page_names_its_topics_in_words(client):
    english = client.get("/id/organisation/iclei?lang=en").text
    topics = english.split("<dt>Topic</dt>")[1].split("</dd>")[0]
    assert '<a href="/scheme/network-topic/climate">Climate protection</a>' in topics
    assert '<a href="/scheme/network-topic/sustainable-urban-development">Sustainable urban development</a>' in topics
    assert "Topics assigned by the editors" in english  # the editors' note says the assignment is theirs
    german = client.get("/id/organisation/climate-alliance?lang=de").text
    assert '<dt>Thema</dt>' in german and '<a href="/scheme/network-topic/climate">Klimaschutz</a>' in german


def test_incoming_links_are_listed_with_readable_names(client):
    page = client.get("/id/city/blantyre?lang=en").text
    assert "Links to this entry" in page and "Twinning Hannover – Blantyre" in page


def test_the_action_concept_page_shows_planned_phases_next_to_actual_events(client):
    page = client.get("/id/action-concept/internationale-stadt?lang=en").text
    assert "Timeline: planned and actual" in page
    planned = page.split('class="lane-list planned"')[1].split('class="lane-list actual"')[0]
    actual = page.split('class="lane-list actual"')[1]
    assert "Drawing up the action concept" in planned
    assert "Presentation of information paper 0383/2019" in actual
    assert '<svg class="timeline-chart"' in page


@pytest.mark.parametrize("key,count,example", [("cities", 13, "Bristol"), ("partnerships", 12, "Twinning Hannover – Rouen"),
                                               ("measures", 5, "Joining EUROCITIES"), ("memberships", 10, "EUROCITIES"),
                                               ("goals", 9, "Hannover promotes intercultural understanding"),
                                               ("organisations", 18, "Deutsche Messe AG")])
def test_list_pages_show_a_sortable_table_of_every_entry(client, key, count, example):
    page = client.get(f"/list/{key}?lang=en").text
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == count
    assert example in body and 'class="data sortable"' in page


def test_the_city_list_has_a_world_map_of_the_partner_cities_and_leaves_the_city_itself_out(client):
    page = client.get("/list/cities?lang=en").text
    assert page.count('<circle class="place') == 14 and page.count('<circle class="place main"') == 1
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert '<tr><td data-key="Hannover">' not in table
    assert 'not counting the city itself: <a href="/id/city/hannover">Hannover</a>' in page


def test_every_class_and_scheme_has_a_list(client):
    page = client.get("/list?lang=en").text
    assert 'href="/list?class=http%3A%2F%2Fschema.org%2FCity"' in page
    assert 'href="/scheme/partnership-type"' in page
    scheme = client.get("/scheme/measure-status?lang=en").text
    assert "Concepts in this scheme" in scheme and 'href="/scheme/measure-status/ongoing"' in scheme


def test_the_sdg_page_shows_which_goals_and_measures_address_each_sdg_and_marks_editorial_mappings(client):
    page = client.get("/sdgs?lang=en").text
    assert page.count('class="sdg sdg-') == 17
    sdg13 = page.split('id="sdg-13"')[1].split('id="sdg-14"')[0]
    assert "Climate projects with the twin city Blantyre" in sdg13
    assert 'class="basis editorial"' in sdg13
    assert 'class="basis source"' in page  # at least one mapping is stated by its source


def test_the_ontology_is_documented_in_both_languages_without_changing_logging(client):
    before = logging.getLogger().level
    german = client.get("/ontology?lang=de")
    english = client.get("/ontology?lang=en")
    assert german.status_code == english.status_code == 200
    assert "Partnerschaft" in german.text and ">Partnership<" in english.text
    assert "Partnerschaft" not in english.text.split("<body>", 1)[1].split("Partnership", 1)[0]
    assert '<link rel="alternate" type="text/turtle" href="/def.ttl">' in english.text
    assert logging.getLogger().level == before


def test_every_page_states_the_licence_in_its_footer(client):
    for path in ("/", "/id/city/bristol", "/list/cities", "/sdgs", "/downloads", "/id/city/atlantis"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert 'rel="license" href="http://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in response.text, path
        assert 'rel="license"' in response.headers["link"], path


def test_pages_load_nothing_from_other_hosts(client):
    for path in ("/", "/id/city/bristol", "/id/action-concept/internationale-stadt", "/list/cities", "/sdgs"):
        page = client.get(path).text
        assert not re.search(r'<(script|img|iframe)[^>]+src="(https?:)?//', page), path
        assert not re.search(r'<link rel="(stylesheet|icon|preload)"[^>]+href="(https?:)?//', page), path


# ------------------------------------------------------------------------------------------ escaping

def test_hostile_labels_notes_and_links_are_shown_as_text(hostile):
    page = hostile.get("/id/city/xss-town").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(" not in page
    assert "<b onmouseover" not in page
    assert 'href="javascript:' not in page
    partnership = hostile.get("/id/partnership/hannover-xss-town").text
    assert "</script><script>alert(6)" not in partnership
    for path in ("/list/cities", "/list/partnerships", "/id/city/hannover", "/list?class=http://schema.org/City"):
        text = hostile.get(path).text
        assert "<img src=x" not in text and "<script>alert(6)" not in text, path


def test_lists_flag_unverified_and_conflicting_entries(client):
    page = client.get("/list/memberships?lang=en").text
    row = next(r for r in page.split("<tr>") if "lhh-covenant-of-mayors" in r)
    assert 'class="flag status-conflicting"' in row and "Sources disagree" in row


def test_counts_use_the_thousands_separator_of_the_page_language(client):
    import re

    german = client.get("/?lang=de").text
    english = client.get("/?lang=en").text
    assert re.search(r'class="num">\d\.\d{3}<', german) and not re.search(r'class="num">\d,\d{3}<', german)
    assert re.search(r'class="num">\d,\d{3}<', english)


# ------------------------------------------------------------------------------------------ plain language for staff

DATA_GRAPH = "https://w3id.org/hki/graph/data"
# What only a developer can read: a web address, a prefixed name (owl:sameAs, dct:modified, xsd:date), a language
# tag after a value, datatype notation, the word IRI.
TECHNICAL_TEXT = re.compile(r"https?://|\b(?:owl|dct|dcterms|xsd|rdf|rdfs|skos|schema|hki|foaf|org|geo|wgs|dcat|void"
                            r"|prov|time|sdg|vstat|ptype):[A-Za-z]|@(?:de|en)\b|\^\^|\bIRI\b|\.ttl\b")


def _visible(fragment: str) -> str:
    """The text of an HTML fragment as a reader sees it, without the "Technical details" disclosure and without
    scripts (the neighbourhood view's data block); tags dropped, entities decoded, spaces collapsed."""
    import html as html_module

    fragment = re.sub(r'<details class="tech".*?</details>', " ", fragment, flags=re.S)
    fragment = re.sub(r"<script.*?</script>", " ", fragment, flags=re.S)
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _main_text(page: str) -> str:
    """What the main view of a page shows as text (<main>, see _visible)."""
    return _visible(page.split('<main id="content"', 1)[1].split(">", 1)[1].split("</main>", 1)[0])


def _data_entries(hannover) -> list[str]:
    rows = hannover.select(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{DATA_GRAPH}> {{ ?s ?p ?o FILTER(isIRI(?s)) }} }}",
                           trusted=True)
    return sorted(r["s"].value for r in rows)


def _path(iri: str) -> str:
    import urllib.parse

    base = "https://w3id.org/hki/"
    return "/" + iri[len(base):] if iri.startswith(base) else "/resource?" + urllib.parse.urlencode({"iri": iri})


@pytest.mark.parametrize("lang", ["de", "en"])
def test_no_resource_page_shows_iris_prefixes_language_tags_or_datatypes_outside_the_technical_details(
        client, hannover, lang):
    entries = _data_entries(hannover)
    assert len(entries) > 100
    found = []
    for iri in entries:
        page = client.get(_path(iri), params={"lang": lang}).text
        for match in TECHNICAL_TEXT.finditer(_main_text(page)):
            text = _main_text(page)
            found.append(f"{_path(iri)}: …{text[max(0, match.start() - 40):match.end() + 40]}…")
        # the technical details are still there, folded away: the address, the data formats, a query
        details = page.split('<details class="tech"', 1)[1].split("</details>", 1)[0]
        assert f'<code class="iri" id="iri">{iri}</code>' in details.replace("&amp;", "&"), iri
        assert 'type="text/turtle"' in details and "/sparql?" in details, iri
    assert found == []


def test_the_check_for_technical_text_finds_what_it_looks_for():
    assert TECHNICAL_TEXT.search("daher fehlt dct:modified") and TECHNICAL_TEXT.search("keine owl:sameAs-Verknüpfung")
    assert TECHNICAL_TEXT.search('"Poznań"@de') and TECHNICAL_TEXT.search('"1979"^^xsd:gYear')
    assert TECHNICAL_TEXT.search("Adresse (IRI): https://w3id.org/hki/id/city/poznan")
    assert not TECHNICAL_TEXT.search("Beginn: 29. Oktober 1979 · Quelle: hannover.de › … › Poznań")
    page = ('<main id="content"><p>Beginn</p><details class="tech"><code>https://w3id.org/x</code></details>'
            '<script type="application/json">{"id": "https://w3id.org/x"}</script></main>')
    assert _main_text(page) == "Beginn"


def test_german_pages_show_no_english_names(client, hannover):
    rows = hannover.select(f"""SELECT ?s ?de ?en WHERE {{ GRAPH <{DATA_GRAPH}> {{
        ?s <http://www.w3.org/2000/01/rdf-schema#label> ?de , ?en FILTER(LANG(?de) = "de" && LANG(?en) = "en"
        && STR(?de) != STR(?en) && !CONTAINS(STR(?de), STR(?en))) }} }}""", trusted=True)
    assert len(rows) > 40
    def own_text(page: str) -> str:  # the page's own words: the names of linked web pages (sources) are theirs
        return _main_text(re.sub(r'<a class="ext"[^>]*>.*?</a>', " ", page, flags=re.S))

    shown = [(r["s"].value, r["en"].value) for r in rows
             if r["en"].value in own_text(client.get(_path(r["s"].value), params={"lang": "de"}).text)]
    assert shown == []
    partnership = client.get("/id/partnership/hannover-poznan?lang=de").text
    assert "Twinning Hannover – Poznań" not in _main_text(partnership)
    assert "Twinning Hannover – Poznań" in partnership.split('<details class="tech"', 1)[1]  # still there, folded


def test_dates_are_written_in_the_page_language(client):
    assert "Beginn: 29. Oktober 1979" in _main_text(client.get("/id/partnership/hannover-poznan?lang=de").text)
    assert "Start: 29 October 1979" in _main_text(client.get("/id/partnership/hannover-poznan?lang=en").text)
    assert "Beginn: Dezember 2008" in _main_text(client.get("/id/membership/lhh-covenant-of-mayors?lang=de").text)
    assert "Beginn: 1947" in _main_text(client.get("/id/partnership/hannover-bristol?lang=de").text)
    measure = _main_text(client.get("/id/measure/blantyre-climate-resilience?lang=de").text)
    assert "Beginn: 1. April 2025" in measure and "Ende: 31. März 2028" in measure


def test_the_twinning_with_poznan_shows_its_date_and_source_before_everything_else(client):
    page = client.get("/id/partnership/hannover-poznan?lang=de").text
    head = page.split('<header class="resource-head">', 1)[1].split("</header>", 1)[0]
    assert "Beginn: 29. Oktober 1979" in _visible(head)
    assert re.search(r'Quelle:\s*<a class="ext" href="https://www\.hannover\.de/[^"]+"', head)
    assert '<a href="#sources-heading">(und 2 weitere)</a>' in head
    city = client.get("/id/city/poznan?lang=de").text.split("</header>", 2)[1]  # the site's header, then the page's
    assert re.search(r'<a href="/id/partnership/hannover-poznan">Städtepartnerschaft Hannover – Poznań</a>: '
                     r'<strong>seit dem 29\. Oktober 1979</strong>', city)


def test_editorial_notes_are_written_for_people(client):
    koszalin = _main_text(client.get("/id/city/koszalin?lang=de").text)
    assert "daher ist kein Wikidata-Eintrag verlinkt" in koszalin and "sameAs" not in koszalin
    concept = _main_text(client.get("/id/action-concept/internationale-stadt?lang=en").text)
    assert "so no date of its last change is given here" in concept and "modified" not in concept


def _facts(page: str) -> dict[str, list[str]]:
    """The facts list of a resource page: name → the values' texts."""
    facts = page.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    out = {}
    for name, values in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", facts, flags=re.S):
        items = re.findall(r"<li>(.*?)</li>", values, flags=re.S) or [values]
        out[_visible(name)] = [_visible(v) for v in items]
    return out


def test_the_action_concept_lists_its_four_fields_of_action_apart_from_mein_hannover_2030s(client):
    page = client.get("/id/action-concept/internationale-stadt?lang=de").text
    facts = _facts(page)
    own = facts["Handlungsfelder des Handlungskonzepts „Internationale Stadt“"]
    assert len(own) == 4 and "Weltoffenheit und Teilhabe der Bevölkerung fördern" in own
    assert facts["Handlungsfelder von „Mein Hannover 2030“"] == ["Wirtschaft, Arbeit, Wissenschaft und Umwelt"]
    assert "Es hat vier eigene Handlungsfelder." in " ".join(facts["Anmerkung"])
    assert "Handlungsfeld" not in facts  # no single list that mixes the two
    english = _facts(client.get("/id/action-concept/internationale-stadt?lang=en").text)
    assert len(english["Fields of action of the action concept \"Internationale Stadt\""]) == 4


def test_the_action_concepts_timeline_is_near_the_top_and_its_text_matches_the_chart(client):
    page = client.get("/id/action-concept/internationale-stadt?lang=de").text
    head = page.split('<header class="resource-head">', 1)[1].split("</header>", 1)[0]
    assert '<a href="#timeline-heading">Zeitplan: geplant und tatsächlich</a>' in head
    assert page.index('id="timeline-heading"') < page.index('id="facts-heading"')
    lead = _visible(page.split('id="timeline-heading"', 1)[1].split("</p>", 1)[0])
    # the chart stacks the lanes (planned above actual), and the text says so, not "links … daneben"
    lanes = re.findall(r'<text x="4" y="([\d.]+)" class="lane">(Geplant|Tatsächlich)</text>', page)
    y = {name: float(value) for value, name in lanes}
    assert y["Geplant"] < y["Tatsächlich"]
    assert "Oben" in lead and "darunter" in lead and "daneben" not in lead and "Links" not in lead
    # the chart is a picture; its entries are links in the numbered lists below it
    chart = page.split('<svg class="timeline-chart"', 1)[1].split("</svg>", 1)[0]
    assert "<a " not in chart and 'role="img"' in page.split('<svg class="timeline-chart"', 1)[1][:300]


def test_the_timelines_year_labels_sit_inside_the_chart():
    from graph.views.pages import timeline_bars

    milestones = [{"start": "2017-04", "end": "2017-09", "lane": "planned", "n": 1},
                  {"start": "2022-09", "end": "", "lane": "actual", "n": 1}]
    bars = timeline_bars(milestones, width=720)
    assert [y["year"] for y in bars["years"]] == [2017, 2018, 2019, 2020, 2021, 2022]
    assert all(20 <= y["x"] <= 700 for y in bars["years"])  # centred over its year, never at the right edge
    last = max(bars["bars"], key=lambda b: b["x"])
    assert last["num_x"] + 16 <= 720 or last["num_anchor"] == "end"
