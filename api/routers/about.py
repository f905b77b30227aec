"""Pages about the site itself: the accessibility statement and the page in Leichte Sprache.

- `/barrierefreiheit` — the accessibility statement that BITV 2.0 § 7 requires of a public body's website, in
  German and English: how far the site complies (as measured: tests/browser/test_accessibility.py),
  what is not accessible yet, when the statement was made, where to report a barrier (the setting
  `accessibility_contact`, else `contact_url`, else `contact_email`; none is invented) and the enforcement
  procedure (`accessibility_enforcement_url`, and the federal conciliation body under § 16 BGG).
- `/leichte-sprache` — what the site offers and how to use it, in Leichte Sprache (German only; BITV 2.0 § 4).

Both are linked from every page's menu or footer (api/templates/_site_header.html, _site_footer.html).
"""
from __future__ import annotations

import urllib.parse
from datetime import date

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.i18n import page_language, remember_language
from api.web.site import ACCESSIBILITY_PATH, EASY_READ_PATH
from api.web.templates import templates
from graph.config import Settings

# The day the statement was made and the site last assessed (axe-core in Chromium, keyboard, 320 px reflow).
STATEMENT_DATE = date(2026, 12, 1)
# The conciliation body for federal public bodies (§ 16 BGG), named beside the Land's procedure.
FEDERAL_CONCILIATION_URL = "https://www.schlichtungsstelle-bgg.de/"


def easy_blocks(text: str) -> list[tuple[str, object]]:
    """A text in Leichte Sprache, one sentence a line, as blocks: ("p", line), or ("ul", [items]) for the lines
    that start with "- " (a list)."""
    blocks: list[tuple[str, object]] = []
    for line in (part.strip() for part in text.split("\n")):
        if not line:
            continue
        if line.startswith("- "):
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(line[2:])  # type: ignore[union-attr]
            else:
                blocks.append(("ul", [line[2:]]))
        else:
            blocks.append(("p", line))
    return blocks


def feedback_contact(settings: Settings) -> dict | None:
    """Where to report a barrier: {"href", "text"} from the settings, or None when none is set."""
    for value in (settings.accessibility_contact, settings.contact_url, settings.contact_email):
        value = value.strip()
        if not value:
            continue
        if value.startswith(("http://", "https://")):
            text = settings.contact_name.strip() if value == settings.contact_url and settings.contact_name.strip() \
                else urllib.parse.urlsplit(value).netloc
            return {"href": value, "text": text, "email": False}
        return {"href": "mailto:" + value, "text": value, "email": True}
    return None


class AboutRouter(APIRouter):
    """The accessibility statement and the page in Leichte Sprache."""

    def __init__(self, settings: Settings):
        super().__init__(include_in_schema=False)
        self.settings = settings
        page = {"response_class": HTMLResponse, "methods": ["GET", "HEAD"]}
        self.add_api_route(ACCESSIBILITY_PATH, self.accessibility, **page)
        self.add_api_route(EASY_READ_PATH, self.easy_read, **page)

    def _render(self, request: Request, template: str, lang: str, **values) -> HTMLResponse:
        response = templates.TemplateResponse(request, template, {"lang": lang, **values})
        return remember_language(request, response)

    def accessibility(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        enforcement = self.settings.accessibility_enforcement_url.strip()
        return self._render(
            request, "accessibility.html", lang,
            publisher=self.settings.publisher.strip() or (self.settings.title_de if lang == "de" else self.settings.title_en),
            statement_date=format_date(STATEMENT_DATE, format="long", locale=lang),
            statement_iso=STATEMENT_DATE.isoformat(),
            contact=feedback_contact(self.settings),
            enforcement={"href": enforcement, "text": urllib.parse.urlsplit(enforcement).netloc} if enforcement else None,
            federal_conciliation=FEDERAL_CONCILIATION_URL)

    def easy_read(self, request: Request) -> HTMLResponse:
        lang = page_language(request, self.settings.lang)
        return self._render(request, "easy_read.html", lang, publisher=self.settings.publisher.strip(),
                            contact=feedback_contact(self.settings), blocks=easy_blocks)
