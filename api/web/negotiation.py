"""HTTP content negotiation: parsing an Accept header (RFC 9110 §12.5.1) and choosing what to send.

Pure functions, tested as a table. The rules: each media range has a weight `q` (0–1, default 1);
for each type the server offers, the *most specific* range that matches it sets its weight
(`text/turtle` beats `text/*` beats `*/*`, whatever their order or weights); weight 0 means "not
this". Among the offered types with the highest weight, the server's own order decides. Malformed
ranges are ignored, as most servers do; a header with no usable range counts as `*/*`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header, e.g. `text/*;q=0.5`."""

    type: str
    subtype: str
    q: float = 1.0

    @property
    def specificity(self) -> int:
        return 0 if self.type == "*" else (1 if self.subtype == "*" else 2)

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.lower().partition("/")
        return self.type in ("*", main) and self.subtype in ("*", sub)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; missing, empty or unusable headers give `*/*`."""
    ranges: list[MediaRange] = []
    for item in _split_outside_quotes(header or "", ","):
        if not item.strip():
            continue
        name, *params = _split_outside_quotes(item, ";")
        found = _RANGE.match(name)
        if not found:
            continue
        main, sub = found[1].lower(), found[2].lower()
        if main == "*" and sub != "*":
            continue  # "*/json" is not a valid range
        q, valid = 1.0, True
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                if not _QVALUE.match(value):
                    valid = False
                    break
                q = float(value)
                break  # parameters after q are accept-extensions, not part of the range
        if valid:
            ranges.append(MediaRange(main, sub, q))
    return ranges or [MediaRange("*", "*", 1.0)]


def weight(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The weight the client gives `media_type`: that of the most specific matching range (0 if none)."""
    best: MediaRange | None = None
    for candidate in ranges:
        if candidate.matches(media_type) and (best is None or candidate.specificity > best.specificity
                                               or (candidate.specificity == best.specificity and candidate.q > best.q)):
            best = candidate
    return best.q if best else 0.0


def choose(header: str | None, offered: Sequence[str], aliases: dict[str, str] | None = None) -> str | None:
    """The offered media type the client prefers, or None if it accepts none of them.

    `aliases` maps other names a client may ask for to an offered type (e.g. `application/json` →
    `application/sparql-results+json`); an alias counts only where it is named exactly.
    """
    ranges = parse_accept(header)
    scores: dict[str, float] = {media: weight(ranges, media) for media in offered}
    for alias, target in (aliases or {}).items():
        for entry in ranges:
            if entry.specificity == 2 and f"{entry.type}/{entry.subtype}" == alias and target in scores:
                # an alias only raises a type the client did not name itself more specifically
                if not any(r.specificity == 2 and r.matches(target) for r in ranges):
                    scores[target] = max(scores[target], entry.q)
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return None
    return next(media for media in offered if scores[media] == best)
