"""Human documentation of the hki ontology, generated from `ontology/hki.ttl` by pyLODE, per language.

pyLODE (https://github.com/RDFLib/pyLODE) 3.3.4 is the release that runs on Python 3.11 (3.6 needs
3.12). It works offline on a graph it is given, but it shows every language's labels run together
and sets the root logger to DEBUG when imported. So: the ontology is parsed into a *copy* that keeps
only the literals in one language (plus untagged ones) before pyLODE sees it, the logging
configuration is restored after the import, and the page is generated once per language and file
version and kept in memory.

A server puts its own frame around the page (`Frame`: the site menu and footer, its stylesheets; api/web/site.py
does, for /ontology): pyLODE's content becomes the page's <main> and its table of contents a <nav>. pyLODE's
own words ("Table of Contents", "Classes", "Sub Class Of", …: PYLODE_WORDS) and its YYYY-MM-DD dates can be
given in the page's language; the words come from the caller, this layer has no catalogue of its own.
"""
from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from cachetools import LRUCache

from ontology import ONTOLOGY_FILE

# pyLODE's pages made, one per language and file version (pyLODE takes seconds); cachetools' caches are not
# thread-safe: used under _lock.
_cache: LRUCache[tuple[str, str, int], str] = LRUCache(maxsize=4)
_lock = threading.Lock()


class OntologyDocError(RuntimeError):
    """pyLODE is missing or failed; the message says which and how to fix it."""


def _import_pylode():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from pylode import OntPub  # noqa: PLC0415 - imported late: it reconfigures logging on import
    except ImportError as exc:
        raise OntologyDocError(f"pyLODE is not installed ({exc}); pip install 'pylode==3.3.4'") from None
    finally:
        root.setLevel(level)
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
    return OntPub


def one_language(graph: rdflib.Graph, lang: str) -> rdflib.Graph:
    """A copy of `graph` without the literals tagged with another language (untagged ones stay)."""
    copy = rdflib.Graph()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace, override=True)
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.language and o.language.lower() != lang:
            continue
        copy.add((s, p, o))
    return copy


BAR_STYLE = (".hki-bar{font:15px system-ui,sans-serif;padding:.5rem 1rem;border-bottom:1px solid #d9dee5;"
             "display:flex;gap:1.2rem}")
# pyLODE's own words (section headings, table and list labels), exactly as its page writes them; a page in
# another language replaces each by the text `words` gives for it (the router takes them from the catalogues).
PYLODE_WORDS = ("Table of Contents", "Metadata", "Classes", "Object Properties", "Datatype Properties",
                "Annotation Properties", "Functional Properties", "Named Individuals", "Namespaces", "Legend",
                "Title", "Creator", "Contributor", "Publisher", "Date Created", "Date Modified", "Date Issued",
                "License", "Rights", "Version Info", "Version IRI", "Preferred Namespace Prefix",
                "Preferred Namespace Uri", "Description", "Is Defined By", "Domain", "Range", "In Domain Of",
                "In Range Of", "Sub Class Of", "Super Class Of", "Sub Property Of", "Super Property Of",
                "Restrictions", "Properties", "Inverse Of", "Equivalent Class", "Example", "Source", "See Also")


@dataclass(frozen=True)
class Frame:
    """What a server puts around the page: `head` (stylesheets, into <head>), `header` (the site menu, first in
    <body>), `footer` (last in <body>)."""

    head: str = ""
    header: str = ""
    footer: str = ""


def inline_styles(page: str) -> list[str]:
    """The texts of the page's `<style>` elements (for the hashes of its Content-Security-Policy)."""
    return re.findall(r"<style[^>]*>(.*?)</style>", page, re.DOTALL | re.IGNORECASE)


def _pylode_page(lang: str, path: Path) -> str:
    """pyLODE's page for the ontology in `lang`, kept per language and file version (pyLODE takes seconds)."""
    key = (lang, str(path), path.stat().st_mtime_ns)
    with _lock:
        if key in _cache:
            return _cache[key]
        root = logging.getLogger()
        level, handlers = root.level, list(root.handlers)
        try:
            OntPub = _import_pylode()
            graph = one_language(rdflib.Graph().parse(path, format="turtle"), lang)
            for ontology in graph.subjects(rdflib.RDF.type, rdflib.OWL.Ontology):
                if (ontology, rdflib.DCTERMS.title, None) in graph:
                    graph.remove((ontology, rdflib.RDFS.label, None))  # pyLODE would print title and label as one
            page = OntPub(ontology=graph).make_html()
        except OntologyDocError:
            raise
        except Exception as exc:  # noqa: BLE001 - any pyLODE failure becomes one clear message
            raise OntologyDocError(f"pyLODE could not document {path}: {type(exc).__name__}: {exc}") from None
        finally:
            root.setLevel(level)
            for handler in list(root.handlers):
                if handler not in handlers:
                    root.removeHandler(handler)
        _cache[key] = page
        return page


def _translated(body: str, words: Mapping[str, str]) -> str:
    """pyLODE's own words in the body replaced by `words` (only where one is a whole element text)."""
    wanted = {w: words[w] for w in PYLODE_WORDS if words.get(w)}
    if not wanted:
        return body
    pattern = re.compile(r"(>\s*)(" + "|".join(re.escape(w) for w in sorted(wanted, key=len, reverse=True)) + r")(\s*<)")
    return pattern.sub(lambda m: m.group(1) + html.escape(wanted[m.group(2)]) + m.group(3), body)


def ontology_html(lang: str = "en", *, path: Path = ONTOLOGY_FILE, back_link: tuple[str, str] | None = None,
                  switch: tuple[str, str] | None = None, turtle: str | None = None, frame: Frame | None = None,
                  words: Mapping[str, str] | None = None, toc_label: str = "Table of Contents",
                  turtle_label: str = "Turtle", dates: Callable[[str], str] | None = None) -> str:
    """The pyLODE page for the ontology in `lang` ("de" or "en").

    With `frame`, the page gets the server's site menu and footer: pyLODE's content becomes the page's <main>,
    its table of contents a <nav> named `toc_label`. Without, a small bar of `back_link`, `switch` on top.
    `words` translates pyLODE's own headings and labels (PYLODE_WORDS); `turtle` links the ontology's Turtle file
    (its link text `turtle_label`); `dates` writes the dates pyLODE shows as YYYY-MM-DD in the page's language."""
    page = _pylode_page(lang, path)
    head, _, rest = page.partition("</head>")
    opening, _, body = rest.partition("<body>")
    body, _, closing = body.rpartition("</body>")
    if words:
        body = _translated(body, words)
    if dates is not None:  # a value that is a date and nothing else: <dd><p>2026-11-26</p></dd>
        body = re.sub(r"(<dd><p>)(\d{4}-\d{2}-\d{2})(</p></dd>)",
                      lambda m: m.group(1) + html.escape(dates(m.group(2))) + m.group(3), body)
    turtle_link = (f'<a href="{html.escape(turtle)}" type="text/turtle">{html.escape(turtle_label)}</a>'
                   if turtle else "")
    if frame is not None:
        # pyLODE's table of contents is the last <div> of the body: a navigation landmark of its own
        toc_at = body.rfind('<div id="toc">')
        if toc_at >= 0:
            end = body.rfind("</div>")
            body = (body[:toc_at] + f'<nav id="toc" aria-label="{html.escape(toc_label)}">'
                    + body[toc_at + len('<div id="toc">'):end] + "</nav>" + body[end + len("</div>"):])
        formats = f'<p class="onto-formats">{turtle_link}</p>' if turtle_link else ""
        body = frame.header + '<main class="ontology-page">' + formats + body + "</main>" + frame.footer
        head += frame.head
    else:
        links = [f'<a href="{html.escape(item[0])}">{html.escape(item[1])}</a>' for item in (back_link, switch) if item]
        if turtle_link:
            links.append(turtle_link)
        # A class and a <style> element, not a style attribute: the page's Content-Security-Policy allows
        # its stylesheets by hash (inline_styles), and attributes cannot be allowed that way.
        body = '<nav class="hki-bar">' + "".join(links) + "</nav>" + body
        head += f"<style>{BAR_STYLE}</style>"
    if turtle:
        head += f'<link rel="alternate" type="text/turtle" href="{html.escape(turtle)}">'
    page = head + "</head>" + opening + "<body>" + body + "</body>" + closing
    return page.replace("<html>", f'<html lang="{html.escape(lang)}">', 1)
