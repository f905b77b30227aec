"""Crash points for the fault tests: `HKI_KILL_AT=<name>` makes the process kill itself there.

`kg build`, `kg import` and the store call `checkpoint(name)` at the moments where a crash would hurt
most (half the dumps written, just before the swap, the store half loaded; `import:staging`,
`import:wrote-<table>.ttl`, `import:before-swap`, `import:swapped`). Unset — always, outside the tests
in tests/unit/test_faults.py — a checkpoint does nothing. SIGKILL, not an exception: no `finally`, no
cleanup runs, exactly as when the machine loses power or the OOM killer strikes.
"""
from __future__ import annotations

import os
import signal

KILL_AT = "HKI_KILL_AT"


def checkpoint(name: str) -> None:
    """Die here (SIGKILL) if the environment variable HKI_KILL_AT names this point."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
