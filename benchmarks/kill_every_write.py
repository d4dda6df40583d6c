"""Kill a full demo sync after its k-th write, for every k, rerun it, and check the invariants.

A benchmark, not a test: it runs the demo data (131 entries) through a fresh pair of sandboxes for
every write boundary (several hundred subprocess runs; about 20–30 minutes on 2 cores).

    python benchmarks/kill_every_write.py [--stride N] [--lose-state]

For each k it reports whether, after the rerun, there is exactly one Jira issue per group, every
tagged Notion entry carries its key and has a remote link, and the final state equals the state an
uninterrupted run leaves.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cxsync.sandbox.base import Request, Response
from cxsync.sandbox.runner import Sandboxes, start_sandboxes

ROOT = Path(__file__).resolve().parents[1]
MAPPING = str(ROOT / "mappings" / "example.yaml")


def state_of(boxes: Sandboxes) -> dict[str, Any]:
    """What a sync leaves behind, keyed by group label so issue keys may differ between runs."""
    label_of: dict[str, str] = {}
    issues = {}
    for issue in boxes.jira.issues_with_label("cxsync"):
        label = next(lb for lb in issue["labels"] if lb.startswith("cxsync-g"))
        label_of[issue["key"]] = label
        links = sorted((ln["globalId"], ln["object"]["title"]) for ln in boxes.jira.remote_links(issue["key"]))
        issues.setdefault(label, []).append((issue["summary"], json.dumps(issue["description"]), links))
    pages = {}
    for page_id in sorted(boxes.notion.pages):
        page = boxes.notion.page_json(page_id)
        props = page["properties"]
        if "니즈 태그" not in props or not props["니즈 태그"]["select"]:
            continue  # the English database, or an untagged entry
        key = "".join(t["plain_text"] for t in props["Jira 키"]["rich_text"])
        status = (props["상태"]["status"] or {}).get("name")
        pages[page_id] = (label_of.get(key), status)
    return {"issues": issues, "pages": pages}


def run_sync(env: dict[str, str], kill_at: int | None, boxes: Sandboxes) -> int:
    count = 0
    lock = threading.Lock()
    process: subprocess.Popen[bytes] | None = None

    def observe(request: Request, response: Response) -> None:
        nonlocal count
        with lock:
            count += 1
            if kill_at is not None and count == kill_at and process is not None:
                os.kill(process.pid, signal.SIGKILL)

    for box in (boxes.notion, boxes.jira):
        box.write_observers.append(observe)
    process = subprocess.Popen(
        [sys.executable, "-m", "cxsync", "sync", "--mapping", MAPPING],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    code = process.wait(timeout=600)
    for box in (boxes.notion, boxes.jira):
        box.write_observers.remove(observe)
    return count if kill_at is None else code


def environment(boxes: Sandboxes, state_dir: Path) -> dict[str, str]:
    return {**os.environ, **boxes.env(), "CXSYNC_STATE_DIR": str(state_dir), "CXSYNC_JIRA_SEARCH_LAG": "0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stride", type=int, default=1, help="test every N-th write boundary")
    parser.add_argument("--lose-state", action="store_true", help="delete the local journal before each rerun")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cxsync-kill-"))
    clean_boxes = start_sandboxes()
    total = run_sync(environment(clean_boxes, work / "clean"), None, clean_boxes)
    clean = state_of(clean_boxes)
    clean_boxes.stop()
    print(f"uninterrupted demo sync: {total} writes, {len(clean['issues'])} issues, {len(clean['pages'])} entries")
    started = time.time()
    tried = duplicates = unlinked = diverged = 0
    for k in range(1, total + 1, args.stride):
        boxes = start_sandboxes()
        state_dir = work / f"k{k}"
        code = run_sync(environment(boxes, state_dir), k, boxes)
        if args.lose_state:
            shutil.rmtree(state_dir, ignore_errors=True)
        run_sync(environment(boxes, state_dir), None, boxes)
        final = state_of(boxes)
        boxes.stop()
        tried += 1
        dup = sum(len(v) - 1 for v in final["issues"].values())
        lost = sum(1 for label, _ in final["pages"].values() if label is None)
        duplicates += dup
        unlinked += lost
        diverged += final != clean
        print(f"k={k:4d} killed={code == -signal.SIGKILL} duplicates={dup} unlinked={lost} equal={final == clean}")
        sys.stdout.flush()
    elapsed = time.time() - started
    print(
        f"\nboundaries tested: {tried} of {total}; duplicates: {duplicates}; entries unlinked: {unlinked}; "
        f"final states different from the clean run: {diverged}; {elapsed:.0f} s"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
