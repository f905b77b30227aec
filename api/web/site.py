"""The frame every page for people shares: the site menu on top and the footer below, in the page language.

`layout.html` draws it for every template (`_site_header.html`, `_site_footer.html`); it takes what it needs
from `site(request, lang)`, a Jinja global, so a router passes only what its page is about. Pages made
elsewhere — pyLODE's /ontology (graph/publish/ontology_docs.py) — get the same header and footer as HTML
from `site_frame`. The menu's entries are in `_site_header.html`; their words in the catalogues (menu.*).
"""
from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from fastapi import Request

from api.web import sessions
from api.web.i18n import N_, other_language, translate
from api.web.templates import templates
from graph import __version__
from graph.context.importer import CC0 as CONTEXT_LICENCE
from graph.publish.catalogue import licence_name
from graph.publish.ontology_docs import Frame as OntologyFrame, ontology_html

ACCESSIBILITY_PATH = "/barrierefreiheit"  # the accessibility statement (BITV 2.0 § 7), linked from every footer
EASY_READ_PATH = "/leichte-sprache"  # the page in Leichte Sprache, linked from every menu
CONTEXT_PATH = "/kontext"  # the reconciliation with Wikidata for staff (api/routers/context.py), linked from the home page
CONTEXT_ITEM_PATH = "/kontext"  # + /Q64: a page of a place only Wikidata names (api/routers/context_items.py)
STYLESHEETS = ("/static/hki.css", "/static/pages.css")  # what the frame looks like (a page made elsewhere links them)


def switch_url(request: Request, lang: str) -> str:
    """This page in the other language: the same path and query, with `lang` set to the other one."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", other_language(lang)))
    return request.url.path + "?" + urllib.parse.urlencode(query)


def site(request: Request, lang: str) -> dict:
    """What the frame shows besides the page itself, from the app's settings (layout.html: `site(request, lang)`)."""
    settings = request.app.state.settings
    return {"other_lang": other_language(lang), "switch_url": switch_url(request, lang), "path": request.url.path,
            "title": settings.title_de if lang == "de" else settings.title_en,
            "licence": settings.licence, "licence_name": licence_name(settings.licence), "version": __version__,
            # the Wikidata context's licence, as its import records it (graph/context/importer.py)
            "context_licence": CONTEXT_LICENCE, "context_licence_name": licence_name(CONTEXT_LICENCE),
            "accessibility_url": ACCESSIBILITY_PATH, "easy_read_url": EASY_READ_PATH, **account_menu(request)}


def account_menu(request: Request) -> dict:
    """With the setting `editing`: the menu's sign-in link, or the signed-in person with the workspace link and the
    sign-out form (api/web/sessions.py). A state database that cannot be read shows the sign-in link: public pages
    never fail because of it."""
    if not getattr(request.app.state.settings, "editing", False):
        return {"editing": False}
    try:
        person = sessions.current_user(request)
    except sessions.StateUnavailable:
        logging.getLogger("hki.api").exception("the state database cannot be read; the page shows nobody signed in")
        person = None
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    return {"editing": True, "person": person, "workspace_url": sessions.WORKSPACE_PATH,
            "accounts_url": sessions.ACCOUNTS_PATH if person is not None and person.may("admin") else None,
            "login_url": sessions.login_url(here) if not request.url.path.startswith(sessions.LOGIN_PATH)
            else sessions.LOGIN_PATH, "logout_url": sessions.LOGOUT_PATH}


templates.env.globals["site"] = site


@dataclass(frozen=True)
class Frame:
    """The shared frame as HTML, for a page not made from layout.html."""

    stylesheets: str  # <link> elements for the head
    header: str  # the skip link and the site menu: right after <body>
    footer: str  # before </body>


def site_frame(request: Request, lang: str, content_id: str = "content") -> Frame:
    """The frame of `layout.html` for a page made elsewhere; its skip link goes to the element `content_id`."""
    context = {"request": request, "lang": lang, "frame": site(request, lang), "content_id": content_id,
               "with_skip": True}
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in STYLESHEETS)
    return Frame(links, templates.env.get_template("_site_header.html").render(context),
                 templates.env.get_template("_site_footer.html").render(context))


# pyLODE's own words on /ontology (graph.publish.ontology_docs.PYLODE_WORDS) → their msgids (ontology.*)
ONTOLOGY_WORDS = {
    "Table of Contents": N_("ontology.toc"), "Metadata": N_("ontology.metadata"), "Classes": N_("ontology.classes"),
    "Object Properties": N_("ontology.object_properties"), "Datatype Properties": N_("ontology.datatype_properties"),
    "Annotation Properties": N_("ontology.annotation_properties"),
    "Functional Properties": N_("ontology.functional_properties"),
    "Named Individuals": N_("ontology.named_individuals"), "Namespaces": N_("ontology.namespaces"),
    "Legend": N_("ontology.legend"), "Title": N_("ontology.title"), "Creator": N_("ontology.creator"),
    "Contributor": N_("ontology.contributor"), "Publisher": N_("ontology.publisher"),
    "Date Created": N_("ontology.created"), "Date Modified": N_("ontology.modified"),
    "Date Issued": N_("ontology.issued"), "License": N_("ontology.license"), "Rights": N_("ontology.rights"),
    "Version Info": N_("ontology.version_info"), "Version IRI": N_("ontology.version_iri"),
    "Preferred Namespace Prefix": N_("ontology.namespace_prefix"),
    "Preferred Namespace Uri": N_("ontology.namespace_uri"), "Description": N_("ontology.description"),
    "Is Defined By": N_("ontology.defined_by"), "Domain": N_("ontology.domain"), "Range": N_("ontology.range"),
    "In Domain Of": N_("ontology.in_domain_of"), "In Range Of": N_("ontology.in_range_of"),
    "Sub Class Of": N_("ontology.sub_class_of"), "Super Class Of": N_("ontology.super_class_of"),
    "Sub Property Of": N_("ontology.sub_property_of"), "Super Property Of": N_("ontology.super_property_of"),
    "Restrictions": N_("ontology.restrictions"), "Properties": N_("ontology.properties"),
    "Inverse Of": N_("ontology.inverse_of"), "Equivalent Class": N_("ontology.equivalent_class"),
    "Example": N_("ontology.example"), "Source": N_("ontology.source"), "See Also": N_("ontology.see_also"),
}


def ontology_page(request: Request, lang: str, turtle: str = "/def.ttl") -> str:
    """pyLODE's page of the ontology in `lang`, in the site's frame: the site menu, the footer, pyLODE's own
    words in the page language, its colours and layout made accessible (/static/ontology.css)."""
    frame = site_frame(request, lang)
    words = {english: translate(lang, msgid) for english, msgid in ONTOLOGY_WORDS.items()}
    head = frame.stylesheets + '<link rel="stylesheet" href="/static/ontology.css">'
    return ontology_html(lang, turtle=turtle, words=words, toc_label=words["Table of Contents"],
                         turtle_label=translate(lang, "ontology.turtle"), dates=lambda iso: _date(iso, lang),
                         frame=OntologyFrame(head=head, header=frame.header, footer=frame.footer))


def _date(iso: str, lang: str) -> str:
    """A date written YYYY-MM-DD as people write it in `lang` (26. November 2026, November 26, 2026)."""
    try:
        return format_date(date.fromisoformat(iso), format="long", locale=lang)
    except ValueError:
        return iso


def page_href(iri: str | None, base: str, described: "set[str] | dict", known: bool = True) -> str | None:
    """Where a link to `iri` goes on a page: our IRIs to this server, described ones to /resource, the web as it is."""
    import urllib.parse

    from ontology import ONTOLOGY_IRI

    if not iri:
        return None
    if iri.startswith(base):
        return "/" + iri[len(base):]
    if iri == str(ONTOLOGY_IRI):
        return "/ontology"
    if known or iri in described:
        return "/resource?" + urllib.parse.urlencode({"iri": iri})
    return iri if iri.startswith(("http://", "https://")) else None
