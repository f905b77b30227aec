"""A published change rewrites the data folder's Turtle deterministically and keeps everything else byte for byte
(graph/workspace/turtle_files.py): the changed entry's block in the canonical form, comments kept, new entries in
the file of their kind, removed entries gone with their own comment, and a real parse deciding every step."""
from __future__ import annotations

import difflib
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib.compare

from graph.config import PACKAGE_DATA_DIR
from graph.workspace import turtle_files
from graph.workspace.turtle_files import ChangeConflict, apply_change, parse_file

N, L = ox.NamedNode, ox.Literal
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = N("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = N("http://www.w3.org/2000/01/rdf-schema#label")
START = N("http://schema.org/startDate")
SOURCE = N("http://purl.org/dc/terms/source")
HKI = "https://w3id.org/hki/def#"
ROUEN = N("https://w3id.org/hki/id/partnership/hannover-rouen")


@pytest.fixture(scope="module")
def shipped() -> dict[str, bytes]:
    """The shipped data files, read once (never written)."""
    return {path.name: path.read_bytes() for path in sorted(PACKAGE_DATA_DIR.glob("*.ttl"))}


def year(value: str) -> ox.Literal:
    return L(value, datatype=N(XSD + "gYear"))


def statements(data: bytes) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, format=ox.RdfFormat.TURTLE)}


def changed_lines(old: bytes, new: bytes) -> list[str]:
    return [line for line in difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_changed_entry_is_rewritten_where_it_was_and_every_other_byte_is_kept(shipped):
    old, new = ox.Triple(ROUEN, START, year("1966")), ox.Triple(ROUEN, START, year("1967"))
    result = apply_change(shipped, [old], [new])
    assert list(result.files) == ["partnerships.ttl"] and result.canonical == ()
    before, after = shipped["partnerships.ttl"], result.files["partnerships.ttl"]
    assert statements(after) == statements(before) - {old} | {new}
    # only lines of Rouen's block differ; the lines around it, comments included, are the same bytes
    text_before, text_after = before.decode(), after.decode()
    head = text_before[: text_before.index("ps:hannover-rouen a")]
    tail = text_before[text_before.index("ps:hannover-blantyre a"):]
    assert text_after.startswith(head) and text_after.endswith(tail)
    assert "# LHH: \"six international twin-city partnerships" in text_after
    assert '    schema:startDate "1967"^^xsd:gYear ;' in text_after.splitlines()


def test_a_rewritten_entry_reads_type_labels_then_the_sorted_predicates_one_value_per_line(shipped):
    result = apply_change(shipped, [ox.Triple(ROUEN, START, year("1966"))], [ox.Triple(ROUEN, START, year("1967"))])
    text = result.files["partnerships.ttl"].decode()
    block = text[text.index("ps:hannover-rouen a"):text.index("ps:hannover-blantyre a")].rstrip()
    assert block.splitlines() == [
        "ps:hannover-rouen a hki:Partnership ;",
        '    rdfs:label "Städtepartnerschaft Hannover – Rouen"@de ,',
        '        "Twinning Hannover – Rouen"@en ;',
        "    dct:source <https://e-government.hannover-stadt.de/lhhsimwebre.nsf/DS/3168-2017> ,",
        "        <https://www.hannover.de/Leben-in-der-Region-Hannover/Politik/St%C3%A4dte-Regionspartnerschaften/"
        "St%C3%A4dtepartnerschaften-der-Landeshauptstadt-Hannover/Geschichte-der-hannoverschen-St%C3%A4dtepartnerschaften> ;",
        '    schema:startDate "1967"^^xsd:gYear ;',
        "    hki:partner city:hannover ,",
        "        city:rouen ;",
        "    hki:partnershipType ptype:twin-city .",
    ]


def new_partnership(slug: str = "hannover-testhausen", label: str = "Projektpartnerschaft Hannover – Testhausen") -> list[ox.Triple]:
    s = N(f"https://w3id.org/hki/id/partnership/{slug}")
    return [ox.Triple(s, RDF_TYPE, N(HKI + "Partnership")), ox.Triple(s, LABEL, L(label, language="de")),
            ox.Triple(s, LABEL, L(label.replace("Projektpartnerschaft", "Project partnership"), language="en")),
            ox.Triple(s, N(HKI + "partner"), N("https://w3id.org/hki/id/city/hannover")),
            ox.Triple(s, N(HKI + "partner"), N("https://w3id.org/hki/id/city/bristol")),
            ox.Triple(s, START, year("2024")), ox.Triple(s, SOURCE, N("https://example.org/quelle"))]


def test_the_same_change_gives_the_same_bytes_whatever_the_order_of_its_statements(shipped):
    added = new_partnership()
    first = apply_change(shipped, [], added)
    again = apply_change(shipped, [], list(reversed(added)))
    assert first == again
    assert apply_change(first.files | {k: v for k, v in shipped.items() if k not in first.files}, [], added).files == {}


def test_a_new_entry_goes_to_the_end_of_the_file_with_the_most_entries_of_its_type(shipped):
    result = apply_change(shipped, [], new_partnership())
    assert list(result.files) == ["partnerships.ttl"]
    before, after = shipped["partnerships.ttl"].decode(), result.files["partnerships.ttl"].decode()
    assert after.startswith(before.rstrip("\n") + "\n\nps:hannover-testhausen a hki:Partnership ;\n")
    assert statements(result.files["partnerships.ttl"]) == statements(shipped["partnerships.ttl"]) | set(new_partnership())
    paper = N("https://w3id.org/hki/id/document/ds-9999-2030")
    result = apply_change(shipped, [], [ox.Triple(paper, RDF_TYPE, N(HKI + "CouncilPaper"))])
    assert list(result.files) == ["action-concept.ttl"]  # where the council papers are


def test_a_part_of_an_entry_goes_right_after_the_entry(shipped):
    bristol = "https://w3id.org/hki/id/partnership/hannover-bristol"
    part = N(bristol + "/agreement")
    result = apply_change(shipped, [], [ox.Triple(part, RDF_TYPE, N(HKI + "CouncilPaper")),
                                        ox.Triple(part, LABEL, L("Vertrag", language="de"))])
    text = result.files["partnerships.ttl"].decode()
    assert text.index("<https://w3id.org/hki/id/partnership/hannover-bristol/agreement> a hki:CouncilPaper") \
        < text.index("ps:hannover-perpignan a") and text.index("ps:hannover-bristol a") < text.index("/agreement> a")


def test_an_entry_of_a_type_no_file_holds_gets_a_new_file_named_after_the_type(shipped):
    visit = N("https://w3id.org/hki/id/visit/delegation-2030")
    result = apply_change(shipped, [], [ox.Triple(visit, RDF_TYPE, N(HKI + "DelegationVisit")),
                                        ox.Triple(visit, LABEL, L("Besuch", language="de"))])
    assert result.created == ("delegation-visit.ttl",) and list(result.files) == ["delegation-visit.ttl"]
    text = result.files["delegation-visit.ttl"].decode()
    assert text.startswith("# ") and "@prefix hki:" in text and "@prefix rdfs:" in text and "@prefix sdg:" not in text
    assert statements(result.files["delegation-visit.ttl"]) == {ox.Triple(visit, RDF_TYPE, N(HKI + "DelegationVisit")),
                                                               ox.Triple(visit, LABEL, L("Besuch", language="de"))}


SMALL = b"""# A file of two sections.
@prefix ex: <https://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

# ---------------------------------------- first section

# about a: its own comment
ex:a a ex:Thing ;
    rdfs:label "A"@de .

ex:b a ex:Thing ; rdfs:label "B"@de .

# ---------------------------------------- second section
ex:c a ex:Thing .
"""


def test_a_removed_entry_goes_with_its_own_comment_and_the_section_comments_stay():
    a = N("https://example.org/a")
    removed = [ox.Triple(a, RDF_TYPE, N("https://example.org/Thing")), ox.Triple(a, LABEL, L("A", language="de"))]
    text = apply_change({"small.ttl": SMALL}, removed, []).files["small.ttl"].decode()
    assert "its own comment" not in text and "ex:a" not in text
    assert "# ---------------------------------------- first section\n\nex:b a ex:Thing ; rdfs:label \"B\"@de .\n" in text
    assert "# ---------------------------------------- second section\nex:c a ex:Thing .\n" in text


def test_a_statement_that_no_file_holds_cannot_be_removed_and_the_message_says_why(shipped):
    with pytest.raises(ChangeConflict, match="no longer holds.*hannover-rouen.*make the change again"):
        apply_change(shipped, [ox.Triple(ROUEN, START, year("1965"))], [ox.Triple(ROUEN, START, year("1967"))])


HOSTILE = ['"</script><script>alert(1)</script>', 'line one\nline two', 'three """ quotes """ and a \\ backslash',
           "ünïcödé – „Zitat“ 'single'", "tab\there\r\nand CRLF"]


def test_hostile_text_is_written_so_that_it_reads_back_exactly(shipped):
    added = [ox.Triple(ROUEN, N("http://www.w3.org/2004/02/skos/core#note"), L(text, language="de")) for text in HOSTILE]
    result = apply_change(shipped, [], added)
    assert statements(result.files["partnerships.ttl"]) == statements(shipped["partnerships.ttl"]) | set(added)
    assert result.canonical == ()


def test_blank_node_structures_are_inlined_and_removed_by_what_they_say(shipped):
    entry = N("https://w3id.org/hki/id/partnership/hannover-testhausen")
    period = ox.BlankNode()
    structure = [ox.Triple(entry, N("http://www.w3.org/2006/time#hasBeginning"), period),
                 ox.Triple(period, N("http://www.w3.org/2006/time#inXSDgYear"), year("2024"))]
    added = apply_change(shipped, [], new_partnership() + structure)
    text = added.files["partnerships.ttl"].decode()
    assert '[ <http://www.w3.org/2006/time#inXSDgYear> "2024"^^xsd:gYear ]' in text
    files = shipped | added.files
    other = ox.BlankNode()  # the change names the structure with blank nodes of its own
    removed = apply_change(files, [ox.Triple(entry, structure[0].predicate, other),
                                   ox.Triple(other, structure[1].predicate, structure[1].object)], [])
    assert statements(removed.files["partnerships.ttl"]) == statements(shipped["partnerships.ttl"]) | set(new_partnership())


def test_a_statement_cut_by_a_long_string_at_the_first_column_is_found_by_the_lexer():
    data = (b'@prefix ex: <https://example.org/> .\n\nex:a ex:note """first line\n'
            b'ex:b is part of the text . not a statement""" ;\n    ex:year 1 .\n\n# kept\nex:c ex:p 2 .\n')
    a = N("https://example.org/a")
    result = apply_change({"x.ttl": data}, [], [ox.Triple(a, N("https://example.org/more"), L("x"))])
    assert result.canonical == () and "# kept\nex:c ex:p 2 .\n" in result.files["x.ttl"].decode()
    assert statements(result.files["x.ttl"]) == statements(data) | {ox.Triple(a, N("https://example.org/more"), L("x"))}


def test_a_file_that_cannot_be_cut_is_written_whole_in_the_canonical_form():
    # one blank node label shared by two statements: no block can be read on its own
    data = (b"# Top comment, kept.\n@prefix ex: <https://example.org/> .\n"
            b"ex:a ex:p _:shared .\nex:b ex:p _:shared .\n_:shared ex:q 1 .\n")
    a = N("https://example.org/a")
    result = apply_change({"x.ttl": data}, [], [ox.Triple(a, N("https://example.org/r"), L("new"))])
    assert result.canonical == ("x.ttl",)
    text = result.files["x.ttl"].decode()
    assert text.startswith("# Top comment, kept.\n@prefix ex:")
    expected = rdflib.Graph().parse(data=data, format="turtle")
    expected.add((rdflib.URIRef(a.value), rdflib.URIRef("https://example.org/r"), rdflib.Literal("new")))
    assert rdflib.compare.isomorphic(rdflib.Graph().parse(data=text, format="turtle"), expected)


def test_a_block_rewrite_that_does_not_read_back_falls_back_to_the_whole_file(shipped, monkeypatch):
    monkeypatch.setattr(turtle_files, "_rewrite_blocks", lambda *args: b"@prefix broken")
    result = apply_change(shipped, [ox.Triple(ROUEN, START, year("1966"))], [ox.Triple(ROUEN, START, year("1967"))])
    assert result.canonical == ("partnerships.ttl",)
    expected = statements(shipped["partnerships.ttl"]) - {ox.Triple(ROUEN, START, year("1966"))} \
        | {ox.Triple(ROUEN, START, year("1967"))}
    assert statements(result.files["partnerships.ttl"]) == expected
    assert result.files["partnerships.ttl"].startswith(b"# Partnerships of Hannover")


def test_the_canonical_form_of_every_shipped_file_reads_back_the_same_and_is_stable(shipped):
    for name, data in shipped.items():
        parsed = parse_file(name, data)
        canonical = turtle_files._canonical_file(parsed, parsed.triples, {})
        assert statements(canonical) == set(parsed.triples), name
        again = parse_file(name, canonical)
        assert turtle_files._canonical_file(again, again.triples, {}) == canonical, name


def test_every_shipped_file_is_cut_into_blocks_that_add_up(shipped):
    for name, data in shipped.items():
        assert turtle_files.lexer_cut(parse_file(name, data)) is not None, name


def test_a_literal_written_in_another_form_is_the_same_statement():
    data = b'@prefix ex: <https://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\nex:a ex:lat "10.0"^^xsd:decimal .\n'
    a, lat = N("https://example.org/a"), N("https://example.org/lat")
    decimal = N("http://www.w3.org/2001/XMLSchema#decimal")
    # a change made from the store names the value as Oxigraph keeps it: "10"
    result = apply_change({"x.ttl": data}, [ox.Triple(a, lat, L("10", datatype=decimal))],
                          [ox.Triple(a, lat, L("11.5", datatype=decimal))])
    assert statements(result.files["x.ttl"]) == {ox.Triple(a, lat, L("11.5", datatype=decimal))}
    assert apply_change({"x.ttl": data}, [], [ox.Triple(a, lat, L("10.00", datatype=decimal))]).files == {}


def test_a_data_file_that_is_not_turtle_is_named_with_its_line():
    with pytest.raises(Exception, match=r"broken\.ttl:2"):
        apply_change({"broken.ttl": b"@prefix ex: <https://example.org/> .\nex:a ex:p ;;; .\n"}, [], [])


def test_the_shipped_data_files_are_never_written(shipped):
    assert {p.name: p.read_bytes() for p in sorted(Path(PACKAGE_DATA_DIR).glob("*.ttl"))} == shipped
