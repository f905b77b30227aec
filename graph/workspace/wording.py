"""A change in plain words: "Beginn geändert von 1966 auf 1967", "Quelle hinzugefügt: https://…".

`describe_change(added, removed, labels, lang)` turns a change set's statements into sentences for people — the
change-set page and the review (api/routers/workspace.py), the public history and the release notes (H3's
history.py, releases.py). Properties are named as the shapes name them (`sh:name`, without the technical term in
brackets), else as the ontology labels them, else by graph/vocabulary.py's plain names; values by their labels,
dates as people write them ("12. Mai 1966", "Mai 1966"), web addresses as they are. Our own IRIs never appear in a
sentence; the statements themselves are for a "technical details" disclosure (`technical_lines`).

`plain_message(text, labels, lang)` takes the technical terms out of a shape's message for the person at a form
("Partner (hki:partner)" → "Partner"; an IRI in angle brackets → its label).

The sentence patterns are the only texts here, German and English, in one table (as graph/analysis/world_reasons.py
keeps its own): the command line's release notes need them without the web's catalogues.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import cache

import pyoxigraph as ox
import rdflib
from babel.dates import format_date
from rdflib.namespace import SH

from graph.vocabulary import DCT, RDF, RDFS, SKOS, TERM_NAMES, XSD
from ontology import DEFAULT_BASE, ONTOLOGY_FILE, SHAPES_FILE, VOCABULARY_FILE, PREFIXES

SENTENCES = {
    "changed": {"de": "{property} geändert von {old} auf {new}", "en": "{property} changed from {old} to {new}"},
    "added": {"de": "{property} hinzugefügt: {value}", "en": "{property} added: {value}"},
    "removed": {"de": "{property} entfernt: {value}", "en": "{property} removed: {value}"},
    "new_entry": {"de": "Neuer Eintrag: {label}", "en": "New entry: {label}"},
    "removed_entry": {"de": "Eintrag entfernt: {label}", "en": "Entry removed: {label}"},
    "fact": {"de": "{property}: {values}", "en": "{property}: {values}"},
    "of_entry": {"de": "{entry}: {sentence}", "en": "{entry}: {sentence}"},
    "unnamed": {"de": "ein Eintrag ohne Bezeichnung", "en": "an entry without a name"},
    "no_change": {"de": "Keine Änderung der Daten.", "en": "No change to the data."},
}
QUOTES = {"de": ("„", "“"), "en": ("“", "”")}
LONGEST_VALUE = 160  # characters of a text value quoted in a sentence; longer ones are cut with "…"
_TERM_IN_BRACKETS = re.compile(r"\s*\((?:[^()]*\b[a-z][a-zA-Z]*:[A-Za-z][^()]*|[^()]*@[a-z]{2}\b[^()]*)\)")
# ": ein rdfs:label mit @de." / ": an rdfs:label tagged @de." at the end of a message: how to write it in Turtle
_LANGUAGE_TAG_CLAUSE = re.compile(r":\s*(?:ein|eine|an|a)\s+[^.]*?\s+(?:mit|tagged)\s+@[a-z]{2}\.$")
_NAME_SUFFIX = re.compile(r"\s*\([^()]*:[^()]*\)\s*$")
_IRI = re.compile(r"<(https?://[^<>\s]+)>")
_TYPED = re.compile(r'("[^"]*")\^\^[a-z]+:[A-Za-z]+')
_COMPACT = re.compile(r"(?<![\w/])(hkis?|rdfs?|skos|dct|schema|org|owl|wgs|geo|cv|foaf|xsd|time|sh):([A-Za-z][\w-]*)")
_PREFIXES = {name: PREFIXES[name] for name in ("hki", "hkis", "rdf", "rdfs", "skos", "dct", "schema", "org", "owl",
                                               "wgs", "geo", "cv", "foaf", "xsd", "time")}


def property_name(name: str) -> str:
    """A shape's sh:name without its technical term: "Beginn (schema:startDate)" → "Beginn"."""
    return _NAME_SUFFIX.sub("", name).strip()


# ------------------------------------------------------------------ labels


class Labels:
    """Names of entries and properties in German and English: what a sentence says instead of an IRI."""

    def __init__(self, names: Mapping[str, Mapping[str, str]] | None = None,
                 properties: Mapping[tuple[str, str], Mapping[str, str]] | None = None):
        self.names: dict[str, dict[str, str]] = {k: dict(v) for k, v in (names or {}).items()}
        # (property IRI, language of the value or "") → {lang: name}
        self.properties: dict[tuple[str, str], dict[str, str]] = {k: dict(v) for k, v in (properties or {}).items()}

    def name(self, iri: str, lang: str) -> str | None:
        return _pick(self.names.get(iri, {}), lang)

    def property(self, iri: str, lang: str, value_lang: str = "") -> str:
        """The property's name; for a language-tagged value the name for that language ("deutsche Bezeichnung")."""
        for key in ((iri, value_lang), (iri, "")):
            found = _pick(self.properties.get(key, {}), lang)
            if found:
                return found
        if iri in TERM_NAMES:
            return TERM_NAMES[iri][0 if lang == "de" else 1]
        found = self.name(iri, lang)
        if found:
            return found
        local = re.split(r"[#/]", iri)[-1]
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower() or iri

    def with_statements(self, statements: Iterable[ox.Triple]) -> Labels:
        """These labels, and the names a change itself gives (a new entry is named by the change that makes it)."""
        copy = Labels(self.names, self.properties)
        for t in statements:
            if t.predicate.value in (RDFS + "label", SKOS + "prefLabel") and isinstance(t.object, ox.Literal):
                copy.names.setdefault(t.subject.value, {}).setdefault(t.object.language or "", t.object.value)
        return copy

    @classmethod
    def of(cls, store: ox.Store | Iterable[ox.Quad | ox.Triple], shapes: rdflib.Graph | None = None) -> Labels:
        """The names in `store` (rdfs:label, else skos:prefLabel; ontology, vocabularies and data) and the
        properties' names from the shapes (ontology/shapes.ttl unless `shapes` is given)."""
        quads = store.quads_for_pattern(None, None, None) if isinstance(store, ox.Store) else store
        names: dict[str, dict[str, str]] = {}
        preferred: dict[str, dict[str, str]] = {}
        for q in quads:
            predicate = q.predicate.value
            if predicate not in (RDFS + "label", SKOS + "prefLabel") or not isinstance(q.object, ox.Literal):
                continue
            if not isinstance(q.subject, ox.NamedNode):
                continue
            target = names if predicate == RDFS + "label" else preferred
            target.setdefault(q.subject.value, {}).setdefault(q.object.language or "", q.object.value)
        for iri, labels in preferred.items():
            merged = names.setdefault(iri, {})
            for lang, text in labels.items():
                merged.setdefault(lang, text)
        return cls(names, shape_property_names(shapes))


def _pick(texts: Mapping[str, str], lang: str) -> str | None:
    for wanted in (lang, "en" if lang == "de" else "de", ""):
        if texts.get(wanted):
            return texts[wanted]
    return next(iter(texts.values()), None) if texts else None


_shapes_lock = threading.Lock()


@cache
def _shipped_property_names() -> dict[tuple[str, str], dict[str, str]]:
    return _property_names(rdflib.Graph().parse(SHAPES_FILE, format="turtle"))


def shape_property_names(shapes: rdflib.Graph | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """(property, value language) → {lang: name}, from the shapes' sh:name (the shortest when several shapes name
    one property; a shape for one language's values names that language's values)."""
    if shapes is None:
        with _shapes_lock:
            return _shipped_property_names()
    return _property_names(shapes)


def _property_names(shapes: rdflib.Graph) -> dict[tuple[str, str], dict[str, str]]:
    found: dict[tuple[str, str], dict[str, list[str]]] = {}
    for shape, path in shapes.subject_objects(SH.path):
        if not isinstance(path, rdflib.URIRef):
            continue
        value_lang = ""
        qualified = shapes.value(shape, SH.qualifiedValueShape)
        if qualified is not None:
            langs = _list(shapes, shapes.value(qualified, SH.languageIn))
            if len(langs) != 1:
                continue
            value_lang = str(langs[0])
        for name in shapes.objects(shape, SH.name):
            if isinstance(name, rdflib.Literal) and name.language:
                found.setdefault((str(path), value_lang), {}).setdefault(name.language, []).append(
                    property_name(str(name)))
    return {key: {lang: sorted(texts, key=lambda t: (len(t), t))[0] for lang, texts in by_lang.items()}
            for key, by_lang in found.items()}


def _list(graph: rdflib.Graph, head: rdflib.term.Node | None) -> list:
    if head is None:
        return []
    return list(rdflib.collection.Collection(graph, head))


@cache
def schema_labels() -> Labels:
    """The names of the ontology's and vocabularies' terms alone (no data): enough for properties and concepts."""
    quads: list[ox.Quad] = []
    for path in (ONTOLOGY_FILE, VOCABULARY_FILE):
        quads.extend(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE))
    return Labels.of(quads)


# ------------------------------------------------------------------ values


def value_text(term: ox.NamedNode | ox.Literal | ox.BlankNode, labels: Labels, lang: str, base: str = DEFAULT_BASE
               ) -> str:
    """A value as a sentence shows it: a label, a date as people write it, a web address, a quoted text."""
    if isinstance(term, ox.NamedNode):
        named = labels.name(term.value, lang)
        if named:
            return named
        if term.value.startswith(("http://", "https://")) and not (base and term.value.startswith(base)):
            return term.value
        return SENTENCES["unnamed"][lang]
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.datatype is not None else ""
        if datatype in (XSD + "date", XSD + "gYearMonth", XSD + "gYear"):
            return date_text(term.value, lang)
        if datatype in (XSD + "decimal", XSD + "integer", XSD + "double", XSD + "boolean"):
            return term.value
        text = term.value if len(term.value) <= LONGEST_VALUE else term.value[:LONGEST_VALUE - 1].rstrip() + "…"
        opening, closing = QUOTES.get(lang, QUOTES["en"])
        return f"{opening}{text}{closing}"
    return SENTENCES["unnamed"][lang]


def date_text(value: str, lang: str) -> str:
    """"1966" → "1966", "1966-05" → "Mai 1966", "1966-05-12" → "12. Mai 1966" (May 12, 1966 in English)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return format_date(dt.date.fromisoformat(value + "-01"), format="MMMM y", locale=lang)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return format_date(dt.date.fromisoformat(value), format="long", locale=lang)
    except ValueError:
        pass
    return value


# ------------------------------------------------------------------ sentences

LabelSource = Labels | Mapping[str, Mapping[str, str]] | Callable[[str, str], str | None] | None


def _labels(labels: LabelSource) -> Labels:
    if isinstance(labels, Labels):
        return labels
    if labels is None:
        return schema_labels()
    if callable(labels):
        wrapped = Labels(schema_labels().names, schema_labels().properties)
        original = wrapped.name
        wrapped.name = lambda iri, lang: labels(iri, lang) or original(iri, lang)  # type: ignore[method-assign]
        return wrapped
    merged = Labels(schema_labels().names, schema_labels().properties)
    for iri, texts in labels.items():
        merged.names[iri] = dict(texts)
    return merged


def _statements(value: str | Iterable[ox.Triple | ox.Quad]) -> list[ox.Triple]:
    if isinstance(value, str):
        if not value.strip():
            return []
        return [q.triple for q in ox.parse(value.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
    return [s.triple if isinstance(s, ox.Quad) else s for s in value]


_ORDER = {RDF + "type": 0, RDFS + "label": 1, SKOS + "prefLabel": 1, DCT + "source": 9}


def describe_change(added: str | Iterable[ox.Triple | ox.Quad], removed: str | Iterable[ox.Triple | ox.Quad],
                    labels: LabelSource = None, lang: str = "de", base: str = DEFAULT_BASE) -> list[str]:
    """The change as sentences in `lang` ("de" or "en"): per entry, what was added, removed or changed.

    `added` and `removed` are statements or N-Triples text (as a change set stores them); `labels` names entries
    and properties (a `Labels`, a mapping IRI → {lang: label}, or a function (iri, lang) → label). `base`: our
    IRIs (never shown; web addresses elsewhere are, e.g. a source)."""
    lang = "en" if lang == "en" else "de"
    plus, minus = _statements(added), _statements(removed)
    named = _labels(labels).with_statements(minus).with_statements(plus)
    subjects = sorted({t.subject.value for t in plus + minus if isinstance(t.subject, ox.NamedNode)},
                      key=lambda iri: (named.name(iri, lang) or "", iri))
    # an entry's parts (<entry>/period, <entry>/start …) changed with it say again what the entry says (its dates):
    # they are not told apart, only shown under "technical details"
    parts = {s for s in subjects if any(s.startswith(other + "/") for other in subjects if other != s)}
    subjects = [s for s in subjects if s not in parts]
    sentences: list[str] = []
    for subject in subjects:
        mine_plus = [t for t in plus if t.subject.value == subject]
        mine_minus = [t for t in minus if t.subject.value == subject]
        entry = named.name(subject, lang) or SENTENCES["unnamed"][lang]
        typed = any(t.predicate.value == RDF + "type" for t in mine_plus)
        if typed and not mine_minus:
            sentences.append(SENTENCES["new_entry"][lang].format(label=entry))
            sentences.extend(_facts([t for t in mine_plus if t.predicate.value != RDF + "type"], named, lang, base))
            continue
        if not mine_plus and any(t.predicate.value == RDF + "type" for t in mine_minus):
            sentences.append(SENTENCES["removed_entry"][lang].format(label=entry))
            continue
        own = _changes(mine_plus, mine_minus, named, lang, base)
        if len(subjects) > 1:
            own = [SENTENCES["of_entry"][lang].format(entry=entry, sentence=s) for s in own]
        sentences.extend(own)
    return [s[:1].upper() + s[1:] for s in sentences] or [SENTENCES["no_change"][lang]]


def _key(t: ox.Triple) -> tuple[str, str]:
    return t.predicate.value, (t.object.language or "") if isinstance(t.object, ox.Literal) else ""


def _sorted_keys(keys: Iterable[tuple[str, str]], labels: Labels, lang: str) -> list[tuple[str, str]]:
    return sorted(set(keys), key=lambda k: (_ORDER.get(k[0], 5), labels.property(k[0], lang, k[1]), k[1]))


def _facts(statements: list[ox.Triple], labels: Labels, lang: str, base: str) -> list[str]:
    out = []
    for key in _sorted_keys((_key(t) for t in statements), labels, lang):
        values = sorted(value_text(t.object, labels, lang, base) for t in statements if _key(t) == key)
        out.append(SENTENCES["fact"][lang].format(property=labels.property(key[0], lang, key[1]),
                                                  values=", ".join(values)))
    return out


def _changes(plus: list[ox.Triple], minus: list[ox.Triple], labels: Labels, lang: str, base: str) -> list[str]:
    out = []
    for key in _sorted_keys([_key(t) for t in plus + minus], labels, lang):
        name = labels.property(key[0], lang, key[1])
        new = sorted(value_text(t.object, labels, lang, base) for t in plus if _key(t) == key)
        old = sorted(value_text(t.object, labels, lang, base) for t in minus if _key(t) == key)
        if len(new) == 1 and len(old) == 1:
            out.append(SENTENCES["changed"][lang].format(property=name, old=old[0], new=new[0]))
            continue
        out.extend(SENTENCES["removed"][lang].format(property=name, value=v) for v in old)
        out.extend(SENTENCES["added"][lang].format(property=name, value=v) for v in new)
    return out


def technical_lines(added: str | Iterable[ox.Triple | ox.Quad], removed: str | Iterable[ox.Triple | ox.Quad]
                    ) -> list[str]:
    """The statements themselves, "- " removed and "+ " added, as N-Triples lines (for technical details)."""
    lines = [f"- {t.subject} {t.predicate} {t.object} ." for t in _statements(removed)]
    lines += [f"+ {t.subject} {t.predicate} {t.object} ." for t in _statements(added)]
    return sorted(lines, key=lambda line: (line[2:], line[0]))


# ------------------------------------------------------------------ messages of the shapes


def plain_message(text: str, labels: LabelSource = None, lang: str = "de") -> str:
    """A shape's message without technical terms: bracketed terms dropped, IRIs and terms by their names, typed
    literals by their text ("2017"^^xsd:gYear → "2017")."""
    named = _labels(labels)
    lang = "en" if lang == "en" else "de"

    def iri(match: re.Match) -> str:
        found = named.name(match.group(1), lang)
        if found:
            opening, closing = QUOTES[lang]
            return f"{opening}{found}{closing}"
        return match.group(1)

    def compact(match: re.Match) -> str:
        full = _PREFIXES.get(match.group(1), "") + match.group(2)
        if match.group(1) in ("rdf", "rdfs", "skos", "dct", "schema", "org", "owl", "wgs", "geo", "foaf", "hki"):
            return named.property(full, lang)
        return named.name(full, lang) or match.group(0)

    plain = _LANGUAGE_TAG_CLAUSE.sub(".", text.strip())
    plain = _TERM_IN_BRACKETS.sub("", plain)
    plain = _TYPED.sub(r"\1", plain)
    plain = _IRI.sub(iri, plain)
    plain = _COMPACT.sub(compact, plain)
    return re.sub(r"\s{2,}", " ", plain).replace(" ,", ",").replace(" .", ".").strip()


__all__ = [
    "SENTENCES",
    "Labels",
    "date_text",
    "describe_change",
    "plain_message",
    "property_name",
    "schema_labels",
    "shape_property_names",
    "technical_lines",
    "value_text",
]
