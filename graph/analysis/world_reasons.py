"""Why a city is a candidate partner, as one sentence in German and English: the only texts of the world
analysis, kept in one place for the command line and the JSON answers. Pages say the same from the
gettext catalogues (keys `world.reason*`, api/templates/_candidates.html), with these as the model.
"""
from __future__ import annotations

from graph.analysis.world_measures import Candidate, PartnerRef

REASON = {
    "de": "{candidate} ist Partnerstadt von {partners}.",
    "en": "{candidate} is twinned with {partners}.",
}
REASON_WIKIDATA = {
    "de": "{candidate} ist laut Wikidata Partnerstadt von {partners}.",
    "en": "According to Wikidata, {candidate} is twinned with {partners}.",
}
PARTNER_ONLY_WIKIDATA = {
    "de": "{partner} (nur laut Wikidata Partnerstadt von {home})",
    "en": "{partner} (twinned with {home} only according to Wikidata)",
}
AND = {"de": "und", "en": "and"}
LANGUAGES = ("de", "en")


def joined(names: list[str], lang: str) -> str:
    """ "A", "A und B", "A, B und C" (no serial comma in either language)."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {AND[lang]} {names[-1]}"


def partner_name(partner: PartnerRef, home: str, lang: str) -> str:
    """A partner's name, marked when only Wikidata says it is the home city's twin city."""
    name = partner.label_de if lang == "de" else partner.label
    if partner.partner_source == "wikidata":
        return PARTNER_ONLY_WIKIDATA[lang].format(partner=name, home=home)
    return name


def reason(candidate: Candidate, home: str, lang: str) -> str:
    """Why `candidate` is one: the partners it is twinned with, and who says so."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not known; valid: {', '.join(LANGUAGES)}")
    template = REASON_WIKIDATA if any(s == "wikidata" for s in candidate.links_from.values()) else REASON
    name = candidate.label_de if lang == "de" else candidate.label_en
    return template[lang].format(candidate=name,
                                 partners=joined([partner_name(p, home, lang) for p in candidate.shared], lang))
