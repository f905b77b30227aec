"""The forms of the workspace, computed from the shapes: which fields an entry kind has, and form input ⇄ statements.

Like LinkedDataHub's or Wikibase's property forms, the fields come from `ontology/shapes.ttl`, not from a table
here: every property shape of a node shape that targets the kind's class (`sh:targetClass`, its superclasses too)
is a field; so is every property shape of a shape that targets the subjects of a property (`sh:targetSubjectsOf`)
or selects them by SPARQL, when the kind uses that property (its ontology domain, or entries of the kind in the
data have it) — those fields are optional, since the shape only applies once the property is given. Property shapes
with `sh:maxCount 0` (derived statements) are no fields. Per property:

- its name is the shape's `sh:name` (German and English, without the technical term in brackets), its message
  the shape's `sh:message`, shown beside the field when the shape finds the value wrong;
- `sh:minCount` (from a targeting-by-class shape) makes it required, `sh:maxCount` 1 a single value;
- a shape for one language's values (`sh:qualifiedValueShape [ sh:languageIn ("de") ]`) is a field of its own
  ("deutsche Bezeichnung"); texts the data gives in languages are a field per language;
- `hkish:inScheme` makes it a choice among the scheme's concepts (their skos:prefLabel); `sh:or` of
  `xsd:gYear`/`xsd:gYearMonth`/`xsd:date` a date at the precision typed ("1966", "1966-05", "1966-05-12");
  `sh:class` a link to an entry of that class (type-ahead over /api/search on the page, a plain list without
  JavaScript); an IRI without class or scheme a link when the data's values are typed entries, else a web address.

The one table here is `KINDS`: which classes staff edit, the slug of each in the workspace's addresses, and the
folder of new entries' IRIs (`<base>id/<folder>/<slug>`, the slug made from the German name, unique, never one an
entry or any change set ever had).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH

from graph.load.validation import Violation, compact_iri
from graph.vocabulary import CV, DCT, ORG, RDF, RDFS, SCHEMA, SKOS, TIME, XSD
from graph.workspace.changes import CurrentData
from graph.workspace.wording import property_name
from ontology import HKI, SHAPES_FILE

HKISH = "https://w3id.org/hki/shapes#"
IN_SCHEME = rdflib.URIRef(HKISH + "inScheme")
DATE_TYPES = (XSD + "gYear", XSD + "gYearMonth", XSD + "date")
NUMBER_TYPES = (XSD + "decimal", XSD + "integer", XSD + "double")
LABELS = (RDFS + "label", SKOS + "prefLabel")
SOURCE = DCT + "source"
LANGUAGES = ("de", "en")
CHANGE_SOURCE = "change-source"  # the form field for the source of an edit (the entry's sources are a field too)
MAX_TEXT = 5000  # characters of one value
MAX_VALUES = 50  # values of one field
MAX_CANDIDATES = 500  # entries a link field lists without JavaScript; more: type-ahead only


@dataclass(frozen=True)
class Kind:
    """One kind of entry staff edit."""

    slug: str  # in the workspace's addresses: /arbeitsbereich/neu/<slug>
    new_type: str  # the rdf:type a new entry gets
    edits: str  # entries of this class (or a subclass) are edited as this kind
    folder: str  # a new entry's IRI: <base>id/<folder>/<slug>


KINDS: tuple[Kind, ...] = (
    Kind("partnership", str(HKI.Partnership), str(HKI.Partnership), "partnership"),
    Kind("event", str(HKI.ActualEvent), str(HKI.Milestone), "milestone"),
    Kind("council-paper", str(HKI.CouncilPaper), str(HKI.CouncilPaper), "document"),
    Kind("membership", ORG + "Membership", ORG + "Membership", "membership"),
    Kind("measure", str(HKI.Measure), str(HKI.Measure), "measure"),
    Kind("city", SCHEMA + "City", SCHEMA + "City", "city"),
    Kind("organisation", ORG + "Organization", ORG + "Organization", "organisation"),
)
_ORGANISATION_TYPES = (ORG + "Organization", ORG + "OrganizationalUnit", CV + "PublicOrganisation")


def kind_named(slug: str) -> Kind | None:
    return next((k for k in KINDS if k.slug == slug), None)


def kind_of(data: CurrentData, iri: str) -> Kind | None:
    """The kind an entry is edited as, by its types (subclasses included), or None."""
    types = data.types(iri)
    for kind in KINDS:
        wanted = subclasses(data, kind.edits) | ({*_ORGANISATION_TYPES} if kind.slug == "organisation" else set())
        if types & wanted:
            return kind
    return None


def subclasses(data: CurrentData, cls: str) -> set[str]:
    """`cls` and every class the ontology makes a subclass of it (rdfs:subClassOf, transitively)."""
    found, todo = {cls}, [cls]
    while todo:
        current = todo.pop()
        for q in data.store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), ox.NamedNode(current)):
            if isinstance(q.subject, ox.NamedNode) and q.subject.value not in found:
                found.add(q.subject.value)
                todo.append(q.subject.value)
    return found


def superclasses(data: CurrentData, cls: str) -> set[str]:
    found, todo = {cls}, [cls]
    while todo:
        current = todo.pop()
        for q in data.store.quads_for_pattern(ox.NamedNode(current), ox.NamedNode(RDFS + "subClassOf"), None):
            if isinstance(q.object, ox.NamedNode) and q.object.value not in found:
                found.add(q.object.value)
                todo.append(q.object.value)
    return found


# ------------------------------------------------------------------ fields


@dataclass(frozen=True)
class Choice:
    """A value a choice or link field offers: an IRI and its names."""

    iri: str
    names: tuple[tuple[str, str], ...]  # (lang, name)

    def name(self, lang: str) -> str:
        names = dict(self.names)
        return names.get(lang) or names.get("en" if lang == "de" else "de") or names.get("") or self.iri


@dataclass
class Field:
    """One field of a form: a property (and, for texts in languages, one language of it)."""

    key: str  # the form field's name, e.g. "hki-partner", "rdfs-label-de"
    path: str  # the property IRI
    widget: str  # text, date, day, number, choice, link, url
    names: dict[str, str]  # the field's name per language (from sh:name)
    group_names: dict[str, str]  # the name of the property as a whole (a fieldset's legend for its languages)
    lang: str = ""  # the language of its values (texts), else ""
    name_says_language: bool = False  # "deutsche Bezeichnung": the name already says which language
    messages: dict[str, str] = field(default_factory=dict)  # sh:message per language
    descriptions: dict[str, str] = field(default_factory=dict)  # sh:description per language
    min_count: int = 0
    max_count: int | None = None
    required: bool = False
    multiline: bool = False
    scheme: str = ""  # choice: the concept scheme
    link_types: tuple[str, ...] = ()  # link: the classes of the entries it may link to
    datatypes: tuple[str, ...] = ()
    shapes: frozenset[str] = frozenset()  # the property shapes it comes from (compact IRIs: hkish:…)
    conditional: bool = False  # from a shape that applies only once a property is given

    @property
    def multiple(self) -> bool:
        return self.max_count is None or self.max_count > 1

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en" if lang == "de" else "de") or self.key


@dataclass(frozen=True)
class _Shape:
    iri: rdflib.term.Node
    conditional: bool


@cache
def shipped_shapes() -> rdflib.Graph:
    """ontology/shapes.ttl, parsed once (never changed)."""
    return rdflib.Graph().parse(SHAPES_FILE, format="turtle")


def fields_for(kind: Kind, data: CurrentData, shapes: rdflib.Graph | None = None) -> list[Field]:
    """The fields of `kind`'s form, from the shapes (ontology/shapes.ttl unless given) and the data."""
    shapes = shapes if shapes is not None else shipped_shapes()
    key = (kind, data.stamp, id(shapes) if shapes is not shipped_shapes() else 0)
    if key in _FIELDS and shapes is shipped_shapes():
        return _FIELDS[key]
    fields = _fields(kind, data, shapes)
    if shapes is shipped_shapes():
        if len(_FIELDS) > 64:
            _FIELDS.clear()
        _FIELDS[key] = fields
    return fields


_FIELDS: dict[tuple, list[Field]] = {}


def _instances(data: CurrentData, kind: Kind) -> list[ox.NamedNode]:
    classes = subclasses(data, kind.edits) | ({*_ORGANISATION_TYPES} if kind.slug == "organisation" else set())
    found: dict[str, ox.NamedNode] = {}
    for cls in sorted(classes):
        for q in data.store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(cls), data.data_graph):
            if isinstance(q.subject, ox.NamedNode):
                found[q.subject.value] = q.subject
    return [found[k] for k in sorted(found)]


def _applicable_shapes(kind: Kind, data: CurrentData, shapes: rdflib.Graph,
                       instances: list[ox.NamedNode]) -> list[_Shape]:
    classes = superclasses(data, kind.new_type) | superclasses(data, kind.edits)
    used = {q.predicate.value for i in instances for q in data.store.quads_for_pattern(i, None, None, data.data_graph)}
    domains = {q.subject.value for q in data.store.quads_for_pattern(None, ox.NamedNode(RDFS + "domain"), None)
               if isinstance(q.object, ox.NamedNode) and q.object.value in classes}
    members = {i.value for i in instances}
    found: dict[rdflib.term.Node, bool] = {}
    for shape in set(shapes.subjects(rdflib.RDF.type, SH.NodeShape)):
        targets = {str(t) for t in shapes.objects(shape, SH.targetClass)}
        if targets & classes:
            found[shape] = False
            continue
        subjects_of = {str(p) for p in shapes.objects(shape, SH.targetSubjectsOf)}
        if subjects_of & (used | domains):
            found.setdefault(shape, True)
            continue
        for target in shapes.objects(shape, SH.target):
            select = shapes.value(target, SH.select)
            if select is not None and members and _selects_any(data, shapes, target, str(select), members):
                found.setdefault(shape, True)
    return [_Shape(s, c) for s, c in sorted(found.items(), key=lambda item: str(item[0]))]


def _selects_any(data: CurrentData, shapes: rdflib.Graph, target: rdflib.term.Node, select: str,
                 members: set[str]) -> bool:
    prefixes = ""
    for declared in shapes.objects(shapes.value(target, SH.prefixes), SH.declare):
        prefix, namespace = shapes.value(declared, SH.prefix), shapes.value(declared, SH.namespace)
        if prefix is not None and namespace is not None:
            prefixes += f"PREFIX {prefix}: <{namespace}>\n"
    try:
        rows = data.store.query(prefixes + select, use_default_graph_as_union=True)
        return any(isinstance(row[0], ox.NamedNode) and row[0].value in members for row in rows)
    except (SyntaxError, ValueError, OSError):
        return False


def _list(shapes: rdflib.Graph, head: rdflib.term.Node | None) -> list:
    return list(Collection(shapes, head)) if head is not None else []


def _texts(shapes: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> dict[str, str]:
    return {o.language: str(o) for o in shapes.objects(node, predicate) if isinstance(o, rdflib.Literal) and o.language}


def _int(shapes: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> int | None:
    value = shapes.value(node, predicate)
    return int(value) if isinstance(value, rdflib.Literal) else None


def _fields(kind: Kind, data: CurrentData, shapes: rdflib.Graph) -> list[Field]:
    instances = _instances(data, kind)
    by_path: dict[str, list[tuple[rdflib.term.Node, bool]]] = {}
    for node_shape in _applicable_shapes(kind, data, shapes, instances):
        for prop in shapes.objects(node_shape.iri, SH.property):
            path = shapes.value(prop, SH.path)
            if not isinstance(path, rdflib.URIRef):
                continue  # a path expression (sequence, inverse): no field for it
            if _int(shapes, prop, SH.maxCount) == 0:
                continue  # derived statements: never written by hand
            by_path.setdefault(str(path), []).append((prop, node_shape.conditional))
    fields: list[Field] = []
    for path, props in by_path.items():
        fields.extend(_path_fields(path, props, kind, data, shapes, instances))
    keys = [f.key for f in fields]
    assert len(keys) == len(set(keys)), f"two fields of {kind.slug} have one key: {keys}"
    return sorted(fields, key=_order)


def _order(f: Field) -> tuple:
    if f.path in LABELS:
        rank = 0
    elif f.path == SOURCE:
        rank = 6
    elif f.widget in ("date", "day"):
        rank = 2
    elif f.required:
        rank = 1
    elif not f.conditional:
        rank = 4
    else:
        rank = 5
    start = 0 if "start" in f.path.lower() else 1
    return (rank, start, f.group_names.get("de", ""), LANGUAGES.index(f.lang) if f.lang in LANGUAGES else 9, f.key)


def _key(path: str, lang: str = "") -> str:
    compact = compact_iri(path)
    key = re.sub(r"[^A-Za-z0-9]+", "-", compact).strip("-")
    return f"{key}-{lang}" if lang else key


def _path_fields(path: str, props: list[tuple[rdflib.term.Node, bool]], kind: Kind, data: CurrentData,
                 shapes: rdflib.Graph, instances: list[ox.NamedNode]) -> list[Field]:
    values = [q.object for i in instances for q in data.store.quads_for_pattern(i, ox.NamedNode(path), None,
                                                                              data.data_graph)]
    shape_names = {compact_iri(str(p)) for p, _ in props if isinstance(p, rdflib.URIRef)}
    unconditional = [p for p, conditional in props if not conditional]
    min_count = max([_int(shapes, p, SH.minCount) or 0 for p in unconditional] or [0])
    max_counts = [m for p, _ in props if (m := _int(shapes, p, SH.maxCount)) is not None]
    max_count = min(max_counts) if max_counts else None
    names = _group_names(props, shapes, path)
    messages = _first_texts(shapes, [p for p, _ in props], SH.message)
    descriptions = _first_texts(shapes, [p for p, _ in props], SH.description)
    common = dict(path=path, group_names=names, shapes=frozenset(shape_names),
                  conditional=all(conditional for _, conditional in props))
    long_text = any(isinstance(v, ox.Literal) and len(v.value) > 80 for v in values) or path in (
        DCT + "description", SKOS + "note", SKOS + "editorialNote")

    # one language's values: a field of their own ("deutsche Bezeichnung")
    by_language: list[Field] = []
    for prop, conditional in props:
        qualified = shapes.value(prop, SH.qualifiedValueShape)
        languages = _list(shapes, shapes.value(qualified, SH.languageIn)) if qualified is not None else []
        if len(languages) != 1:
            continue
        lang = str(languages[0])
        qualified_min = _int(shapes, prop, SH.qualifiedMinCount) or 0
        by_language.append(Field(
            key=_key(path, lang), widget="text", lang=lang, names=_texts(shapes, prop, SH.name) or names,
            name_says_language=bool(_texts(shapes, prop, SH.name)), messages=_texts(shapes, prop, SH.message) or messages,
            descriptions=descriptions, min_count=qualified_min if not conditional else 0, max_count=1,
            required=qualified_min > 0 and not conditional, multiline=long_text,
            **{**common, "shapes": frozenset({compact_iri(str(prop))} if isinstance(prop, rdflib.URIRef) else set())
               | {n for n in shape_names if n not in _qualified_names(props, shapes)}}))
    if by_language:
        return by_language

    datatypes: set[str] = set()
    schemes: set[str] = set()
    classes: set[str] = set()
    node_kinds: set[str] = set()
    for prop, _ in props:
        datatypes |= {str(d) for d in shapes.objects(prop, SH.datatype)}
        schemes |= {str(s) for s in shapes.objects(prop, IN_SCHEME)}
        classes |= {str(c) for c in shapes.objects(prop, SH["class"])}
        node_kinds |= {str(k) for k in shapes.objects(prop, SH.nodeKind)}
        for alternative in _list(shapes, shapes.value(prop, SH["or"])):
            datatypes |= {str(d) for d in shapes.objects(alternative, SH.datatype)}
            classes |= {str(c) for c in shapes.objects(alternative, SH["class"])}
    base = dict(names=names, messages=messages, descriptions=descriptions, min_count=min_count, max_count=max_count,
                required=min_count > 0, **common)
    if schemes:
        return [Field(key=_key(path), widget="choice", scheme=sorted(schemes)[0], **base)]
    if datatypes and datatypes <= set(DATE_TYPES):
        widget = "day" if datatypes == {XSD + "date"} else "date"
        return [Field(key=_key(path), widget=widget, datatypes=tuple(t for t in DATE_TYPES if t in datatypes), **base)]
    if datatypes & set(NUMBER_TYPES):
        return [Field(key=_key(path), widget="number", datatypes=tuple(sorted(datatypes)), **base)]
    if classes:
        return [Field(key=_key(path), widget="link", link_types=tuple(sorted(classes)), **base)]
    iris = [v for v in values if isinstance(v, ox.NamedNode)]
    literals = [v for v in values if isinstance(v, ox.Literal)]
    if str(SH.IRI) in node_kinds or (iris and not literals):
        in_schemes = {q.object.value for v in iris for q in data.store.quads_for_pattern(v, ox.NamedNode(
            SKOS + "inScheme"), None) if isinstance(q.object, ox.NamedNode)}
        if iris and len(in_schemes) == 1:
            return [Field(key=_key(path), widget="choice", scheme=in_schemes.pop(), **base)]
        typed = {t for v in iris for t in data.types(v.value)}
        if typed:
            return [Field(key=_key(path), widget="link", link_types=tuple(sorted(typed)), **base)]
        return [Field(key=_key(path), widget="url", **base)]
    if datatypes or str(SH.Literal) in node_kinds:
        if any(v.language for v in literals):
            return _language_fields(path, base, long_text)
        return [Field(key=_key(path), widget="text", datatypes=tuple(sorted(datatypes)), multiline=long_text, **base)]
    if literals and not any(v.language for v in literals):
        return [Field(key=_key(path), widget="text", multiline=long_text, **base)]
    return _language_fields(path, base, long_text)  # texts for people: in German and in English


def _language_fields(path: str, base: dict, long_text: bool) -> list[Field]:
    single = {**base, "min_count": 0, "required": False, "max_count": 1}
    return [Field(key=_key(path, lang), widget="text", lang=lang, multiline=long_text, **single) for lang in LANGUAGES]


def _qualified_names(props: list[tuple[rdflib.term.Node, bool]], shapes: rdflib.Graph) -> set[str]:
    return {compact_iri(str(p)) for p, _ in props if shapes.value(p, SH.qualifiedValueShape) is not None}


def _group_names(props: list[tuple[rdflib.term.Node, bool]], shapes: rdflib.Graph, path: str) -> dict[str, str]:
    """The property's name: from a shape that names its values in general (not one language's), the shortest."""
    candidates: dict[str, list[str]] = {}
    for prop, _ in props:
        if shapes.value(prop, SH.qualifiedValueShape) is not None and len(props) > 1:
            continue
        for lang, name in _texts(shapes, prop, SH.name).items():
            candidates.setdefault(lang, []).append(property_name(name))
    if not candidates:
        for prop, _ in props:
            for lang, name in _texts(shapes, prop, SH.name).items():
                candidates.setdefault(lang, []).append(property_name(name))
    names = {lang: sorted(texts, key=lambda t: (len(t), t))[0] for lang, texts in candidates.items()}
    if not names:
        local = re.split(r"[#/]", path)[-1]
        names = {"de": local, "en": local}
    return names


def _first_texts(shapes: rdflib.Graph, props: list[rdflib.term.Node], predicate: rdflib.URIRef) -> dict[str, str]:
    for prop in sorted(props, key=str):
        found = _texts(shapes, prop, predicate)
        if found:
            return found
    return {}


# ------------------------------------------------------------------ what a field offers


def choices(data: CurrentData, scheme: str) -> list[Choice]:
    """The concepts of `scheme` (skos:inScheme), with their names (skos:prefLabel, else rdfs:label)."""
    found = [q.subject for q in data.store.quads_for_pattern(None, ox.NamedNode(SKOS + "inScheme"),
                                                             ox.NamedNode(scheme)) if isinstance(q.subject, ox.NamedNode)]
    return sorted({_choice(data, c.value) for c in found}, key=lambda c: (c.name("de").casefold(), c.iri))


def candidates(data: CurrentData, types: Sequence[str], limit: int = MAX_CANDIDATES) -> list[Choice]:
    """The entries of `types` (their subclasses too) a link field may point to, by name."""
    classes = set().union(*(subclasses(data, t) for t in types)) if types else set()
    found: set[str] = set()
    for cls in sorted(classes):
        for q in data.store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(cls)):
            if isinstance(q.subject, ox.NamedNode):
                found.add(q.subject.value)
    return sorted((_choice(data, iri) for iri in found), key=lambda c: (c.name("de").casefold(), c.iri))[:limit]


def _choice(data: CurrentData, iri: str) -> Choice:
    names = []
    for lang in LANGUAGES:
        name = data.label(iri, lang)
        if name:
            names.append((lang, name))
    return Choice(iri, tuple(names))


def choice_of(data: CurrentData, iri: str) -> Choice:
    return _choice(data, iri)


# ------------------------------------------------------------------ values of a form

FormValues = dict[str, list[str]]


def values_of(fields: Sequence[Field], statements: Iterable[ox.Triple], subject: str) -> FormValues:
    """What the form shows for an entry: its current values, field by field, as the person would type them."""
    mine = [t for t in statements if t.subject.value == subject]
    values: FormValues = {}
    for f in fields:
        found = [_typed_form(t.object) for t in mine if _in_field(f, t)]
        values[f.key] = sorted(found)
    return values


def _typed_form(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> str:
    return term.value


def _in_field(f: Field, t: ox.Triple) -> bool:
    if t.predicate.value != f.path:
        return False
    if f.lang:
        return isinstance(t.object, ox.Literal) and (t.object.language or "") == f.lang
    return True


def read_values(fields: Sequence[Field], items: Iterable[tuple[str, object]]) -> FormValues:
    """The values of the fields from a form's items (a field may be sent several times); blanks dropped."""
    keys = {f.key for f in fields} | {CHANGE_SOURCE}
    values: FormValues = {key: [] for key in keys}
    for key, raw in items:
        if key in keys and isinstance(raw, str):
            text = raw.replace("\r\n", "\n").strip()
            if text and len(values[key]) < MAX_VALUES:
                values[key].append(text)
    return values


@dataclass(frozen=True)
class Problem:
    """A value that cannot be made a statement: `code` says why (the pages word it), `value` is what was typed."""

    key: str
    code: str  # date, day, number, url, choice, link, too_long, control, source_required
    value: str = ""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')


def parse_date(text: str) -> ox.Literal | None:
    """A date at the precision typed: "1966" → xsd:gYear, "1966-05" (or "05.1966") → xsd:gYearMonth, "1966-05-12"
    (or "12.5.1966") → xsd:date; None when it is none of these."""
    text = text.strip()
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if german:
        text = f"{german.group(3)}-{int(german.group(2)):02d}-{int(german.group(1)):02d}"
    month = re.fullmatch(r"(\d{1,2})[./](\d{4})", text)
    if month:
        text = f"{month.group(2)}-{int(month.group(1)):02d}"
    if re.fullmatch(r"\d{4}", text):
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "gYear"))
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "gYearMonth"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return None
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "date"))
    return None


def parse_web_address(text: str) -> ox.NamedNode | None:
    """An http(s) address as an IRI, or None."""
    if _IRI_FORBIDDEN.search(text) or _CONTROL.search(text) or len(text) > 2000:
        return None
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or "." not in parts.netloc.split("@")[-1]:
        return None
    return ox.NamedNode(text)


def _number(text: str, datatypes: Sequence[str]) -> ox.Literal | None:
    candidate = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    try:
        number = Decimal(candidate)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    datatype = XSD + "decimal" if XSD + "decimal" in datatypes or not datatypes else datatypes[0]
    if datatype == XSD + "integer":
        if number != number.to_integral_value():
            return None
        return ox.Literal(str(int(number)), datatype=ox.NamedNode(datatype))
    return ox.Literal(candidate if "." in candidate else candidate + ".0", datatype=ox.NamedNode(datatype))


def statements_from(fields: Sequence[Field], values: Mapping[str, Sequence[str]], subject: str,
                    allowed: Mapping[str, set[str]]) -> tuple[list[ox.Triple], list[Problem]]:
    """The statements a filled-in form says about `subject`, and the values that cannot be statements.

    `allowed`: for choice and link fields, the IRIs they may take (their concepts, the entries of their classes)."""
    node = ox.NamedNode(subject)
    triples: list[ox.Triple] = []
    problems: list[Problem] = []
    for f in fields:
        predicate = ox.NamedNode(f.path)
        for text in values.get(f.key, []):
            term, code = _term(f, text, allowed.get(f.key))
            if code:
                problems.append(Problem(f.key, code, text))
            elif term is not None:
                triples.append(ox.Triple(node, predicate, term))
    return sorted(set(triples), key=str), problems


def _term(f: Field, text: str, allowed: set[str] | None) -> tuple[ox.NamedNode | ox.Literal | None, str]:
    if len(text) > MAX_TEXT:
        return None, "too_long"
    if _CONTROL.search(text):
        return None, "control"
    if f.widget in ("date", "day"):
        date = parse_date(text)
        if date is None or (f.datatypes and date.datatype.value not in f.datatypes):
            return None, "day" if f.widget == "day" else "date"
        return date, ""
    if f.widget == "number":
        number = _number(text, f.datatypes)
        return (number, "") if number is not None else (None, "number")
    if f.widget in ("choice", "link"):
        if allowed is not None and text not in allowed:
            return None, f.widget
        iri = parse_web_address(text) if not text.startswith("urn:") else ox.NamedNode(text)
        return (iri, "") if iri is not None else (None, f.widget)
    if f.widget == "url":
        iri = parse_web_address(text)
        return (iri, "") if iri is not None else (None, "url")
    if f.lang:
        return ox.Literal(text, language=f.lang), ""
    if f.datatypes and f.datatypes[0] != XSD + "string":
        return ox.Literal(text, datatype=ox.NamedNode(f.datatypes[0])), ""
    return ox.Literal(text), ""


def proposed_change(fields: Sequence[Field], subject: str, current: Sequence[ox.Triple], desired: Sequence[ox.Triple],
                    new_type: str | None = None, sources: Sequence[ox.NamedNode] = ()
                    ) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """(added, removed): what the form changes. Only the fields' statements are compared — what the entry says
    beyond its fields (a note, the link to its period) stays. `new_type`: a new entry's rdf:type; `sources`: the
    sources of this change, added to the entry's sources when it does not have them yet."""
    node = ox.NamedNode(subject)
    now = {t for t in current if t.subject == node and any(_in_field(f, t) for f in fields)}
    wanted = set(desired)
    if new_type is not None:
        wanted.add(ox.Triple(node, ox.NamedNode(RDF + "type"), ox.NamedNode(new_type)))
    for source in sources:
        wanted.add(ox.Triple(node, ox.NamedNode(SOURCE), source))
    added = sorted(wanted - now - set(current), key=str)
    removed = sorted(now - wanted, key=str)
    return added, removed


# ------------------------------------------------------------------ the shapes' findings, beside their fields


def place(violations: Sequence[Violation], fields: Sequence[Field], subject: str
          ) -> tuple[dict[str, list[Violation]], list[Violation]]:
    """The violations about the entry's own fields, by field key; the others (other entries, the entry as a whole)."""
    by_field: dict[str, list[Violation]] = {}
    others: list[Violation] = []
    for v in violations:
        target = None
        if v.focus == subject:
            target = next((f for f in fields if v.shape in f.shapes and (v.path in (None, f.path))), None)
            if target is None and v.path is not None:
                target = next((f for f in fields if f.path == v.path and (not f.lang or _value_lang(v) in ("", f.lang))),
                              None)
        if target is None:
            others.append(v)
        else:
            by_field.setdefault(target.key, []).append(v)
    return by_field, others


def _value_lang(v: Violation) -> str:
    match = re.search(r'"@([A-Za-z-]+)$', v.value or "")
    return match.group(1) if match else ""


# ------------------------------------------------------------------ new entries


def slug_of(name: str) -> str:
    """Lowercase ASCII words joined by "-": "Projektpartnerschaft Hannover – Poznań" → "projektpartnerschaft-
    hannover-poznan"."""
    text = name.replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("Æ", "Ae").replace("Ø", "O")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0] or slug[:60]
    return slug or "eintrag"


def new_iri(base: str, kind: Kind, name: str, taken: set[str]) -> str:
    """A new entry's IRI, `<base>id/<folder>/<slug of its name>`, never one in `taken` (then -2, -3, …)."""
    stem = f"{base}id/{kind.folder}/{slug_of(name)}"
    candidate, number = stem, 1
    while candidate in taken or any(t.startswith(candidate + "/") for t in taken):
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


def entry_name(fields: Sequence[Field], values: Mapping[str, Sequence[str]], lang: str = "de") -> str:
    """The entry's name as the form gives it (its label in `lang`, else another)."""
    labels = [f for f in fields if f.path in LABELS]
    for wanted in (lang, "en" if lang == "de" else "de", ""):
        for f in labels:
            if f.lang == wanted and values.get(f.key):
                return values[f.key][0]
    return ""


__all__ = [
    "CHANGE_SOURCE",
    "KINDS",
    "Choice",
    "Field",
    "FormValues",
    "Kind",
    "Problem",
    "candidates",
    "choice_of",
    "choices",
    "entry_name",
    "fields_for",
    "kind_named",
    "kind_of",
    "new_iri",
    "parse_date",
    "parse_web_address",
    "place",
    "proposed_change",
    "read_values",
    "shipped_shapes",
    "slug_of",
    "statements_from",
    "values_of",
]


def event_link(data: CurrentData, event: str) -> list[ox.Triple]:
    """The statement that puts a new event on the action concept's timeline (`<concept> hki:milestone <event>`), as
    the shipped events are: when the data has exactly one action concept. A link added to the concept needs no
    revision of it (adding commutes with other changes), so the change set's entries stay the event alone."""
    concepts = {q.subject.value for q in data.store.quads_for_pattern(None, ox.NamedNode(RDF + "type"),
                                                                      ox.NamedNode(str(HKI.ActionConcept)))}
    if len(concepts) != 1:
        return []
    return [ox.Triple(ox.NamedNode(concepts.pop()), ox.NamedNode(str(HKI.milestone)), ox.NamedNode(event))]


_IN_XSD = {"gYear": "inXSDgYear", "gYearMonth": "inXSDgYearMonth", "date": "inXSDDate"}


def membership_dates(data: CurrentData, membership: str, added: Sequence[ox.Triple], removed: Sequence[ox.Triple],
                     ) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """A membership's `schema:startDate` / `schema:endDate` changed in the form, carried into its period
    (`org:memberDuring` → `time:Interval` with `time:hasBeginning` / `time:hasEnd` → `time:Instant`, docs/modelling.md),
    so the shortcut dates and the period never disagree: a new date adds the instant (and the period), a changed
    date changes it, a removed date removes it. Returns the change with these statements added."""
    m = ox.NamedNode(membership)
    period, parts = ox.NamedNode(membership + "/period"), {"start": SCHEMA + "startDate", "end": SCHEMA + "endDate"}
    current = data.statements(membership)
    removed_set = set(removed)
    after = [t for t in current if t not in removed_set] + list(added)
    extra_added: list[ox.Triple] = []
    extra_removed: list[ox.Triple] = []

    def t(s, p, o) -> ox.Triple:
        return ox.Triple(s, ox.NamedNode(p), o)

    name_de = next((x.object.value for x in after if x.subject == m and x.predicate.value == RDFS + "label"
                    and isinstance(x.object, ox.Literal) and x.object.language == "de"), membership)
    name_en = next((x.object.value for x in after if x.subject == m and x.predicate.value == RDFS + "label"
                    and isinstance(x.object, ox.Literal) and x.object.language == "en"), name_de)
    for part, predicate in parts.items():
        old = next((x.object for x in current if x.subject == m and x.predicate.value == predicate), None)
        new = next((x.object for x in after if x.subject == m and x.predicate.value == predicate), None)
        if old == new:
            continue
        instant = ox.NamedNode(f"{membership}/{part}")
        link = TIME + ("hasBeginning" if part == "start" else "hasEnd")
        instant_statements = [x for x in current if x.subject == instant]
        if new is None:  # the date was taken out: its instant goes with it
            extra_removed.extend(instant_statements)
            extra_removed.extend(x for x in current if x.subject == period and x.predicate.value == link)
            continue
        kind = new.datatype.value.rsplit("#", 1)[-1] if isinstance(new, ox.Literal) else ""
        if kind not in _IN_XSD:
            continue  # not a date the period can hold; the shapes say so at the field
        value = t(instant, TIME + _IN_XSD[kind], new)
        if instant_statements:  # the instant is there: only its value changes
            extra_removed.extend(x for x in instant_statements if x.predicate.value.startswith(TIME + "inXSD"))
            extra_added.append(value)
            continue
        words = {"start": ("Beginn", "Start"), "end": ("Ende", "End")}[part]
        extra_added += [t(instant, RDF + "type", ox.NamedNode(TIME + "Instant")),
                        t(instant, RDFS + "label", ox.Literal(f"{words[0]}: {name_de}", language="de")),
                        t(instant, RDFS + "label", ox.Literal(f"{words[1]}: {name_en}", language="en")),
                        value, t(period, link, instant)]
    has_period = any(x.subject == m and x.predicate.value == ORG + "memberDuring" for x in current)
    if extra_added and not has_period:
        extra_added += [t(m, ORG + "memberDuring", period), t(period, RDF + "type", ox.NamedNode(TIME + "Interval")),
                        t(period, RDFS + "label", ox.Literal(f"Zeitraum: {name_de}", language="de")),
                        t(period, RDFS + "label", ox.Literal(f"Period: {name_en}", language="en"))]
    left = [x for x in after + extra_added if x not in set(extra_removed)]
    if has_period and not any(x.subject == period and x.predicate.value in (TIME + "hasBeginning", TIME + "hasEnd")
                              for x in left):  # neither date is left: the period goes too
        extra_removed.extend(x for x in current if x.subject == period or
                             (x.subject == m and x.predicate.value == ORG + "memberDuring"))
    return ([*added, *(x for x in extra_added if x not in current)],
            [*removed, *(x for x in dict.fromkeys(extra_removed) if x not in removed_set)])
