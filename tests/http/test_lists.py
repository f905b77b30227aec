"""The list pages over HTTP: filters with counts, sorting, pages, 400s that name the parameter, and
spreadsheets (XLSX, CSV for German Excel) holding exactly the rows a filter selects.
(tests/browser/test_lists_in_chromium.py does the staff's tasks with these pages in Chromium.)"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from graph.build import open_store
from graph.views.lists import PAGE_SIZE

TWIN_CITIES = {"Bristol", "Perpignan", "Rouen", "Blantyre", "Poznań", "Hiroshima", "Leipzig"}


class Page(HTMLParser):
    """What a list page shows: the table (heading texts, rows of cell texts, the links of the headings),
    the filters (name, value, label, count, checked) and every link."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[str] = []
        self.sort_links: dict[str, str] = {}
        self.aria_sort: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self.options: list[dict] = []
        self.links: list[tuple[str, str]] = []
        self._in_table = self._in_head = False
        self._cell: list[str] | None = None
        self._th: dict | None = None
        self._label: dict | None = None
        self._link: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "list":
            self._in_table = True
        elif self._in_table and tag == "thead":
            self._in_head = True
        elif self._in_table and tag == "tr" and not self._in_head:
            self.rows.append([])
        elif self._in_table and tag == "th":
            self._th = {"text": [], "sort": a.get("aria-sort"), "href": None}
        elif self._in_table and tag == "td":
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("; ")
        elif tag == "label" and "option" in (a.get("class") or ""):
            self._label = {"text": [], "checked": False}
        elif tag == "input" and self._label is not None and a.get("type") == "checkbox":
            self._label.update(name=a["name"], value=a["value"], checked="checked" in a)
        if tag == "a":
            self._link = [a.get("href"), []]
            if self._th is not None:
                self._th["href"] = a.get("href")

    def handle_endtag(self, tag):
        if tag == "table" and self._in_table:
            self._in_table = False
        elif tag == "thead":
            self._in_head = False
        elif tag == "th" and self._th is not None:
            text = "".join(self._th["text"]).strip()
            self.headings.append(text)
            self.sort_links[text] = self._th["href"]
            if self._th["sort"]:
                self.aria_sort[text] = self._th["sort"]
            self._th = None
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "label" and self._label is not None:
            text = " ".join("".join(self._label.pop("text")).split())
            label, count = re.fullmatch(r"(.*) \((\d+)\)", text).groups()
            self.options.append({**self._label, "label": label, "count": int(count)})
            self._label = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join("".join(self._link[1]).split())))
            self._link = None

    def handle_data(self, data):
        if self._th is not None and not self._th.get("hidden"):
            self._th["text"].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._label is not None:
            self._label["text"].append(data)
        if self._link is not None:
            self._link[1].append(data)

    # the visually hidden "– sort ascending" after each heading is not part of its name
    def heading_names(self) -> list[str]:
        return [re.split(r" – ", h)[0] for h in self.headings]

    def names(self) -> list[str]:
        """The first column: the entries' names (without the ⚠ flags)."""
        return [row[0].split(" ⚠")[0] for row in self.rows]

    def column(self, heading: str) -> list[str]:
        index = self.heading_names().index(heading)
        return [row[index] for row in self.rows]

    def option(self, name: str, label: str) -> dict:
        return next(o for o in self.options if o["name"] == name and o["label"] == label)


def page(client: TestClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    return Page(response.text)


def all_names(client: TestClient, url: str) -> list[str]:
    """The names on every page of a list, following its page links."""
    names, number = [], 1
    while True:
        shown = page(client, url + ("&" if "?" in url else "?") + f"page={number}")
        names += shown.names()
        if not any(text.startswith(("Weiter", "Next")) for _, text in shown.links):
            return names
        number += 1


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def workbook_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]


# ------------------------------------------------------------------------------------------ partner cities

def test_partner_cities_say_which_are_twin_cities_friendships_and_project_partners(client):
    cities = page(client, "/list/cities?lang=de")
    kinds = dict(zip(cities.names(), cities.column("Art der Partnerschaft")))
    assert kinds["Nantes"] == "Projektpartnerschaft"  # an EU project partner, not a twin city
    assert kinds["Iwanowo"] == "Städtefreundschaft"
    assert kinds["Blantyre"] == "Projektpartnerschaft; Städtepartnerschaft"  # a city can be several
    assert {c for c, k in kinds.items() if "Städtepartnerschaft" in k} == TWIN_CITIES
    assert dict(zip(cities.names(), cities.column("Land")))["Rouen"] == "Frankreich"
    assert "Hannover" not in cities.names()  # the home city itself is no partner city


def test_the_twin_cities_in_france_are_perpignan_and_rouen(client):
    shown = page(client, "/list/cities?lang=de&country=FRA&type=twin-city")
    assert shown.names() == ["Perpignan", "Rouen"]
    assert "2 von 13 Einträgen" in client.get("/list/cities?lang=de&country=FRA&type=twin-city").text
    france = page(client, "/list/cities?lang=de&country=FRA")
    assert france.names() == ["Nantes", "Perpignan", "Rouen"]
    # the counts beside each value: what choosing it (instead) would give, the other filters kept
    assert france.option("type", "Städtepartnerschaft")["count"] == 2
    assert france.option("type", "Projektpartnerschaft")["count"] == 1
    assert france.option("country", "Frankreich") == {"name": "country", "value": "FRA", "checked": True,
                                                      "label": "Frankreich", "count": 3}


@pytest.mark.parametrize("url", ["/list/cities", "/list/cities?type=twin-city", "/list/partnerships?country=POL",
                                 "/list/measures?status=ongoing", "/list/organisations", "/list/goals?sdg=16",
                                 "/list/memberships"])
def test_every_count_beside_a_filter_value_is_the_number_of_rows_it_gives(client, url):
    shown = page(client, url + ("&" if "?" in url else "?") + "lang=de")
    assert shown.options, "the list has filters"
    for option in shown.options:
        # the same filters, with this value as the only one of its filter
        kept = [p for p in url.partition("?")[2].split("&") if p and not p.startswith(option["name"] + "=")]
        target = url.partition("?")[0] + "?" + "&".join(kept + [f"{option['name']}={option['value']}", "lang=de"])
        assert len(all_names(client, target)) == option["count"], (option, target)


def test_a_period_counts_the_start_of_the_partnership_of_the_type_chosen(client):
    before_1970 = page(client, "/list/cities?lang=de&type=twin-city&to=1969")
    assert sorted(before_1970.names()) == ["Blantyre", "Bristol", "Perpignan", "Rouen"]
    # Blantyre's project partnership has no start year: its twinning of 1968 does not make it one "before 1970"
    assert page(client, "/list/cities?lang=de&type=project-partnership&to=1969").names() == []
    partnerships = page(client, "/list/partnerships?lang=de&from=1960&to=1979")
    assert sorted(partnerships.column("Partnerstädte")) == ["Blantyre", "Perpignan", "Poznań", "Rouen"]
    assert page(client, "/list/partnerships?lang=de&from=1979&to=1979").names() == ["Städtepartnerschaft Hannover – Poznań"]


# ------------------------------------------------------------------------------------------ measures, SDGs

def test_measures_show_status_responsible_organisation_goals_and_sdgs(client):
    measures = page(client, "/list/measures?lang=de")
    assert measures.heading_names()[:5] == ["Maßnahme", "Nummer", "Status", "Verantwortlich", "Beginn"]
    assert {"Ziele", "SDGs"} <= set(measures.heading_names())
    assert "Organisationseinheit" not in measures.heading_names()  # no measure names a unit: no empty column
    row = dict(zip(measures.heading_names(), measures.rows[measures.names().index("Aufbau von Klimaresilienz in Blantyre/Malawi")]))
    assert row["Status"] == "laufend" and row["Verantwortlich"] == "Landeshauptstadt Hannover"
    assert row["Beginn"] == "1. April 2025" and row["Ende"] == "31. März 2028"
    assert row["SDGs"] == "SDG 6, SDG 7, SDG 13, SDG 17"  # by number; the names on hover, in the filter and the file
    assert '<span title="SDG 13: Maßnahmen zum Klimaschutz">SDG 13</span>' in client.get("/list/measures?lang=de").text
    assert "Hannover ist Impulsgeber in Europa und übernimmt Verantwortung in der Welt" in row["Ziele"]
    sdg13 = page(client, "/list/measures?lang=de&sdg=13")
    assert sorted(sdg13.names()) == ["Aufbau von Klimaresilienz in Blantyre/Malawi",
                                     "Klimaprojekte mit der Partnerstadt Blantyre",
                                     "NAKOPA-Projekt „Global nachhaltige Entwicklung durch Klimaschutzmaßnahmen und Bildung stärken“ (Blantyre)"]
    assert set(sdg13.column("Verantwortlich")) == {"Landeshauptstadt Hannover"}


def test_the_sdg_page_names_the_responsible_organisation_beside_each_measure(client):
    html = client.get("/sdgs?lang=de").text
    sdg13 = html.split('id="sdg-13"')[1].split('id="sdg-14"')[0]
    measures = sdg13.split("<h4>Maßnahmen</h4>")[1].split("<h4>Ziele</h4>")[0]
    assert measures.count("<dt>Verantwortlich</dt>") == 3
    assert measures.count('<a href="/id/organisation/lhh">Landeshauptstadt Hannover</a>') == 3
    assert "Aufbau von Klimaresilienz in Blantyre/Malawi" in measures and "<dd>laufend</dd>" in measures
    only13 = client.get("/sdgs?lang=de&sdg=13").text
    assert only13.count('class="sdg sdg-') == 1 and 'id="sdg-13"' in only13
    measures_only = client.get("/sdgs?lang=de&kind=measure").text
    assert "<h4>Ziele</h4>" not in measures_only and "<h4>Maßnahmen</h4>" in measures_only


def test_the_sdg_page_as_a_spreadsheet_lists_measures_with_who_is_responsible(client):
    rows = csv_rows(client.get("/sdgs.csv?lang=de&sdg=13&kind=measure"))
    assert rows[0] == ["Ziel oder Maßnahme", "SDG", "Art", "Status", "Verantwortlich", "Grundlage der Zuordnung",
                       "Prüfstatus"]
    assert len(rows) == 4 and {r[4] for r in rows[1:]} == {"Landeshauptstadt Hannover"}
    assert {r[1] for r in rows[1:]} == {"SDG 13: Maßnahmen zum Klimaschutz"}


# ------------------------------------------------------------------------------------------ sorting, pages

def test_any_column_sorts_by_a_link_ascending_then_descending_with_empty_cells_last(client):
    ascending = page(client, "/list/partnerships?lang=en&sort=start")
    assert ascending.aria_sort == {"Start – sort descending": "ascending"}
    starts = ascending.column("Start")
    filled = [s for s in starts if s]
    assert filled[:3] == ["1947", "1960", "1966"] and starts[len(filled):] == [""] * (len(starts) - len(filled))
    assert ascending.sort_links["Start – sort descending"] == "/list/partnerships?sort=-start"  # the next click
    descending = page(client, "/list/partnerships?lang=en&sort=-start")
    assert [s for s in descending.column("Start") if s][:2] == ["April 2017", "1991"]
    assert descending.column("Start")[-1] == ""  # still last
    names = page(client, "/list/cities?lang=de&sort=-name").names()
    assert names == sorted(names, key=lambda n: n.replace("ń", "n"), reverse=True)
    assert page(client, "/list/cities?lang=de&sort=country").column("Land")[0] == "Deutschland"
    # sorting keeps the filters, and a filter form keeps the sort
    html = client.get("/list/cities?lang=de&type=twin-city&sort=-since").text
    assert 'href="/list/cities?type=twin-city&amp;sort=since"' in html
    assert '<input type="hidden" name="sort" value="-since">' in html


@pytest.fixture(scope="module")
def many(settings, tmp_path_factory) -> Iterator:
    """The shipped data and 64 more partner cities, one named like a spreadsheet formula, and a measure
    of the Climate Protection Office (an organisational unit)."""
    extra = tmp_path_factory.mktemp("lists") / "many.ttl"
    lines = ["@prefix schema: <http://schema.org/> . @prefix hki: <https://w3id.org/hki/def#> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
             "@prefix c: <https://w3id.org/hki/id/city/> . @prefix p: <https://w3id.org/hki/id/partnership/> ."]
    for n in range(64):
        name = '=HYPERLINK(\\"http://example.org\\")' if n == 0 else f"Teststadt {n:02d}"
        lines.append(f'c:test-{n} a schema:City ; rdfs:label "{name}"@de , "{name}"@en ; '
                     f'schema:containedInPlace <http://publications.europa.eu/resource/authority/country/FRA> .')
        lines.append(f'p:test-{n} a hki:Partnership ; rdfs:label "Freundschaft {n:02d}"@de ; hki:partner c:hannover , c:test-{n} ; '
                     f'hki:partnershipType <https://w3id.org/hki/scheme/partnership-type/friendship> ; '
                     f'schema:startDate "{2000 + n % 20}"^^xsd:gYear .')
    lines.append('<https://w3id.org/hki/id/measure/test-unit> a hki:Measure ; rdfs:label "Klimaschutz-Test"@de ; '
                 'hki:responsibleOrganisation <https://w3id.org/hki/id/organisation/klimaschutzleitstelle> ; '
                 'hki:addressesSDG <http://metadata.un.org/sdg/13> .')
    extra.write_text("\n".join(lines), encoding="utf-8")
    store = open_store(replace(settings, extra_data=(Path(extra),)))
    yield store
    store.close()


@pytest.fixture(scope="module")
def many_client(make_client, settings, many) -> Iterator[TestClient]:
    with make_client(replace(settings, lang="de"), kstore=many) as test_client:
        yield test_client


def test_long_lists_come_in_pages_of_fifty_with_page_links(many_client):
    first = page(many_client, "/list/cities?lang=de")
    assert len(first.rows) == PAGE_SIZE == 50
    html = many_client.get("/list/cities?lang=de").text
    assert "Einträge: 77 · angezeigt: 1–50" in html
    assert '<a href="/list/cities?page=2">Seite 2</a>' in html and 'aria-current="page">Seite 1</a>' in html
    second = page(many_client, "/list/cities?lang=de&page=2")
    assert len(second.rows) == 27 and not set(first.names()) & set(second.names())
    assert len(all_names(many_client, "/list/cities?lang=de")) == 77
    filtered = many_client.get("/list/cities?lang=de&country=FRA&page=2").text
    assert "67 von 77 Einträgen · angezeigt: 51–67" in filtered
    assert 'href="/list/cities?country=FRA">← Zurück' in filtered.replace("&amp;", "&") or \
        'href="/list/cities?country=FRA" rel="prev">← Zurück' in filtered


def test_a_spreadsheet_holds_every_filtered_row_not_only_the_page(many_client):
    names = all_names(many_client, "/list/cities?lang=de&country=FRA")
    rows = csv_rows(many_client.get("/list/cities.csv?lang=de&country=FRA"))
    assert len(names) == 67 and [r[0].removeprefix("'") for r in rows[1:]] == names
    assert [r[0] for r in workbook_rows(many_client.get("/list/cities.xlsx?lang=de&country=FRA"))[1:]] == names


def test_a_name_like_a_formula_stays_text_in_both_spreadsheets(many_client):
    rows = csv_rows(many_client.get("/list/cities.csv?lang=de&country=FRA"))
    assert ["'=HYPERLINK(\"http://example.org\")"] == [r[0] for r in rows if "HYPERLINK" in r[0]]
    workbook = load_workbook(io.BytesIO(many_client.get("/list/cities.xlsx?lang=de").content))
    cells = [c for row in workbook.worksheets[0].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("http://example.org")', "s")]


def test_a_measure_of_a_unit_shows_the_unit_and_its_organisation(many_client):
    measures = page(many_client, "/list/measures?lang=de")
    assert "Organisationseinheit" in measures.heading_names()
    row = dict(zip(measures.heading_names(), measures.rows[measures.names().index("Klimaschutz-Test")]))
    assert row["Organisationseinheit"] == "Klimaschutzleitstelle der Landeshauptstadt Hannover"
    assert row["Verantwortlich"] == "Landeshauptstadt Hannover"


# ------------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("url,words", [
    ("/list/cities?country=XYZ", ["„Land“", "country", "„XYZ“", "FRA (Frankreich)", "GBR (Vereinigtes Königreich)"]),
    ("/list/cities?type=twinned", ["„Art der Partnerschaft“", "type", "twin-city (Städtepartnerschaft)"]),
    ("/list/measures?sdg=18", ["sdg", "„18“", "13 (SDG 13: Maßnahmen zum Klimaschutz)"]),
    ("/list/measures?status=done", ["status", "ongoing (laufend)", "unknown (unbekannt)"]),
    ("/list/partnerships?from=19x", ["„19x“ ist keine Jahreszahl", "from", "1000 bis 2999"]),
    ("/list/partnerships?from=1990&to=1980", ["to=1980", "from=1990"]),
    ("/list/cities?sort=population", ["sort", "„population“", "country (Land)", "since (Seit)"]),
    ("/list/cities?page=0", ["page", "ab 1 gezählt"]),
    ("/list/cities?page=3", ["page", "1 bis 1"]),
    ("/sdgs?basis=maybe", ["basis", "editorial (redaktionell)", "source (laut Quelle)"]),
])
def test_a_bad_filter_value_is_a_400_naming_the_parameter_and_the_valid_values(client, url, words):
    response = client.get(url + "&lang=de")
    assert response.status_code == 400
    text = response.text
    assert 'role="alert"' in text and "Diese Auswahl gibt es nicht" in text
    for word in words:
        assert word in text, word
    spreadsheet = client.get(url.replace("/list/cities?", "/list/cities.csv?").replace("/sdgs?", "/sdgs.csv?")
                             .replace("/list/measures?", "/list/measures.xlsx?")
                             .replace("/list/partnerships?", "/list/partnerships.csv?") + "&lang=de")
    assert spreadsheet.status_code == 400 and spreadsheet.headers["content-type"].startswith("text/plain")
    assert all(w in spreadsheet.text for w in words)


def test_the_400_is_worded_in_the_page_language(client):
    english = client.get("/list/cities?country=XYZ&lang=en")
    assert english.status_code == 400
    assert 'The filter "Country" (parameter country) has no value "XYZ"' in english.text.replace("&#34;", '"')
    assert "FRA (France)" in english.text


def test_filter_values_are_found_whatever_their_case_and_unknown_parameters_are_left_alone(client):
    assert page(client, "/list/cities?lang=de&country=fra&type=TWIN-CITY&utm_source=mail").names() == ["Perpignan", "Rouen"]


# ------------------------------------------------------------------------------------------ spreadsheets

def test_the_partnerships_csv_is_made_for_german_excel(client):
    response = client.get("/list/partnerships.csv?lang=de&type=twin-city")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="partnerschaften.csv"' in response.headers["content-disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    rows = csv_rows(response)
    assert rows[0] == ["Partnerschaft", "Art", "Partnerstädte", "Beginn", "Ende", "Land", "Prüfstatus"]
    by_city = {r[2]: r for r in rows[1:]}
    assert set(by_city) == TWIN_CITIES
    assert by_city["Poznań"][3] == "29.10.1979" and by_city["Bristol"][3] == "1947"  # a day as a German date, a year as a year
    assert by_city["Hiroshima"][6] == "widersprüchlich"  # the sources disagree: said in the table too
    concerto = csv_rows(client.get("/list/partnerships.csv?lang=de&country=SWE"))[1]
    assert concerto[2] == "Koszalin; Malmö; Nantes; Newcastle upon Tyne"  # several values joined with "; "
    assert "https://" not in body.decode("utf-8") and "w3id" not in body.decode("utf-8")  # names, not IRIs


def test_the_partnerships_workbook_has_german_headings_dates_as_dates_and_the_seven_twin_cities(client):
    response = client.get("/list/partnerships.xlsx?lang=de&type=twin-city")
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="partnerschaften.xlsx"' in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Partnerschaften"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Partnerschaft", "Art", "Partnerstädte", "Beginn", "Ende", "Land", "Prüfstatus"]
    by_city = {r[2]: r for r in rows[1:]}
    assert set(by_city) == TWIN_CITIES
    assert by_city["Poznań"][3] == dt.datetime(1979, 10, 29)  # a date cell
    assert sheet.cell(1 + list(by_city).index("Poznań") + 1, 4).number_format == "DD.MM.YYYY"
    assert by_city["Bristol"][3] == 1947 and isinstance(by_city["Bristol"][3], int)  # a year stays a number
    about = dict((r[0], r[1]) for r in workbook.worksheets[1].iter_rows(values_only=True))
    assert about["Auswahl"] == "Art der Partnerschaft: Städtepartnerschaft" and about["Lizenz"].startswith("http")
    assert about["Quelle (Adresse dieser Auswahl)"].endswith("/list/partnerships?type=twin-city")


def test_an_english_page_gives_english_headings_and_file_names(client):
    response = client.get("/list/cities.xlsx?lang=en&country=FRA")
    assert 'filename="partner-cities.xlsx"' in response.headers["content-disposition"]
    rows = workbook_rows(response)
    assert rows[0] == ["City", "Type of partnership", "Country", "Since", "Partnerships", "Verification status"]
    assert {r[0]: r[1] for r in rows[1:]} == {"Nantes": "Project partnership", "Perpignan": "Twin city",
                                              "Rouen": "Twin city"}
    english = csv_rows(client.get("/list/partnerships.csv?lang=en&type=twin-city"))
    assert {r[2]: r[3] for r in english[1:]}["Poznań"] == "1979-10-29"


@pytest.mark.parametrize("key", ["cities", "partnerships", "memberships", "organisations", "goals", "measures"])
def test_every_list_downloads_exactly_the_rows_it_shows(client, key):
    shown = page(client, f"/list/{key}?lang=de")
    rows = csv_rows(client.get(f"/list/{key}.csv?lang=de"))
    assert rows[0][:len(shown.headings)] == shown.heading_names()
    assert [r[0] for r in rows[1:]] == shown.names()
    assert [r[0] for r in workbook_rows(client.get(f"/list/{key}.xlsx?lang=de"))[1:]] == shown.names()


# ------------------------------------------------------------------------------------------ downloads

def test_downloads_offer_the_staff_tables_first_and_the_rdf_dumps_below_for_developers(client):
    html = client.get("/downloads?lang=de").text
    tables = html.index("Tabellen für Excel und LibreOffice")
    developers = html.index("Für Entwicklerinnen und Entwickler")
    assert tables < developers
    for key in ("partnerships", "cities", "memberships", "measures", "organisations"):
        assert f'href="/list/{key}.xlsx"' in html[tables:developers] and f'href="/list/{key}.csv"' in html[tables:developers]
    assert "Alle Daten in einer Datei, im gut lesbaren Format Turtle" in html or "kg build" in html
    english = client.get("/downloads?lang=en").text
    assert "For developers" in english and "Tables for Excel and LibreOffice" in english
    assert "Für Entwickler" not in english
    for link in re.findall(r'href="(/list/[a-z]+\.(?:xlsx|csv))"', html):
        response = client.get(link + "?lang=de")
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"], link


def test_the_dumps_are_described_in_the_page_language(make_client, settings, tmp_path):
    from graph.build import build

    dist = tmp_path / "dist"
    report, _ = build(settings, dist)
    assert report.conforms
    with make_client(replace(settings, lang="de"), dist_dir=dist) as with_dumps:
        german = with_dumps.get("/downloads?lang=de").text
        english = with_dumps.get("/downloads?lang=en").text
    assert "Alle Daten als N-Triples" in german and 'href="/downloads/hki.nt.gz"' in german
    assert "All data as N-Triples" in english
    assert "Technische Angaben" in german and "<details" in german  # checksums and media types behind a disclosure
    developers = german.index("Für Entwicklerinnen und Entwickler")
    assert german.index('href="/downloads/hki.ttl"') > developers
