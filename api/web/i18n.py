"""The page language (German or English: `?lang=`, remembered in a cookie, else the browser's) and the
page's words, from the gettext catalogues in api/web/locales.

Every page for people uses `page_language` and `remember_language`, so a switch on one page holds on all.

UI text lives in `locales/<lang>/LC_MESSAGES/hki.po` (the template, `locales/hki.pot`, is extracted from
the code by `pybabel extract -F pyproject.toml`), never in code. The msgids are stable keys named by where
they appear (`pages.lead1`, `explore.hint_map`, `sparql.run`, `unavailable.title`); English is a
translation like German (`en/…/hki.po`), so rewording a text never orphans the other languages'
translations. Placeholders are `{name}`, filled by `translate(…, name=…)` or by the scripts.

- Templates call `_("pages.home")`, or `_("pages.shown_of", shown=…, total=…)`: the language is the render
  context's `lang` (api/web/templates.py installs these callables once; per render only `lang` differs).
- Python calls `translate(lang, "pages.home", **values)`; `N_("…")` marks a msgid looked up later.
- Scripts get `messages(lang, "explore.")`, embedded by their page as a JSON data block.

The compiled `.mo` files are built, not committed: `make install` runs `pybabel compile`, and
`load_catalogues` (at server start) compiles any that are missing or older than their `.po`.
"""
from __future__ import annotations

import gettext
import io
import os
import tempfile
import threading
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from fastapi import Request
from fastapi.responses import Response

LANGUAGES = ("de", "en")
COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600


def page_language(request: Request, default: str) -> str:
    """`?lang=`, else the `lang` cookie, else the first of de/en in Accept-Language, else `default`."""
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "de"


def remember_language(request: Request, response: Response) -> Response:
    """Store an explicit `?lang=` choice in the cookie (a year, same site only)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=ONE_YEAR, samesite="lax")
    return response


def other_language(lang: str) -> str:
    return "en" if lang == "de" else "de"


# ------------------------------------------------------------------ the catalogues

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "hki"
FALLBACK = "en"  # a msgid a language lacks is shown in English (the tests keep both complete)


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (`pybabel extract`) where it is translated later, by `translate`."""
    return msgid


def _mo_bytes(po: Path) -> bytes:
    with po.open("rb") as source:
        catalogue = read_po(source, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    return compiled.getvalue()


def _fresh(mo: Path, po: Path) -> bool:
    return mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime)


def compile_catalogues(locales_dir: Path = LOCALES_DIR, force: bool = False) -> list[Path]:
    """Compile each `<lang>/LC_MESSAGES/hki.po` whose `hki.mo` is missing or older; the written files.

    Atomic: each is written to a temporary file beside it, then renamed over it, so a server starting at
    the same time reads the old file or the new one, never half of one. OSError where the folder is read-only."""
    written = []
    for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not force and _fresh(mo, po):
            continue
        data = _mo_bytes(po)
        handle, temporary = tempfile.mkstemp(prefix=f".{DOMAIN}-", suffix=".mo.tmp", dir=po.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, mo)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written


class Catalogue:
    """One language's compiled messages: gettext lookups and the list of its msgids."""

    def __init__(self, lang: str, compiled: bytes):
        self.lang = lang
        self.translations = gettext.GNUTranslations(io.BytesIO(compiled))
        self.msgids = tuple(m.id for m in read_mo(io.BytesIO(compiled)) if isinstance(m.id, str) and m.id)

    def gettext(self, msgid: str) -> str:
        return self.translations.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


_lock = threading.Lock()
_catalogues: dict[str, Catalogue] | None = None


def load_catalogues(locales_dir: Path = LOCALES_DIR, reload: bool = False) -> dict[str, Catalogue]:
    """Every language's catalogue, by language code; compiled first where the .mo is missing or stale.

    Where the package folder is read-only the catalogues are compiled in memory instead."""
    global _catalogues
    with _lock:
        if _catalogues is not None and not reload and locales_dir == LOCALES_DIR:
            return _catalogues
        try:
            compile_catalogues(locales_dir)
        except OSError:
            pass
        found: dict[str, Catalogue] = {}
        for folder in sorted(p for p in locales_dir.glob("*/LC_MESSAGES") if p.is_dir()):
            po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
            if _fresh(mo, po):
                found[folder.parent.name] = Catalogue(folder.parent.name, mo.read_bytes())
            elif po.exists():
                found[folder.parent.name] = Catalogue(folder.parent.name, _mo_bytes(po))
        if FALLBACK in found:
            for lang, catalogue in found.items():
                if lang != FALLBACK:
                    catalogue.translations.add_fallback(found[FALLBACK].translations)
        if locales_dir == LOCALES_DIR:
            _catalogues = found
        return found


def _catalogue(lang: str) -> Catalogue | None:
    catalogues = load_catalogues()
    return catalogues.get(lang) or catalogues.get(FALLBACK)


def translate(lang: str, msgid: str, **values: object) -> str:
    """The text of `msgid` in `lang`, its `{name}` placeholders filled from `values` (none: left as they are)."""
    catalogue = _catalogue(lang)
    text = catalogue.gettext(msgid) if catalogue else msgid
    return text.format(**values) if values else text


def translate_plural(lang: str, singular: str, plural: str, n: int, **values: object) -> str:
    """ngettext: the form of `singular`/`plural` for the number `n` in `lang`; `{n}` and `values` filled in."""
    catalogue = _catalogue(lang)
    text = catalogue.ngettext(singular, plural, n) if catalogue else (singular if n == 1 else plural)
    return text.format(n=n, **values)


def messages(lang: str, prefix: str) -> dict[str, str]:
    """Every message whose msgid starts with `prefix`, msgid → text in `lang`: what a page's script needs."""
    catalogue = _catalogue(lang)
    if catalogue is None:
        return {}
    ids = set(catalogue.msgids) | set(getattr(load_catalogues().get(FALLBACK), "msgids", ()))
    return {msgid: catalogue.gettext(msgid) for msgid in sorted(ids) if msgid.startswith(prefix)}
