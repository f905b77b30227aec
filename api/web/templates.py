"""The one Jinja2 environment of the pages (autoescape on for .html): every router renders through it.

Templates take their words from the gettext catalogues (api/web/i18n.py): `_("pages.home")`,
`_("pages.shown_of", shown=…, total=…)`, `{% trans %}` (jinja2.ext.i18n). The callables are installed once;
each looks the language up in the render context's `lang`, so concurrent renders in German and English
never share a language (a macro imported without context gets the default, German).
"""
from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from api.web.i18n import LANGUAGES, translate, translate_plural

API_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = API_DIR / "templates"
STATIC_DIR = API_DIR / "static"
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.add_extension("jinja2.ext.i18n")


def _language(context: Context) -> str:
    lang = context.get("lang")
    return lang if lang in LANGUAGES else LANGUAGES[0]


@pass_context
def _gettext(context: Context, msgid: str, **values: object) -> str:
    return translate(_language(context), msgid, **values)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int, **values: object) -> str:
    return translate_plural(_language(context), singular, plural, n, **values)


templates.env.install_gettext_callables(_gettext, _ngettext, newstyle=False)  # type: ignore[attr-defined]
