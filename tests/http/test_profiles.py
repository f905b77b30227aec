"""Printable partner profiles (/profile, /profile/city/<key>), read as HTML: the facts a delegation visit needs
— since when, what kind, council papers, projects and measures, SDGs, networks in common, numbered sources —
in German and English, marked uncertainty, every text from the data escaped, a clear 404 for a key that
names no partner city. (tests/browser/test_profile_in_chromium.py prints them in Chromium.)"""
from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from graph.build import open_store

TWIN_CITIES = {"bristol": "Bristol", "perpignan": "Perpignan", "rouen": "Rouen", "blantyre": "Blantyre",
               "poznan": "Poznań", "hiroshima": "Hiroshima", "leipzig": "Leipzig"}  # the reference facts


def section(page: str, heading_id: str) -> str:
    """The HTML of the <section> whose heading has this id."""
    start = page.index(f'id="{heading_id}"')
    return page[start:page.index("</section>", start)]


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_poznans_profile_says_since_when_what_kind_and_where_it_is_written(client):
    response = client.get("/profile/city/poznan?lang=de")
    assert response.status_code == 200
    page = response.text
    assert "<h1 id=\"profile-heading\">Poznań</h1>" in page
    glance = text(section(page, "glance-heading"))
    assert "Land Polen" in glance
    assert "Städtepartnerschaft seit dem 29. Oktober 1979" in glance
    partnerships = section(page, "partnerships-heading")
    assert 'href="/id/partnership/hannover-poznan"' in partnerships
    assert "Der Partnerschaftsvertrag wurde am 29. Oktober 1979 geschlossen." in text(partnerships)
    sources = section(page, "sources-heading")
    for url, printed in (
            ("https://www.hannover.de/en/Government-Service/State-Capital-Hannover/Twin-Cities-of-the-State-Capital-Hannover/Pozna%C5%84",
             "https://www.hannover.de/en/Government-Service/State-Capital-Hannover/Twin-Cities-of-the-State-Capital-Hannover/Poznań"),
            ("http://www.poznan.pl/mim/main/en/hannover,p,19,64.html", "http://www.poznan.pl/mim/main/en/hannover,p,19,64.html")):
        assert f'href="{url}"' in sources and f'<span class="url">{printed}</span>' in sources  # printed in full, readable
    # every reference [n] in the profile points to a numbered source that exists
    cited = {int(n) for n in re.findall(r'href="#source-(\d+)"', page)}
    listed = {int(n) for n in re.findall(r'<li id="source-(\d+)"', page)}
    assert cited and cited == listed == set(range(1, len(listed) + 1))
    # German only: no English label, no language tag, no IRI in the text
    assert "Twinning" not in page and "@de" not in page and "w3id.org" not in text(page)
    assert '<link rel="stylesheet" href="/static/print.css" media="print">' in page


def test_a_profile_says_when_the_data_knows_no_networks_in_common_instead_of_guessing(client):
    networks = text(section(client.get("/profile/city/poznan?lang=de").text, "networks-heading"))
    assert "In den Daten ist kein Städtenetzwerk erfasst, in dem Hannover und Poznań beide Mitglied sind." in networks
    english = text(section(client.get("/profile/city/poznan?lang=en").text, "networks-heading"))
    assert "The data records no city network of which both Hannover and Poznań are members." in english


def test_blantyres_profile_lists_its_projects_with_status_responsible_body_council_paper_and_sdgs(client):
    page = client.get("/profile/city/blantyre?lang=de").text
    glance = text(section(page, "glance-heading"))
    assert "Städtepartnerschaft seit 1968" in glance
    assert "Projektpartnerschaft (Beginn nicht belegt)" in glance
    measures = section(page, "measures-heading")
    rows = measures.split("<tr>")[2:]
    assert len(rows) == 3
    by_name = {text(r.split("</td>")[0]).split(" [")[0]: [text(c) for c in r.split("</td>")[1:5]] for r in rows}
    assert by_name["Aufbau von Klimaresilienz in Blantyre/Malawi"] == [
        "laufend", "Landeshauptstadt Hannover", "1. April 2025 – 31. März 2028", "6, 7, 13, 17"]
    assert by_name["Klimaprojekte mit der Partnerstadt Blantyre"][:2] == ["laufend", "Landeshauptstadt Hannover"]
    documents = text(section(page, "documents-heading"))
    assert "Drucksache 0002/2021 (Rahmen für Klimaprojekte mit Blantyre)" in documents
    sdgs = section(page, "sdgs-heading")
    assert [text(n) for n in re.findall(r'<span class="sdg-no">(.*?)</span>', sdgs)] == \
        ["SDG 4", "SDG 6", "SDG 7", "SDG 13", "SDG 17"]
    assert "Maßnahmen zum Klimaschutz" in sdgs
    assert "Die Zuordnung zu den SDGs stammt von der Redaktion, nicht aus den Quellen." in text(sdgs)


def test_an_unconfirmed_partnership_is_marked_in_the_profile_with_the_editors_reason(client):
    page = client.get("/profile/city/yekaterinburg?lang=de").text
    glance = text(section(page, "glance-heading"))
    assert "Städtefreundschaft seit April 2017" in glance and "⚠" in glance
    partnerships = text(section(page, "partnerships-heading"))
    assert "Nur durch ein Portal Dritter belegt (russlandpartner.de)" in partnerships


def test_the_profile_in_english(client):
    page = client.get("/profile/city/poznan?lang=en").text
    assert '<html lang="en">' in page
    glance = text(section(page, "glance-heading"))
    assert "Country Poland" in glance and "since 29 October 1979" in glance
    assert "Städtepartnerschaft" not in glance and "Print or save as PDF" in page


def test_every_partner_city_has_a_profile_and_the_list_links_each_one(client, hannover):
    rows = hannover.select("""SELECT DISTINCT ?c WHERE { ?p a <https://w3id.org/hki/def#Partnership> ;
        <https://w3id.org/hki/def#partner> <https://w3id.org/hki/id/city/hannover> , ?c
        FILTER(?c != <https://w3id.org/hki/id/city/hannover>) }""", trusted=True)
    keys = {r["c"].value.rsplit("/", 1)[-1] for r in rows}
    assert set(TWIN_CITIES) <= keys and len(keys) > len(TWIN_CITIES)  # friendships and project partners too
    index = client.get("/profile?lang=de").text
    assert set(re.findall(r'href="/profile/city/([\w-]+)"', index)) == keys
    for key in sorted(keys):
        assert client.get(f"/profile/city/{key}").status_code == 200, key


def test_a_city_page_links_to_its_profile_and_the_home_page_to_the_list(client):
    city = client.get("/id/city/poznan?lang=de").text
    assert re.search(r'<a class="button" id="profile-link" href="/profile/city/poznan">Profil drucken</a>', city)
    assert 'href="/profile"' in client.get("/?lang=de").text
    # the home city and a place without a partnership have no profile button
    assert 'id="profile-link"' not in client.get("/id/city/hannover?lang=de").text


@pytest.mark.parametrize("key,says", [
    ("atlantis", "„atlantis“ ist keine Partnerstadt in den Daten."),
    ("hannover", "„hannover“ ist die Stadt selbst; Profile gibt es für ihre Partnerstädte."),
])
def test_a_key_that_names_no_partner_city_answers_404_naming_it_and_listing_the_valid_ones(client, key, says):
    response = client.get(f"/profile/city/{key}?lang=de")
    assert response.status_code == 404
    assert says in text(response.text)
    assert "Profile gibt es für diese Städte:" in response.text
    assert 'href="/profile/city/poznan"' in response.text and 'href="/profile/city/bristol"' in response.text


def test_profile_texts_from_the_data_are_escaped(make_client, hostile_settings, hostile_store):
    with make_client(replace(hostile_settings, lang="en"), kstore=hostile_store) as hostile:
        page = hostile.get("/profile/city/xss-town").text
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "</script><script>alert(6)" not in page
        assert 'href="javascript:' not in page


NETWORK_IN_COMMON = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct:  <http://purl.org/dc/terms/> .
@prefix org:  <http://www.w3.org/ns/org#> .
<https://w3id.org/hki/id/organisation/poznan-city-administration> a org:Organization ;
    rdfs:label "Stadtverwaltung Poznań"@de , "City of Poznań administration"@en ;
    dct:spatial <https://w3id.org/hki/id/city/poznan> ;
    dct:source <https://example.org/poznan> .
<https://w3id.org/hki/id/membership/poznan-eurocities> a org:Membership ;
    rdfs:label "Mitgliedschaft von Poznań bei EUROCITIES"@de , "Membership of Poznań in EUROCITIES"@en ;
    org:member <https://w3id.org/hki/id/organisation/poznan-city-administration> ;
    org:organization <https://w3id.org/hki/id/organisation/eurocities> ;
    dct:source <https://example.org/poznan-eurocities> .
"""


def test_networks_of_which_both_cities_are_members_are_listed_with_their_status(make_client, settings, tmp_path):
    extra = tmp_path / "poznan-network.ttl"
    extra.write_text(NETWORK_IN_COMMON, encoding="utf-8")
    config = replace(settings, extra_data=(extra,), lang="de")
    store = open_store(config)
    try:
        with make_client(config, kstore=store) as test_client:
            networks = section(test_client.get("/profile/city/poznan").text, "networks-heading")
            assert 'href="/id/organisation/eurocities"' in networks and "EUROCITIES" in networks
            assert "⚠ unbestätigt" in networks  # Hannover's membership in EUROCITIES is unconfirmed
            cited = {int(n) for n in re.findall(r'href="#source-(\d+)"', networks)}
            page = test_client.get("/profile/city/poznan").text
            cited_urls = {re.search(rf'<li id="source-{n}">.*?href="([^"]+)"', page)[1] for n in cited}
            assert {"https://example.org/poznan-eurocities",  # both memberships' sources
                    "https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/2293-2019"} <= cited_urls
            assert "kein Städtenetzwerk erfasst" not in networks
    finally:
        store.close()
