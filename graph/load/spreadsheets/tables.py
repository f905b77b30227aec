"""The tables staff keep, column by column: what each column holds, whether it is required, which
values are valid, and the limits a spreadsheet file must keep (size, rows, columns, cell length)."""

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from graph.vocabulary import DCT, HKI, ORG, RDF, RDFS, SCHEMA, SKOS

RDF_TYPE = RDF + "type"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_KINDS = ((re.compile(r"^\d{4}$"), "gYear"), (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "gYearMonth"),
              (re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"), "date"))
# Limits on what an import reads, counted after decompression: a 424 KB .xlsx can unpack into a 400 MiB
# cell. Far above any real table: the longest text of the shipped data has 733 characters.
MAX_FILE_BYTES = 64 << 20  # a CSV file, or all parts of a workbook together
MAX_PART_BYTES = 32 << 20  # one part (zip entry) of a workbook
MAX_PARTS = 1000  # zip entries of a workbook
MAX_CELL_CHARS = 10_000
MAX_ROWS = 100_000
MAX_COLUMNS = 100  # columns read (the widest table has 25): a cell in column XFD costs no 16,384 cells a row
# A cell starting like this is a formula to spreadsheet programs (OWASP, "CSV injection"); behind any
# number of quotes too, so that the quote CSV export puts in front comes off again exactly.
FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
NOT_A_FORMULA = "a text or number, not a formula: type the text, or prefix it with an apostrophe in Excel"


@dataclass(frozen=True)
class Column:
    """One spreadsheet column and the statement it stands for.

    kinds: "text" (a literal in `lang`), "literal" (a plain string), "date", "refs" (resources:
    slugs under `root`+`default`, paths under `root`, or full IRIs), "concept" (a concept of
    `scheme`, by its last segment), "sdgs" (SDG numbers), "urls" (web addresses, one per line).
    """

    name: str
    predicate: str
    kind: str
    required: bool = False
    lang: str = ""
    root: str = "id/"
    default: str = ""
    scheme: str = ""
    many: bool = True
    also: tuple[str, ...] = ()  # further predicates that get the same value (dct:title beside rdfs:label)
    help: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    rdf_class: str
    id_path: str  # e.g. "partnership/": IRIs are <base>id/partnership/<id>
    columns: tuple[Column, ...]
    help: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.ttl"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _text(name: str, predicate: str, lang: str, required: bool = False, also: tuple[str, ...] = (), help: str = "") -> Column:
    return Column(name, predicate, "text", required, lang=lang, many=False, also=also, help=help)


def _common_tail() -> tuple[Column, ...]:
    return (
        _text("note_de", SKOS + "note", "de", help="note in German"),
        _text("note_en", SKOS + "note", "en", help="note in English"),
        Column("verification", str(HKI.verificationStatus), "concept", scheme="verification-status", many=False,
               help="empty, verified, unverified or conflicting"),
        _text("editorial_note_de", SKOS + "editorialNote", "de", help="editors' note in German; required with unverified or conflicting"),
        _text("editorial_note_en", SKOS + "editorialNote", "en", help="editors' note in English; required with unverified or conflicting"),
        Column("sources", DCT + "source", "urls", required=True, help="web addresses of the sources, one per line"),
    )


TABLES: dict[str, Table] = {t.name: t for t in (
    Table("partnerships", str(HKI.Partnership), "partnership/", (
        Column("id", "", "id", True, help="short name: lowercase letters, digits, hyphens, e.g. hannover-bristol"),
        _text("label_de", RDFS + "label", "de", True, help="name in German"),
        _text("label_en", RDFS + "label", "en", True, help="name in English"),
        Column("type", str(HKI.partnershipType), "concept", True, scheme="partnership-type", many=False,
               help="twin-city, friendship or project-partnership"),
        Column("partners", str(HKI.partner), "refs", True, default="city/",
               help="the places, at least two, by short name, e.g. hannover; bristol"),
        Column("start", SCHEMA + "startDate", "date", many=False, help="1947, 2017-04 or 2019-02-14"),
        Column("end", SCHEMA + "endDate", "date", many=False, help="like start"),
        _text("description_de", DCT + "description", "de"),
        _text("description_en", DCT + "description", "en"),
    ) + _common_tail(), help="twinnings, city friendships and project partnerships"),
    Table("memberships", ORG + "Membership", "membership/", (
        Column("id", "", "id", True, help="short name, e.g. lhh-eurocities"),
        _text("label_de", RDFS + "label", "de", True),
        _text("label_en", RDFS + "label", "en", True),
        Column("member", ORG + "member", "refs", True, default="organisation/", many=False, help="the member organisation, e.g. lhh"),
        Column("organisation", ORG + "organization", "refs", True, default="organisation/", many=False,
               help="the network, e.g. eurocities"),
        Column("start", SCHEMA + "startDate", "date", many=False,
               help="start (1990, 2008-12 or 2008-12-01); also makes org:memberDuring"),
        Column("council_papers", str(HKI.councilPaper), "refs", default="document/", help="council papers, e.g. ds-2293-2019"),
    ) + _common_tail(), help="memberships in city networks"),
    Table("measures", str(HKI.Measure), "measure/", (
        Column("id", "", "id", True, help="short name, e.g. join-eurocities"),
        Column("identifier", DCT + "identifier", "literal", True, many=False, help="identifier, e.g. IS-M01"),
        _text("label_de", RDFS + "label", "de", True, help="name in German"),
        _text("label_en", RDFS + "label", "en", True, help="name in English"),
        _text("title_de", DCT + "title", "de", help="title in German (dct:title)"),
        _text("title_en", DCT + "title", "en", help="title in English (dct:title)"),
        _text("description_de", DCT + "description", "de"),
        _text("description_en", DCT + "description", "en"),
        Column("status", str(HKI.measureStatus), "concept", True, scheme="measure-status", many=False,
               help="planned, ongoing, completed or unknown"),
        Column("start", SCHEMA + "startDate", "date", many=False),
        Column("end", SCHEMA + "endDate", "date", many=False, help="required when the status is completed"),
        Column("concept", str(HKI.implementsConcept), "refs", default="action-concept/", help="the action concept, e.g. internationale-stadt"),
        Column("goals", str(HKI.contributesToGoal), "refs", root="scheme/",
               help="scheme/goal, e.g. goals-internationale-stadt/international-location"),
        Column("sdgs", str(HKI.addressesSDG), "sdgs", help="SDG numbers 1–17, e.g. 11; 17"),
        Column("sdg_basis", str(HKI.sdgMappingBasis), "concept", scheme="mapping-basis", many=False,
               help="source or editorial; required when sdgs is filled in"),
        Column("responsible", str(HKI.responsibleOrganisation), "refs", default="organisation/", help="responsible organisation, e.g. lhh"),
        Column("involves", str(HKI.involves), "refs", help="kind/short name, e.g. city/blantyre; partnership/hannover-blantyre"),
        Column("council_papers", str(HKI.councilPaper), "refs", default="document/", help="council papers, e.g. ds-0002-2021"),
        Column("milestones", str(HKI.milestone), "refs", default="milestone/", help="events of the measure, e.g. blantyre-delegation-visit-2022"),
        Column("part_of", DCT + "isPartOf", "refs", default="measure/", help="the measure this one is part of"),
    ) + _common_tail(), help="measures of the action concept"),
)}
# Statements import generates from a row, and the shortcuts the build derives from the data
# (graph.load.derive: the integer years beside the dates), which export therefore leaves out.
GENERATED = {ORG + "memberDuring", str(HKI.startYear), str(HKI.endYear)}


@dataclass(frozen=True)
class RowError:
    """A problem with one cell (or one row): where it is, what it holds, what would be valid."""

    source: str
    row: int | None
    column: str | None
    value: str
    message: str

    def __str__(self) -> str:
        where = self.source + (f", row {self.row}" if self.row else "") + (f", column {self.column}" if self.column else "")
        shown = f" value {self.value!r}:" if self.value else ""
        return f"{where}:{shown} {self.message}"


@dataclass
class Mapped:
    """The statements of a table, which subject each row made, and the problems found."""

    triples: list[ox.Triple] = field(default_factory=list)
    rows_by_subject: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
