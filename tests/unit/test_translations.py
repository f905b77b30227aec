"""The pages' words live in the gettext catalogues (api/web/locales), not in code.

- every msgid of the template (hki.pot) has a translation in German and in English, with the same
  `{placeholders}` in both;
- the template is what the code uses: extracting templates, Python and scripts again (the `[tool.babel]`
  mappings of pyproject.toml) gives exactly its msgids, and a script only uses msgids its page embeds;
- no German/English dictionary of UI text is left in the Python code under api/, and no German text in
  its templates and scripts;
- the catalogues compile (atomically, only when missing or stale) and load.
"""
from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import string
import time
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from api.web import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "api" / "web" / "locales"
POT = LOCALES / "hki.pot"
LANGUAGES = ("de", "en")
# What each page script may use: the msgids its page embeds (api/routers/explore.py, sparql.py: messages(lang, …))
SCRIPT_PREFIXES = {"explore.js": "explore.", "explore-world.js": "explore.", "sparql.js": "sparql."}
HOW_TO_UPDATE = "run the pybabel extract and update commands at [tool.babel] in pyproject.toml, then translate"


def _read(path: Path):
    with path.open("rb") as source:
        return read_po(source)


def _msgids(catalogue) -> set[str]:
    return {m.id for m in catalogue if m.id}


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.fixture(scope="module")
def template():
    return _read(POT)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The msgids in use now: the code extracted again, into a temporary .pot."""
    out = tmp_path_factory.mktemp("extract") / "hki.pot"
    here = os.getcwd()
    os.chdir(ROOT)  # the mappings' patterns are relative to the repository
    try:
        CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "pyproject.toml",
                                    "--ignore-dirs", ".* _* node_modules", "-o", str(out), "."])
    finally:
        os.chdir(here)
    return _read(out)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_msgid_has_a_translation_in_german_and_in_english(template, lang):
    po = LOCALES / lang / "LC_MESSAGES" / "hki.po"
    assert po.exists(), f"no catalogue for {lang}: {po}"
    catalogue = _read(po)
    by_id = {m.id: m for m in catalogue if m.id}
    missing = sorted(m for m in _msgids(template) if m not in by_id or not by_id[m].string)
    fuzzy = sorted(m for m in _msgids(template) if m in by_id and by_id[m].fuzzy)
    stale = sorted(set(by_id) - _msgids(template))
    assert not missing, f"{lang} has no translation of {missing}"
    assert not fuzzy, f"{lang}: fuzzy (unchecked) translations are not shown: {fuzzy}"
    assert not stale, f"{lang} translates msgids the template no longer has: {stale} ({HOW_TO_UPDATE})"


def test_translations_keep_the_placeholders_of_each_other(template):
    texts = {lang: {m.id: m.string for m in _read(LOCALES / lang / "LC_MESSAGES" / "hki.po") if m.id}
             for lang in LANGUAGES}
    differing = [(msgid, {lang: sorted(_placeholders(texts[lang][msgid])) for lang in LANGUAGES})
                 for msgid in sorted(_msgids(template))
                 if len({frozenset(_placeholders(texts[lang].get(msgid, ""))) for lang in LANGUAGES}) > 1]
    assert not differing, f"the languages fill in different {{placeholders}}: {differing}"


def test_the_template_holds_exactly_the_msgids_the_code_uses(template, extracted):
    used, known = _msgids(extracted), _msgids(template)
    assert used - known == set(), f"used in the code but not in hki.pot: {sorted(used - known)} ({HOW_TO_UPDATE})"
    assert known - used == set(), f"in hki.pot but used nowhere: {sorted(known - used)} ({HOW_TO_UPDATE})"
    files = {Path(path).name for m in extracted for path, _ in m.locations}
    # every kind of source is really read (a mapping that matches nothing would pass the checks above)
    assert {"layout.html", "explore.js", "sparql.js", "hardening.py", "resources.py"} <= files


def test_each_script_uses_only_the_msgids_its_page_embeds(extracted):
    wrong = []
    for message in extracted:
        for path, line in message.locations:
            if path.startswith("api/static/"):
                prefix = SCRIPT_PREFIXES.get(Path(path).name)
                if prefix is None or not message.id.startswith(prefix):
                    wrong.append(f"{path}:{line}: {message.id}")
    assert not wrong, f"a script's page embeds only the messages under {SCRIPT_PREFIXES}: {wrong}"


def _language_dictionaries(tree: ast.AST) -> list[int]:
    """Lines of dict literals (or dict(…) calls) that give literal text for both "de" and "en": UI text in code.
    A dict of data ({"de": row.label_de, "en": row.label_en}) is not one: its values are not literals."""

    def literal_text(node: ast.AST | None) -> bool:
        return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
            node, (ast.JoinedStr, ast.Dict, ast.List, ast.Tuple))

    found = []
    for node in ast.walk(tree):
        values: dict[str, ast.AST | None] = {}
        if isinstance(node, ast.Dict):
            values = {k.value: v for k, v in zip(node.keys, node.values)
                      if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            values = {k.arg: k.value for k in node.keywords if k.arg}
        if "de" in values and "en" in values and literal_text(values["de"]) and literal_text(values["en"]):
            found.append(node.lineno)
    return found


def test_the_check_for_language_dictionaries_finds_them_and_spares_data():
    ui = 'TEXT = {"de": {"home": "Start"}, "en": {"home": "Home"}}\nX = dict(de="Ja", en="Yes")\n'
    data = 'def labels(r):\n    return {"de": r.label_de, "en": r.label_en, "iri": "x"}\n'
    assert _language_dictionaries(ast.parse(ui)) == [1, 2]
    assert _language_dictionaries(ast.parse(data)) == []


def test_no_german_or_english_ui_dictionaries_are_left_in_the_code():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted((ROOT / "api").rglob("*.py"))
             for line in _language_dictionaries(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, f"UI text belongs in api/web/locales/<lang>/LC_MESSAGES/hki.po, not in code: {found}"


def test_no_german_text_is_left_in_templates_scripts_or_python():
    german = re.compile(r"[äöüÄÖÜß„“]")
    sources = [p for pattern in ("*.py", "*.html", "*.js") for p in (ROOT / "api").rglob(pattern)
               if "vendor" not in p.parts and "locales" not in p.parts]
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sorted(sources)
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if german.search(line)]
    assert not found, f"German words belong in api/web/locales/de/LC_MESSAGES/hki.po: {found}"


@pytest.fixture
def locales_copy(tmp_path) -> Path:
    """The catalogues' .po files alone (no .mo), as after a fresh checkout."""
    for lang in LANGUAGES:
        (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(LOCALES / lang / "LC_MESSAGES" / "hki.po", tmp_path / lang / "LC_MESSAGES" / "hki.po")
    return tmp_path


def test_missing_catalogues_are_compiled_atomically_and_only_when_missing_or_stale(locales_copy):
    written = i18n.compile_catalogues(locales_copy)
    assert sorted(p.relative_to(locales_copy).as_posix() for p in written) == [
        "de/LC_MESSAGES/hki.mo", "en/LC_MESSAGES/hki.mo"]
    assert not list(locales_copy.rglob("*.tmp")), "no temporary file is left behind"
    assert i18n.compile_catalogues(locales_copy) == [], "fresh .mo files are not compiled again"
    po = locales_copy / "de" / "LC_MESSAGES" / "hki.po"
    later = time.time() + 5
    os.utime(po, (later, later))
    assert i18n.compile_catalogues(locales_copy) == [po.with_suffix(".mo")], "a .po edited since is compiled again"


def test_the_compiled_catalogues_load(template, locales_copy):
    i18n.compile_catalogues(locales_copy)
    for lang in LANGUAGES:
        po = {m.id: m.string for m in _read(locales_copy / lang / "LC_MESSAGES" / "hki.po") if m.id}
        with (locales_copy / lang / "LC_MESSAGES" / "hki.mo").open("rb") as mo:
            compiled = gettext.GNUTranslations(mo)  # the standard library reads what Babel wrote
        assert {msgid: compiled.gettext(msgid) for msgid in _msgids(template)} == {m: po[m] for m in _msgids(template)}
    catalogues = i18n.load_catalogues(locales_copy)
    assert set(catalogues) == set(LANGUAGES)
    assert set(catalogues["de"].msgids) == _msgids(template)


def test_the_server_translates_from_its_own_catalogues():
    catalogues = i18n.load_catalogues()  # what the server loads at start (compiling a missing .mo)
    assert set(LANGUAGES) <= set(catalogues)
    if os.access(LOCALES / "de" / "LC_MESSAGES", os.W_OK):  # else (a read-only install) compiled in memory
        assert all((LOCALES / lang / "LC_MESSAGES" / "hki.mo").exists() for lang in LANGUAGES)
    assert i18n.translate("de", "pages.home") == "Start" and i18n.translate("en", "pages.home") == "Home"
    assert i18n.translate("de", "pages.shown_of", shown=3, total=120) == "3 von 120 Verweisen gezeigt"
    assert i18n.translate("en", "explore.zoom_home", home="Hannover") == "Closer to Hannover"
    script = i18n.messages("en", "explore.")
    assert script["explore.truncated"].count("{") == 2 and all(k.startswith("explore.") for k in script)
    assert i18n.translate("fr", "pages.home") == "Home", "a language without a catalogue falls back to English"
