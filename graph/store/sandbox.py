"""Limits a query worker process puts on itself before it reads any query.

- **No network**: a seccomp filter makes every attempt to open an internet socket (IPv4, IPv6, raw
  packets) or an io_uring fail with EACCES, for the rest of the process's life. Whatever a query says
  and however a parser might be fooled, the engine in this process cannot open a connection (Oxigraph
  answers a SERVICE with "Permission denied"). The worker talks to the server over a Unix socket pair,
  which stays allowed.
- **Memory**: an address-space limit (RLIMIT_AS) of what the process uses once its store is open plus
  a budget per query; a query that needs more makes the allocation fail and the worker end, instead
  of the machine swapping or the kernel killing the server.
- **Stack and recursion**: queries run on a thread with a large stack and a high recursion limit, so
  deep but admissible nesting is read and evaluated instead of overflowing (pages of the stack are only
  committed when used).
"""
from __future__ import annotations

import errno
import logging
import resource
import socket
import sys

QUERY_STACK_BYTES = 256 * 1024 * 1024
RECURSION_LIMIT = 50_000
log = logging.getLogger("hki.sandbox")
NETWORK_FORBIDDEN = False  # True in a process that has called forbid_network()


class SandboxUnavailable(RuntimeError):
    """The system cannot cut a process off the network (no seccomp / libseccomp)."""


def forbid_network() -> None:
    """Make every internet socket fail in this process, irrevocably."""
    try:
        import pyseccomp as seccomp
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for family in (socket.AF_INET, socket.AF_INET6, socket.AF_PACKET):
            rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.EQ, family))
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "io_uring_setup")  # io_uring can open sockets by itself
        rules.load()
        global NETWORK_FORBIDDEN
        NETWORK_FORBIDDEN = True
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise SandboxUnavailable(f"cannot forbid network access in query workers ({type(exc).__name__}: {exc}); "
                                 "install libseccomp2 (Debian) and the pyseccomp package") from None


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def limit_memory(budget_bytes: int) -> int | None:
    """Cap this process's address space at what it uses now plus `budget_bytes`; the cap, or None."""
    if budget_bytes <= 0:
        return None
    try:
        cap = _address_space() + budget_bytes  # called on the query thread: its large stack is counted already
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        return cap
    except (OSError, ValueError) as exc:
        log.warning("cannot limit the memory of a query worker: %s", exc)
        return None


def allow_deep_recursion() -> None:
    sys.setrecursionlimit(RECURSION_LIMIT)
