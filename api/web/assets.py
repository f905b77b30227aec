"""vis-network (npm package, built into assets/ by `make install`: graph/assets.py) under the server's
Content-Security-Policy.

vis-network's standalone build puts its stylesheet into the page itself: at load it appends seven
`<style>` elements (first empty, then filled) whose texts are string literals in that file.
The server's policy allows no inline style (`style-src 'self'`), so a page that loads vis-network
names exactly those seven texts (and the empty one) by their SHA-256 hashes — nothing else inline
is allowed, and the hashes are computed from the built file, so updating the package cannot make them stale.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from api.web.hardening import CONTENT_SECURITY_POLICY
from graph.assets import VIS_NETWORK_JS, asset_path

# The build's style injector, `function A(g,A){…document.createElement("style")…}`, is followed
# directly by its calls, one per stylesheet: A("…");A('…');…
_INJECTOR_END = "I.appendChild(document.createTextNode(g))}}"
_CALL = re.compile(r"""A\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\);?""")


def _js_string(double: str | None, single: str | None) -> str:
    if double is not None:
        return json.loads('"' + double + '"')
    return json.loads('"' + single.replace("\\'", "'").replace('"', '\\"') + '"')  # type: ignore[union-attr]


@lru_cache(maxsize=1)
def injected_styles(path: Path | None = None) -> tuple[str, ...]:
    """The texts of the `<style>` elements vis-network adds to a page, in order (default: the built file)."""
    path = asset_path(VIS_NETWORK_JS) if path is None else path
    code = path.read_text(encoding="utf-8")
    at = code.find(_INJECTOR_END)
    if at < 0:
        raise RuntimeError(f"{path}: vis-network's style injector was not found; was the file replaced by "
                           "another build? (the standalone UMD build is the one expected)")
    at += len(_INJECTOR_END)
    styles = []
    while match := _CALL.match(code, at):
        styles.append(_js_string(match.group(1), match.group(2)))
        at = match.end()
    return tuple(styles)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@lru_cache(maxsize=1)
def csp_for_vis_network() -> str:
    """The server's Content-Security-Policy, with vis-network's own stylesheets allowed by hash."""
    hashes = " ".join(_hash(t) for t in ("",) + injected_styles())
    return "; ".join(part + " " + hashes if part.startswith("style-src ") else part
                     for part in CONTENT_SECURITY_POLICY.split("; "))


__all__ = ["csp_for_vis_network", "injected_styles"]
