"""Kill the sync process after its k-th write, for every k, then rerun: nothing duplicated, nothing lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2e import MAPPING, World, all_pages, final_state, open_world, text_of
from small_seed import small_seed

from cxsync.sandbox.base import Request, Response


class Killer:
    """Counts committed writes on both sandboxes and SIGKILLs the sync process at the k-th."""

    def __init__(self, world: World, k: int) -> None:
        self.k = k
        self.count = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        for box in (world.boxes.notion, world.boxes.jira):
            box.write_observers.append(self.observe)

    def observe(self, request: Request, response: Response) -> None:
        with self._lock:
            self.count += 1
            if self.count == self.k and self.process is not None:
                os.kill(self.process.pid, signal.SIGKILL)


def _run_killed(world: World, k: int) -> tuple[int, str]:
    """(exit code, stderr) of a sync killed at its k-th write."""
    killer = Killer(world, k)
    env = {**os.environ, "CXSYNC_MAPPING": MAPPING}
    killer.process = subprocess.Popen(
        [sys.executable, "-m", "cxsync", "--debug", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, stderr = killer.process.communicate(timeout=120)
    for box in (world.boxes.notion, world.boxes.jira):
        box.write_observers.remove(killer.observe)
    return killer.process.returncode, stderr.decode("utf-8", "replace")[-3000:]


def _writes_of_a_clean_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    for world in open_world(monkeypatch, tmp_path / "clean", seed=small_seed()):
        summary = world.sync_json()
        return int(summary["applied"]["writes"]), final_state(world)
    raise AssertionError("unreachable")


def _check_invariants(world: World) -> None:
    labels = Counter(label for i in world.issues() for label in i["labels"] if label.startswith("cxsync-g"))
    assert labels and all(n == 1 for n in labels.values()), f"duplicates: {labels}"
    linked = {link["globalId"] for i in world.issues() for link in world.boxes.jira.remote_links(i["key"])}
    for page in all_pages(world.notion()):
        assert text_of(page, "Jira 키"), "every entry is written back"
        assert f"cxsync:notion-page:{page['id'].replace('-', '')}" in linked, "every entry is linked"


def test_killing_the_sync_after_any_write_converges_without_duplicates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CXSYNC_JIRA_SEARCH_LAG", "0")
    total, clean = _writes_of_a_clean_run(monkeypatch, tmp_path)
    assert total >= 20
    for k in range(1, total + 1):
        for lose_state in (False, True):
            for world in open_world(monkeypatch, tmp_path / f"k{k}-{lose_state}", seed=small_seed()):
                code, stderr = _run_killed(world, k)
                assert code == -signal.SIGKILL, f"the sync was not killed at write {k}:\n{stderr}"
                if lose_state:
                    shutil.rmtree(world.state_dir, ignore_errors=True)
                world.sync_json()
                _check_invariants(world)
                assert final_state(world) == clean, f"killed at write {k} (local state lost: {lose_state})"
                assert world.plan_json()["writes"] == 0
