"""A throwaway local Virtuoso: for the tests, the benchmark, and for trying hki on a real triple store.

Virtuoso Open Source 7.2 from Debian (`virtuoso-opensource`) runs as `virtuoso-t +foreground
+configfile FILE`. A throwaway instance is the package's `virtuoso.ini` copied into its own folder,
with the database files there and both ports (SQL and HTTP) on 127.0.0.1 at free ports. It is ready
in about three seconds; the administrator is dba/dba. Nothing here is used by `kg serve`: a real
deployment runs its own Virtuoso (see the README, "Scaling up").
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from support.live_server import free_port

PACKAGE_INI = Path("/usr/share/virtuoso-opensource-7/virtuoso.ini")
INSTALL_HINT = ("install Debian's virtuoso-opensource package (`make system-deps`, or "
                "`DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource` as root)")


class VirtuosoNotInstalled(RuntimeError):
    """virtuoso-t or the package's virtuoso.ini is missing; the message says how to install it."""


def virtuoso_binary() -> str | None:
    """Path of `virtuoso-t`, or None when Virtuoso is not installed."""
    found = shutil.which("virtuoso-t")
    return found if found and PACKAGE_INI.is_file() else None


def set_ini_values(text: str, values: dict[str, dict[str, str]]) -> str:
    """`text` (an ini file) with `values[section][key]` set: existing keys replaced, missing ones added.

    Virtuoso's ini has repeated keys and comments that configparser would lose, so this edits lines.
    """
    lines = text.splitlines()
    out: list[str] = []
    section: str | None = None
    pending = {s: dict(kv) for s, kv in values.items()}

    def flush(name: str | None) -> None:
        for key, value in pending.pop(name, {}).items() if name is not None else ():
            out.append(f"{key} = {value}")

    for line in lines:
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            flush(section)
            section = header[1]
            out.append(line)
            continue
        key = re.match(r"\s*([A-Za-z_][\w]*)\s*=", line)
        if section in pending and key and key[1] in pending[section]:
            out.append(f"{key[1]} = {pending[section].pop(key[1])}")
            continue
        out.append(line)
    flush(section)
    for name, kv in pending.items():
        out.append(f"[{name}]")
        out.extend(f"{k} = {v}" for k, v in kv.items())
    return "\n".join(out) + "\n"


@dataclass
class ThrowawayVirtuoso:
    """A Virtuoso server in its own temporary folder, on free loopback ports. Use as a context manager."""

    buffers: int = 10_000  # 8 KiB pages of cache; the package's default. ~170 000 per 2 GiB of RAM.
    result_rows: int = 1_000_000  # [SPARQL] ResultSetMaxRows: Virtuoso silently cuts results beyond it
    folder: Path | None = None
    http_port: int = 0
    sql_port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    _owned_folder: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        """The public, read-only query service (`/sparql`)."""
        return self.base_url + "/sparql"

    @property
    def graph_store_url(self) -> str:
        """The digest-authenticated Graph Store Protocol service (`/sparql-graph-crud-auth`)."""
        return self.base_url + "/sparql-graph-crud-auth"

    def write_config(self) -> Path:
        assert self.folder is not None
        db = self.folder / "db"
        db.mkdir(parents=True, exist_ok=True)
        config = set_ini_values(PACKAGE_INI.read_text(encoding="utf-8"), {
            "Database": {"DatabaseFile": str(db / "virtuoso.db"), "ErrorLogFile": str(db / "virtuoso.log"),
                         "LockFile": str(db / "virtuoso.lck"), "TransactionFile": str(db / "virtuoso.trx"),
                         "xa_persistent_file": str(db / "virtuoso.pxa")},
            "TempDatabase": {"DatabaseFile": str(db / "virtuoso-temp.db"),
                             "TransactionFile": str(db / "virtuoso-temp.trx")},
            "Parameters": {"ServerPort": f"127.0.0.1:{self.sql_port}",
                           "DirsAllowed": f"., {self.folder}, /usr/share/virtuoso-opensource-7/vad",
                           "NumberOfBuffers": str(self.buffers),
                           "MaxDirtyBuffers": str(self.buffers * 3 // 4)},
            "HTTPServer": {"ServerPort": f"127.0.0.1:{self.http_port}"},
            "URIQA": {"DefaultHost": f"127.0.0.1:{self.http_port}"},
            "SPARQL": {"ResultSetMaxRows": str(self.result_rows)},
        })
        path = self.folder / "virtuoso.ini"
        path.write_text(config, encoding="utf-8")
        return path

    def start(self, timeout: float = 60.0) -> "ThrowawayVirtuoso":
        """Start the server and wait until `/sparql` answers. Raises VirtuosoNotInstalled or RuntimeError."""
        binary = virtuoso_binary()
        if binary is None:
            raise VirtuosoNotInstalled(f"virtuoso-t is not installed ({PACKAGE_INI} or the binary is missing): "
                                       + INSTALL_HINT)
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="hki-virtuoso-"))
            self._owned_folder = True
        self.http_port = self.http_port or free_port()
        self.sql_port = self.sql_port or free_port()
        config = self.write_config()
        log = open(self.folder / "stdout.log", "wb")
        self.process = subprocess.Popen([binary, "+foreground", "+configfile", str(config)], cwd=self.folder,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        probe = self.sparql_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with status {self.process.returncode} while starting; "
                                   f"its log:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(probe, timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Virtuoso did not answer on {self.sparql_url} within {timeout:g} s; its log:\n{self.log_tail()}")

    def version(self) -> str:
        """The server's version, e.g. '7.2.5.3229' (from `virtuoso-t -?`)."""
        binary = virtuoso_binary()
        if binary is None:
            return "?"
        banner = subprocess.run([binary, "-?"], capture_output=True, text=True, timeout=10)
        found = re.search(r"Version (\S+)", banner.stdout + banner.stderr)
        return found[1].split("-")[0] if found else "?"

    def log_tail(self, lines: int = 30) -> str:
        if self.folder is None:
            return ""
        text = ""
        for name in ("db/virtuoso.log", "stdout.log"):
            path = self.folder / name
            if path.is_file():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s) and remove its folder if it made one."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None
        if self._owned_folder and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> "ThrowawayVirtuoso":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def require_virtuoso() -> None:
    """Skip the test without virtuoso-t locally; fail it in CI, where make test installs it."""
    import pytest

    if virtuoso_binary() is None:
        reason = f"virtuoso-t is not installed: {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason} (CI=true: `make test` installs it, so its absence is an error here)")
        pytest.skip(reason)
