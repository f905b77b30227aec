"""Human documentation of the hki ontology, generated from `ontology/hki.ttl` by pyLODE, per language.

pyLODE (https://github.com/RDFLib/pyLODE) 3.3.4 is the release that runs on Python 3.11 (3.6 needs
3.12). It works offline on a graph it is given, but it shows every language's labels run together
and sets the root logger to DEBUG when imported. So: the ontology is parsed into a *copy* that keeps
only the literals in one language (plus untagged ones) before pyLODE sees it, the logging
configuration is restored after the import, and the page is generated once per language and file
version and kept in memory.
"""
from __future__ import annotations

import html
import logging
import re
import threading
from pathlib import Path

import rdflib
from cachetools import LRUCache

from ontology import ONTOLOGY_FILE

# The last page made (pyLODE takes seconds); cachetools' caches are not thread-safe: used under _lock.
_cache: LRUCache[tuple[str, int, tuple], str] = LRUCache(maxsize=1)
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


def inline_styles(page: str) -> list[str]:
    """The texts of the page's `<style>` elements (for the hashes of its Content-Security-Policy)."""
    return re.findall(r"<style[^>]*>(.*?)</style>", page, re.DOTALL | re.IGNORECASE)


def ontology_html(lang: str = "en", *, path: Path = ONTOLOGY_FILE, back_link: tuple[str, str] | None = None,
                  switch: tuple[str, str] | None = None, turtle: str | None = None) -> str:
    """The pyLODE page for the ontology in `lang` ("de" or "en"), with a small navigation bar on top."""
    stamp = path.stat().st_mtime_ns
    key = (lang, stamp, (back_link, switch, turtle))
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
        links = []
        for item in (back_link, switch):
            if item:
                links.append(f'<a href="{html.escape(item[0])}">{html.escape(item[1])}</a>')
        if turtle:
            links.append(f'<a href="{html.escape(turtle)}" type="text/turtle">Turtle</a>')
        # A class and a <style> element, not a style attribute: the page's Content-Security-Policy allows
        # its stylesheets by hash (inline_styles), and attributes cannot be allowed that way.
        bar = '<nav class="hki-bar">' + "".join(links) + "</nav>"
        page = page.replace("<body>", "<body>" + bar, 1)
        page = page.replace("</head>", f"<style>{BAR_STYLE}</style></head>", 1)
        page = page.replace("<html>", f'<html lang="{html.escape(lang)}">', 1)
        if turtle:
            page = page.replace("</head>", f'<link rel="alternate" type="text/turtle" href="{html.escape(turtle)}">'
                                           "</head>", 1)
        _cache[key] = page
        return page
