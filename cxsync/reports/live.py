"""Progress for people: a rich progress bar on a terminal, one line per phase with --verbose elsewhere.

Both implement `cxsync.progress.Progress`; the CLI picks one (or none) and passes it to Session.
They draw on stderr, so stdout stays clean for `--format json` and `--format markdown`.
"""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console
from rich.progress import BarColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichBar
from rich.text import Text

from cxsync.progress import Phase, Progress
from cxsync.reports.i18n import t


class _Tally:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.writes = 0
        self.started = time.monotonic()

    def add(self, service: str, write: bool) -> None:
        self.calls[service] += 1
        self.writes += int(write)


class RichProgress:
    """A transient spinner (reads) or bar (writes) that disappears when the phase ends."""

    def __init__(self, console: Console, lang: str) -> None:
        self.lang = lang
        self._bar = RichBar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[calls]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._total: int | None = None
        self._tally = _Tally()

    def begin(self, phase: Phase, total: int | None) -> None:
        self._tally = _Tally()
        self._bar.start()
        self._total = total
        self._task = self._bar.add_task(t(self.lang, f"progress.{phase}"), total=total or None, calls="", count="")

    def call(self, service: str, kind: str, write: bool) -> None:
        self._tally.add(service, write)
        if self._task is None:
            return
        calls = t(self.lang, "progress.calls", notion=self._tally.calls["notion"], jira=self._tally.calls["jira"])
        count = f"{self._tally.writes}/{self._total}" if self._total else ""
        self._bar.update(self._task, completed=self._tally.writes, calls=calls, count=count)

    def end(self, phase: Phase) -> None:
        self._bar.stop()
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = None


class LineProgress:
    """No animation (not a terminal): one summary line per phase, for --verbose runs in logs."""

    def __init__(self, console: Console, lang: str) -> None:
        self.console = console
        self.lang = lang
        self._tally = _Tally()

    def begin(self, phase: Phase, total: int | None) -> None:
        self._tally = _Tally()

    def call(self, service: str, kind: str, write: bool) -> None:
        self._tally.add(service, write)

    def end(self, phase: Phase) -> None:
        seconds = time.monotonic() - self._tally.started
        line = t(
            self.lang,
            "progress.done",
            phase=t(self.lang, f"progress.{phase}"),
            notion=self._tally.calls["notion"],
            jira=self._tally.calls["jira"],
            seconds=seconds,
        )
        self.console.print(Text(line, style="dim"))


def progress_for(console: Console, lang: str, *, quiet: bool, verbose: bool) -> Progress | None:
    """Nothing with --quiet; a live bar on a terminal; summary lines with --verbose; else nothing."""
    if quiet:
        return None
    if console.is_terminal:
        return RichProgress(console, lang)
    return LineProgress(console, lang) if verbose else None
