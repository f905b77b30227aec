"""A staff task done in the browser, counted as a person does it: the steps (clicks, typed texts, key presses)
and the seconds, printed and written to `test-artifacts/<log>.json` (all tasks of one log in one file)."""
from __future__ import annotations

import json
import time
from pathlib import Path

_MEASURED: dict[str, dict[str, dict]] = {}  # log name → task name → what was measured


class Task:
    """Counts what a person does and the time it takes; `log` names the file the measurements go to."""

    def __init__(self, name: str, log: str):
        self.name, self.log, self.steps, self.started = name, log, [], time.monotonic()

    def step(self, what: str) -> None:
        self.steps.append(what)

    def done(self, artifacts: Path) -> float:
        seconds = round(time.monotonic() - self.started, 1)
        measured = _MEASURED.setdefault(self.log, {})
        measured[self.name] = {"steps": len(self.steps), "seconds": seconds, "what": self.steps}
        (artifacts / f"{self.log}.json").write_text(json.dumps(measured, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\n{self.name}: {len(self.steps)} steps, {seconds} s: {'; '.join(self.steps)}")
        return seconds
