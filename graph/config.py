"""Settings: where the data lives, which base IRI it is served under, limits, language.

Read from `hki.toml` (the working directory's, or the file named by `HKI_CONFIG`), then overridden by
environment variables `HKI_<SETTING>` (e.g. `HKI_BASE`, `HKI_DATA_DIR`), then by command-line options.
Another city points `data_dir` at its own Turtle files and sets `base` to its own IRI space.
"""
from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from ontology import DEFAULT_BASE

PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the file or variable and what is valid."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may change. Defaults serve the shipped Hannover dataset."""

    base: str = DEFAULT_BASE
    data_dir: Path = PACKAGE_DATA_DIR
    extra_data: tuple[Path, ...] = ()
    # The context layer's N-Triples files (graph.context): None means <data_dir>/context. Loaded into the
    # named graph <base>graph/context; no folder or no files, no context graph.
    context_dir: Path | None = None
    store: Path | None = None
    lang: str = "de"
    query_timeout: float = 10.0  # seconds a query from outside (/sparql, kg query) may run
    # The limits of hki's own queries: those that make a page, an explorer view or an API answer, and the
    # whole-graph reads (counts, the catalogue, the analysis projections). Named here, never raised in code.
    page_query_timeout: float = 30.0
    statistics_timeout: float = 120.0
    max_rows: int = 10_000
    query_workers: int = 4  # half of them may run long queries at a time (graph.store.workers.ProcessQueryExecutor)
    # Web processes of `kg serve` (api/server.py): more than one share the listening socket and one read-only
    # snapshot of the store, and split the query workers between them (each gets query_workers // web_workers, at
    # least one). One web process answers ~1,500 cheap requests a second on one core; add one per core to spare.
    web_workers: int = 1
    query_memory_mb: int = 1024  # memory one query may use in a worker beyond the loaded store (graph.store.sandbox)
    max_result_mb: int = 32  # answers are cut (X-HKI-Truncated) before they grow past this size
    answer_cache_mb: int = 64  # /sparql answers kept for identical requests while the store is served (api/web/answer_cache.py); 0: off
    endpoint: str | None = None
    request_header_timeout: float = 10.0  # seconds a request's headers may take to arrive (api.web.hardening)
    request_body_timeout: float = 10.0  # the longest pause allowed between two parts of a request body
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks whose X-Forwarded-For names the client
    title_de: str = "Internationale Beziehungen der Landeshauptstadt Hannover"
    title_en: str = "International relations of the City of Hannover"
    # Who publishes the data, for the DCAT-AP.de catalogue (GovData): the city, not this software.
    publisher: str = "Landeshauptstadt Hannover"
    publisher_url: str = "https://www.hannover.de/"
    # The office to contact about the data (vcard:Kind of dcat:contactPoint); contact_email is left empty
    # until the city names an address: none is invented.
    contact_name: str = "Landeshauptstadt Hannover, Büro für internationale Angelegenheiten"
    contact_url: str = ("https://www.hannover.de/Leben-in-der-Region-Hannover/Verwaltungen-Kommunen/"
                        "Die-Verwaltung-der-Landeshauptstadt-Hannover/Dezernate-und-Fachbereiche-der-LHH/"
                        "Gesch%C3%A4ftsbereich-des-Oberb%C3%BCrgermeisters/B%C3%BCro-Oberb%C3%BCrgermeister/"
                        "Europ%C3%A4ische-und-internationale-Angelegenheiten/Handlungskonzept")
    contact_email: str = ""
    # Where people report barriers on the pages (the accessibility statement, BITV 2.0 § 7: /barrierefreiheit):
    # an e-mail address or an http(s) address. Empty: contact_url, else contact_email. None is invented.
    accessibility_contact: str = ""
    # Where the enforcement procedure (Durchsetzungsverfahren) of the publisher's Land is explained, named on the
    # accessibility statement; Hannover's is Lower Saxony's commissioner for people with disabilities.
    accessibility_enforcement_url: str = "https://www.behindertenbeauftragte-niedersachsen.de/"
    # The official municipality key (Amtlicher Gemeindeschlüssel, 8 digits) of the publishing city: the
    # catalogue's dcatde:politicalGeocodingURI. Empty for a publisher that is not a German municipality.
    municipality_key: str = "03241001"
    # GovData's ID for the data provider (dcatde:contributorID, http://dcat-ap.de/def/contributors/…):
    # GovData issues it; its harvester takes no catalogue without it.
    contributor_id: str = ""
    licence: str = "http://creativecommons.org/licenses/by/4.0/"
    modified: str = "2026-11-26"  # date of the shipped data's last curation; a city sets its own
    issued: str = ""  # date the dataset was first published (dct:issued); empty: the same as `modified`
    # The editing workspace (issue 16: accounts, forms, review, history, releases). Off unless editing = true.
    editing: bool = False
    # kg serve notices a changed data or context folder (a `kg context import`, a publication, files edited by
    # hand) and serves the new data without a restart (api/app.py LiveSite). Only where it loads the folder
    # itself: not for --read-only replicas, an external endpoint or several web processes.
    watch_data: bool = True
    # Where the workspace keeps its state: the state database (SQLite by default), the session key, the history of
    # published changes (a git repository), the publication journal. None: ./.hki-state in the working directory.
    state_dir: Path | None = None
    # A SQLAlchemy database URL instead of the SQLite file in state_dir, e.g. postgresql+psycopg://hki@db/hki.
    state_url: str = ""
    session_idle_minutes: int = 30  # a signed-in session ends after this long without a request
    # "each": an approved change is published at once (a release per change); "release": approved changes wait for
    # `kg release` or a reviewer's "publish release" button, and are published together as one numbered release.
    publish_mode: str = "each"
    # Single sign-on with the city's OpenID Connect provider (api/web/oidc.py); empty issuer: off. The secret is best
    # given by the environment (HKI_OIDC_CLIENT_SECRET), not in hki.toml.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_default_role: str = "viewer"  # the role of a person who signs in through the provider the first time
    config_file: Path | None = field(default=None, compare=False)

    def state_folder(self) -> Path:
        """The workspace's state folder: `state_dir`, else ./.hki-state."""
        return self.state_dir if self.state_dir is not None else (Path.cwd() / ".hki-state").resolve()

    def data_files(self) -> list[Path]:
        """The Turtle files of the data folder (sorted, so loading order is stable) plus extra files."""
        if not self.data_dir.is_dir():
            raise ConfigError(
                f"data_dir {self.data_dir} is not a folder"
                + (f" (set in {self.config_file})" if self.config_file else "")
                + ": point it at a folder of Turtle (.ttl) files, e.g. data_dir = \"./data\" in hki.toml"
            )
        return sorted(self.data_dir.glob("*.ttl")) + list(self.extra_data)

    def context_folder(self) -> Path:
        """Where the context layer's files are: `context_dir`, else the data folder's `context/`."""
        return self.context_dir if self.context_dir is not None else self.data_dir / "context"

    def context_files(self) -> list[Path]:
        """The context layer's N-Triples files (sorted; none when the folder is missing)."""
        folder = self.context_folder()
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.nt") if not p.name.startswith(".") and p.is_file())

    def with_overrides(self, **values: object) -> "Settings":
        """A copy with the non-None values replaced (command-line options)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, raw: object, where: str, relative_to: Path) -> object:
    kind = _TYPES[name]
    try:
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{raw!r}: valid values are true and false")
        if kind in ("float",):
            return float(raw)  # type: ignore[arg-type]
        if kind in ("int",):
            return int(raw)  # type: ignore[arg-type]
        if kind == "tuple[str, ...]":
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        if "Path" in kind and "tuple" in kind:
            items = raw if isinstance(raw, list) else str(raw).split(os.pathsep)
            return tuple((relative_to / Path(str(p))).resolve() for p in items if str(p))
        if "Path" in kind:
            return (relative_to / Path(str(raw))).resolve()
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {name} = {raw!r} is not a valid {kind}") from exc


def load_settings(config_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the config file (if any) and the environment, checked."""
    env = os.environ if environ is None else environ
    path = config_file or (Path(env["HKI_CONFIG"]) if env.get("HKI_CONFIG") else None)
    if path is None and Path("hki.toml").is_file():
        path = Path("hki.toml")
    values: dict[str, object] = {}
    origins: dict[str, str] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist (set by HKI_CONFIG or --config)")
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        table = doc.get("hki", doc)
        for key, raw in table.items():
            name = key.replace("-", "_")
            if name not in _TYPES or name == "config_file":
                valid = ", ".join(sorted(n for n in _TYPES if n != "config_file"))
                raise ConfigError(f"{path}: unknown setting {key!r}; valid settings are: {valid}")
            values[name] = _coerce(name, raw, str(path), path.resolve().parent)
            origins[name] = str(path)
        values["config_file"] = path.resolve()
    for name in _TYPES:
        var = "HKI_" + name.upper()
        if name != "config_file" and var in env and env[var] != "":
            values[name] = _coerce(name, env[var], f"environment variable {var}", Path.cwd())
            origins[name] = f"environment variable {var}"
    if "data_dir" in values and values["data_dir"] != PACKAGE_DATA_DIR:
        # Another city's data: Hannover's publisher, contact and municipality key are not its own.
        for name in HANNOVER_PUBLISHER_SETTINGS:
            values.setdefault(name, "")
    settings = Settings(**values)  # type: ignore[arg-type]
    try:
        return check_settings(settings)
    except ConfigError as exc:
        origin = origins.get(exc.args[1]) if len(exc.args) > 1 else None
        raise ConfigError(f"{origin}: {exc.args[0]}" if origin else exc.args[0]) from None


CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
# Defaults that describe Hannover as the publisher; a data folder of its own starts without them (the
# catalogue then names the city administration of the data as publisher: graph.publish.catalogue).
HANNOVER_PUBLISHER_SETTINGS = ("publisher", "publisher_url", "contact_name", "contact_url", "municipality_key",
                               "accessibility_enforcement_url")


def _is_iso_date(value: str) -> bool:
    try:
        return len(value) == 10 and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _invalid(setting: str, message: str) -> ConfigError:
    return ConfigError(f"{setting} = {message}", setting)


def check_settings(settings: Settings) -> Settings:
    """Reject settings that would make the server misbehave, naming the setting and what is valid."""
    if not (settings.base.startswith(("http://", "https://")) and settings.base.endswith("/")):
        raise _invalid("base", f"{settings.base!r}: must be an http(s) IRI ending in '/', e.g. {DEFAULT_BASE!r}")
    if settings.lang not in ("de", "en"):
        raise _invalid("lang", f"{settings.lang!r}: valid values are 'de' and 'en'")
    if settings.query_timeout <= 0:
        raise _invalid("query_timeout", f"{settings.query_timeout}: must be a positive number of seconds")
    if settings.max_rows < 1:
        raise _invalid("max_rows", f"{settings.max_rows}: must be at least 1")
    if settings.query_memory_mb < 64:
        raise _invalid("query_memory_mb", f"{settings.query_memory_mb}: must be at least 64 (MiB per query)")
    if settings.answer_cache_mb < 0:
        raise _invalid("answer_cache_mb", f"{settings.answer_cache_mb}: must be 0 (off) or a number of MiB")
    if settings.max_result_mb < 1:
        raise _invalid("max_result_mb", f"{settings.max_result_mb}: must be at least 1 (MiB)")
    if settings.query_workers < 1:
        raise _invalid("query_workers", f"{settings.query_workers}: must be at least 1")
    if not 1 <= settings.web_workers <= 64:
        raise _invalid("web_workers", f"{settings.web_workers}: must be a number of web processes from 1 to 64")
    for name in ("request_header_timeout", "request_body_timeout", "page_query_timeout", "statistics_timeout"):
        if getattr(settings, name) <= 0:
            raise _invalid(name, f"{getattr(settings, name)}: must be a positive number of seconds")
    for name in ("modified", "issued"):
        value = getattr(settings, name)
        if (value or name == "modified") and not _is_iso_date(value):
            raise _invalid(name, f"{value!r}: must be a date written YYYY-MM-DD, e.g. 2026-11-26")
    if settings.contributor_id and not settings.contributor_id.startswith(CONTRIBUTORS):
        raise _invalid("contributor_id", f"{settings.contributor_id!r}: must be an IRI of GovData's list of data "
                                         f"providers, {CONTRIBUTORS}…, as GovData issued it to you")
    if settings.municipality_key and not (settings.municipality_key.isascii() and settings.municipality_key.isdigit()
                                          and len(settings.municipality_key) == 8):
        raise _invalid("municipality_key", f"{settings.municipality_key!r}: must be the 8-digit Amtlicher "
                                           "Gemeindeschlüssel, e.g. 03241001 for Hannover, or empty")
    for name in ("publisher_url", "contact_url", "accessibility_enforcement_url"):
        value = getattr(settings, name)
        if value and not value.startswith(("http://", "https://")):
            raise _invalid(name, f"{value!r}: must be an http(s) address, e.g. https://www.hannover.de/")
    if settings.contact_email and ("@" not in settings.contact_email or any(c.isspace() for c in settings.contact_email)):
        raise _invalid("contact_email", f"{settings.contact_email!r}: must be an e-mail address, e.g. info@example.org")
    contact = settings.accessibility_contact
    if contact and not (contact.startswith(("http://", "https://"))
                        or ("@" in contact and not any(c.isspace() for c in contact) and ":" not in contact)):
        raise _invalid("accessibility_contact", f"{contact!r}: must be an e-mail address (barrierefreiheit@example.org) "
                                                "or an http(s) address (https://www.example.org/kontakt), or empty")
    for entry in settings.trusted_proxies:
        try:
            ipaddress.ip_network(entry)
        except ValueError as exc:
            raise _invalid("trusted_proxies", f"{entry!r} is not an IP address or network ({exc}); "
                                              "e.g. 127.0.0.1, 10.0.0.0/8 or ::1") from None
    return settings
