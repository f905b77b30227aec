"""`kg context fetch`: run the twin-city query (query.rq) at a SPARQL endpoint and import the answer.

An admin command only: the server never fetches. It sends the query with a User-Agent that names hki
(Wikidata's policy asks for one), waits at most `timeout` seconds, refuses an answer larger than
`max_bytes` and imports through `graph.context.importer`, so a broken answer writes nothing.
"""
from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from graph import __version__
from graph.context.importer import WDQS_ENDPOINT, ContextImport, import_files
from ontology import DEFAULT_BASE

QUERY_FILE = Path(__file__).resolve().with_name("query.rq")
USER_AGENT = f"hki/{__version__} (kg context fetch; https://w3id.org/hki/) httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = 300.0  # seconds; WDQS itself stops a query after 60 s
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
ANSWER_NAME = "wikidata-p190.json"  # the import is written as <context_dir>/wikidata-p190.nt


class FetchError(RuntimeError):
    """The endpoint could not be asked or its answer not taken; the message says what to do."""


def twin_city_query() -> str:
    return QUERY_FILE.read_text(encoding="utf-8")


def download_answer(endpoint: str, target: Path, *, query: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """POST the query to `endpoint`, stream the SPARQL JSON answer into `target`; returns its size."""
    if not endpoint.startswith(("http://", "https://")):
        raise FetchError(f"endpoint {endpoint!r}: give the http(s) address of a SPARQL endpoint, e.g. {WDQS_ENDPOINT}")
    headers = {"Accept": "application/sparql-results+json", "User-Agent": USER_AGENT}
    size = 0
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)), follow_redirects=False,
                          trust_env=False) as client:
            with client.stream("POST", endpoint, data={"query": query or twin_city_query()}, headers=headers) as answer:
                if answer.status_code != 200:
                    snippet = answer.read()[:300].decode("utf-8", "replace").strip()
                    raise FetchError(f"{endpoint} answered HTTP {answer.status_code}"
                                     + (f": {snippet}" if snippet else "") + "; nothing was imported")
                declared = answer.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"{endpoint} announced {int(declared):,} bytes, more than the limit of "
                                     f"{max_bytes:,} (--max-mb); nothing was imported")
                with open(target, "wb") as handle:
                    for chunk in answer.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(f"the answer of {endpoint} grew past {max_bytes:,} bytes (--max-mb); "
                                             "nothing was imported")
                        handle.write(chunk)
    except httpx.TimeoutException:
        raise FetchError(f"{endpoint} did not answer within {timeout:g} s (--timeout); nothing was imported") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot reach {endpoint}: {exc}; nothing was imported") from None
    return size


def fetch_context(endpoint: str, context_dir: Path, *, base: str = DEFAULT_BASE, timeout: float = DEFAULT_TIMEOUT,
                  max_bytes: int = DEFAULT_MAX_BYTES, today: date | None = None) -> tuple[ContextImport, Path]:
    """Ask `endpoint` and import its answer into `context_dir` (as wikidata-p190.nt), dated today (UTC)."""
    retrieved = today or datetime.now(UTC).date()
    with tempfile.TemporaryDirectory(prefix="hki-fetch-") as folder:
        answer = Path(folder) / ANSWER_NAME
        download_answer(endpoint, answer, timeout=timeout, max_bytes=max_bytes)
        [(imp, path)] = import_files([answer], None, context_dir, retrieved=retrieved, source=endpoint, base=base)
    return imp, path


__all__ = ["QUERY_FILE", "USER_AGENT", "FetchError", "download_answer", "fetch_context", "twin_city_query"]
