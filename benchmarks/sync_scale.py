"""Benchmark: incremental sync at scale, against the rate-limit floor (issue 8). Not a timed test.

    python benchmarks/sync_scale.py --rows 10000 --rows 100000 --out benchmarks/RESULTS-sync-scale.md

For each size, the sandboxes are seeded with synthetic VoC rows (Korean and English requests, a few
popular needs asked many times and a long tail, 10 need tags, repeat customers) and three syncs run:
the first sync, a no-op resync, and a resync after editing 1 % of the rows (their ARR). Each reports
API calls by kind, the lower bound of calls the work needs (reads: rows to read ÷ 100, at least one
query per side; writes: what actually changed), their ratio, wall time against the pacing floor, and
peak memory.

Notion's limit is 3 requests/s, so the first sync of 100,000 rows needs over nine hours of pacing.
The sandboxes and cxsync therefore share a simulated clock: the Notion sandbox enforces 3 requests/s
(burst 3) by it, cxsync's pacer waits on it, and waiting only advances it. Everything else — HTTP,
JSON, grouping, SQLite — takes real time, which the clock also counts. "Wall" is that simulated time;
the floor is the lower bound of Notion calls ÷ 3. Runs start an hour apart on that clock, as on an
hourly schedule. Each sandbox runs in a process of its own, as Notion and Jira are separate servers
(cxsync reads both at once); each sync runs in a fresh process, so its peak RSS is cxsync's alone. Between
runs the sandbox processes freeze their objects out of Python's garbage collector (`settle_heap`), so a
server-side pause is not counted as cxsync's.

The harness's own steps between runs (seeding, the 1 % edit) print their real time on stderr.
`--trace` also prints, after each run, the real seconds the sandboxes spent per kind of request;
`--profile DIR` writes a cProfile of each sandbox process per run. Both serialise the sandboxes'
requests, so leave them off when measuring. `--profile-sync DIR` writes a cProfile of each resync process.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import math
import multiprocessing as mp
import os
import random
import re
import resource
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOTION_RPS = 3.0
SEARCH_LAG = 5.0
TAGS = ["데이터 내보내기", "데이터 가져오기", "알림", "권한 관리", "연동", "모바일", "리포트", "결제", "검색", "자동화"]
OBJECTS_KO = [
    "결제 내역",
    "상담 기록",
    "고객 목록",
    "매출 리포트",
    "첨부 파일",
    "사용자 권한",
    "알림 설정",
    "태그 목록",
    "팀 일정",
    "청구서",
    "로그인 기록",
    "설문 결과",
    "재고 현황",
    "주문 내역",
    "예약 목록",
    "계약서",
]
OBJECTS_EN = [
    "payment history",
    "chat transcripts",
    "customer list",
    "revenue report",
    "attachments",
    "user roles",
    "notification settings",
    "tag list",
    "team calendar",
    "invoices",
    "login history",
    "survey results",
    "inventory",
    "order history",
    "bookings",
    "contracts",
]
FORMATS_KO = ["엑셀", "CSV", "PDF", "구글 시트", "슬랙", "이메일", "API", "웹훅"]
FORMATS_EN = ["Excel", "CSV", "PDF", "Google Sheets", "Slack", "email", "the API", "a webhook"]
ACTIONS_KO = [
    "내보내기",
    "자동으로 보내기",
    "매일 받기",
    "한 번에 옮기기",
    "필터해서 보기",
    "예약 전송하기",
    "공유하기",
]
ACTIONS_EN = ["export", "send automatically", "get daily", "move in bulk", "filter and view", "schedule", "share"]
STYLES_KO = [
    "{o}을 {f}로 {a} 기능이 필요해요",
    "{o} {f}로 {a} 가능한가요?",
    "{f}로 {o} {a} 할 수 있으면 좋겠습니다",
    "혹시 {o}를 {f}로 {a} 방법 있을까요",
    "{o} {a} ({f}) 지원 부탁드립니다",
]
STYLES_EN = [
    "We need to {a} {o} to {f}",
    "Is there a way to {a} {o} via {f}?",
    "Please let us {a} our {o} to {f}",
    "Can we {a} {o} with {f}? Our team asks every week",
    "{o}: {a} to {f} would save us hours",
]


# -- synthetic data ------------------------------------------------------------------------------------
def synthetic_seed(rows: int, seed: int = 8) -> dict[str, Any]:
    rng = random.Random(seed)
    base = json.loads((ROOT / "examples" / "sandbox-seed.json").read_text(encoding="utf-8"))
    database = copy.deepcopy(base["notion"]["databases"][0])
    owners = [u["id"] for u in base["notion"]["users"]]
    needs = max(10, rows // 10)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    database["rows"] = [_row(n, rng, needs, owners, start) for n in range(rows)]
    base["notion"]["databases"] = [database]
    return base


def _row(n: int, rng: random.Random, needs: int, owners: list[str], start: datetime) -> dict[str, Any]:
    need = min(needs - 1, int(rng.paretovariate(1.1)) - 1 + (rng.randrange(needs) if rng.random() < 0.6 else 0))
    korean = (need % 3) != 0 if rng.random() < 0.85 else rng.random() < 0.5
    parts = (need % len(OBJECTS_KO), (need // 16) % len(FORMATS_KO), (need // 128) % len(ACTIONS_KO))
    area = need // 896
    if korean:
        text = rng.choice(STYLES_KO).format(o=OBJECTS_KO[parts[0]], f=FORMATS_KO[parts[1]], a=ACTIONS_KO[parts[2]])
    else:
        text = rng.choice(STYLES_EN).format(o=OBJECTS_EN[parts[0]], f=FORMATS_EN[parts[1]], a=ACTIONS_EN[parts[2]])
    if area:
        text = f"[모듈 {area}] {text}" if korean else f"[module {area}] {text}"
    created = start + timedelta(minutes=n * 3 + rng.randrange(3))
    company = f"고객사 {rng.randrange(max(50, needs // 2))}"
    return {
        "id": f"5ca1ab1e-0001-4000-8000-{n:012d}",
        "created_time": created.isoformat().replace("+00:00", "Z"),
        "values": {
            "요청 내용": text,
            "니즈 태그": TAGS[need % len(TAGS)],
            "고객명": f"customer {rng.randrange(max(100, needs * 3))}",
            "고객사": company,
            "채널": rng.choice(["이메일", "채팅", "미팅", "인앱 피드백"]),
            "ARR": rng.choice([None, 12_000_000, 36_000_000, 120_000_000, 480_000_000]),
            "접수일": created.date().isoformat(),
            "담당자": [rng.choice(owners)],
            "상태": "접수",
        },
    }


# -- the simulated clock ---------------------------------------------------------------------------------
class SimClock:
    """Real time plus a shared offset; sleeping only moves the offset (see the module docstring)."""

    def __init__(self, offset: Synchronized[float]) -> None:
        self.offset = offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset.value

    def epoch(self) -> float:
        return time.time() + self.offset.value

    def sleep(self, seconds: float) -> None:
        with self.offset.get_lock():
            self.offset.value += max(0.0, seconds)


# -- the sandbox processes -------------------------------------------------------------------------------
class Trace:
    """Opt-in (`--trace`): real seconds the sandbox spends per kind of request, and a profile of it."""

    ID = re.compile(
        r"/(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[A-Z][A-Z0-9]*-\d+|\d+)(?=/|$)"
    )

    def __init__(self, profile_dir: Path | None) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = {}
        self.profile_dir = profile_dir
        self.profiler = cProfile.Profile() if profile_dir else None

    def wrap(self, service: str, sandbox: Any) -> None:
        handle = sandbox.handle

        def timed(request: Any) -> Any:
            with self.lock:  # one request at a time, so the profile is one thread's
                if self.profiler:
                    self.profiler.enable()
                started = time.perf_counter()
                try:
                    return handle(request)
                finally:
                    took = time.perf_counter() - started
                    if self.profiler:
                        self.profiler.disable()
                    kind = f"{service} {request.method} {self.ID.sub('/{id}', request.path)}"
                    self.seconds.setdefault(kind, []).append(took)

        sandbox.handle = timed

    def report(self, label: str) -> None:
        lines = [f"[sandbox] {label}: real seconds per kind (count, total, max):"]
        for kind, took in sorted(self.seconds.items(), key=lambda item: -sum(item[1])):
            lines.append(f"[sandbox]   {kind}: {len(took)}, {sum(took):.2f}, {max(took):.3f}")
        print("\n".join(lines), file=sys.stderr, flush=True)
        self.seconds.clear()
        if self.profiler and self.profile_dir:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            self.profiler.dump_stats(self.profile_dir / f"sandbox-{label.replace(' ', '_')}.prof")
            self.profiler = cProfile.Profile()


def settle_heap() -> None:
    """Between runs, a sandbox process's objects are frozen out of its garbage collector's passes.

    The sandboxes stand in for Notion's and Jira's servers, whose pauses are not cxsync's cost; yet at
    100,000 rows each full pass of this process's collector walked millions of stored objects
    (pages, issues, versions, links) for about a second, in the middle of whichever request set it off.
    """
    gc.freeze()


def serve(service: str, rows: int, offset: Synchronized[float], pipe: Connection, trace: Trace | None = None) -> None:
    """One sandbox (`notion` or `jira`) in this process, as each service is its own server: two in one
    process would share one interpreter lock, so a sync's concurrent reads of both would queue there."""
    from cxsync.sandbox.jira_server import JiraSandbox
    from cxsync.sandbox.notion_server import NotionSandbox
    from cxsync.sandbox.runner import JIRA_API_TOKEN, JIRA_EMAIL, NOTION_TOKEN

    started = time.monotonic()
    clock = SimClock(offset)
    seed = synthetic_seed(rows)
    sandbox: NotionSandbox | JiraSandbox
    if service == "notion":
        sandbox = NotionSandbox(token=NOTION_TOKEN, clock=lambda: datetime.fromtimestamp(clock.epoch(), UTC))
        sandbox.seed(seed)
        sandbox.set_rate_limit(NOTION_RPS, burst=3, clock=clock.monotonic)
        url_name, secrets = "NOTION_BASE_URL", {"NOTION_TOKEN": NOTION_TOKEN}
    else:
        sandbox = JiraSandbox(
            flavor="cloud", email=JIRA_EMAIL, api_token=JIRA_API_TOKEN, clock=clock.epoch, search_lag_seconds=SEARCH_LAG
        )
        sandbox.seed(seed)
        url_name, secrets = "JIRA_URL", {"JIRA_EMAIL": JIRA_EMAIL, "JIRA_API_TOKEN": JIRA_API_TOKEN}
    if trace:
        trace.wrap(service, sandbox)
    sandbox.start()
    settle_heap()
    print(f"[harness] {rows:,} rows: seeded {service} in {time.monotonic() - started:.1f} s real", file=sys.stderr)
    pipe.send({url_name: sandbox.base_url, **secrets})
    while True:
        command = pipe.recv()
        if command == "edit" and isinstance(sandbox, NotionSandbox):
            started = time.monotonic()
            rng = random.Random(1)
            page_ids = [row["id"] for row in seed["notion"]["databases"][0]["rows"]]
            chosen = rng.sample(page_ids, max(1, len(page_ids) // 100))
            for page_id in chosen:
                sandbox.edit_page(page_id, {"ARR": rng.randrange(1, 1000) * 1_000_000})
            print(f"[harness] edited {len(chosen):,} rows in {time.monotonic() - started:.2f} s real", file=sys.stderr)
            pipe.send(len(chosen))
        elif isinstance(command, tuple) and command[0] == "throttled":  # 429s answered since the last ask
            settle_heap()
            if trace:
                trace.report(f"{service} {command[1]}")
            pipe.send(sum(1 for r in sandbox.requests if r.status == 429))
            sandbox.requests.clear()
        elif command == "stop":
            sandbox.stop()
            pipe.send("stopped")
            return


# -- one sync, in its own process ------------------------------------------------------------------------
class MemoryWatch:
    """Samples this process's resident memory and where its main thread is, to say where the peak happens."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak = (0, "")
        self.stopped = threading.Event()
        self.main = threading.main_thread().ident
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stopped.wait(self.every):
            with open("/proc/self/statm", encoding="ascii") as statm:
                rss = int(statm.read().split()[1]) * page
            if rss > self.peak[0]:
                self.peak = (rss, self._where())

    def _where(self) -> str:
        # Only names leave this function: a frame kept would keep its locals alive, and the memory measured.
        frame = sys._current_frames().get(self.main or 0)
        names = [
            f"{f.f_code.co_filename.rsplit('/', 1)[-1]}:{f.f_code.co_name}" for f, _ in traceback.walk_stack(frame)
        ]
        del frame
        return " < ".join(n for n in names if not n.startswith(("threading", "sync_scale")))[:600]

    def stop(self) -> dict[str, Any]:
        self.stopped.set()
        self.thread.join()
        return {"sampled_peak_gib": self.peak[0] / 2**30, "peak_at": self.peak[1]}


def run_sync(env: dict[str, str], offset: Synchronized[float], pipe: Connection, profile: Path | None = None) -> None:
    watch = MemoryWatch() if os.environ.get("SCALE_MEMORY_WATCH") else None
    os.environ.pop("CXSYNC_NOTION_RPS", None)  # cxsync's default pacing (2.9/s) against the sandbox's 3/s
    os.environ.update(env)
    from cxsync.adapters import pacing
    from cxsync.config import load_mapping
    from cxsync.session import Session

    clock = SimClock(offset)
    pacing.CLOCK.monotonic, pacing.CLOCK.sleep = clock.monotonic, clock.sleep  # one object, imported by name
    started_sim, started_real = clock.monotonic(), time.monotonic()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    session = Session(load_mapping(str(ROOT / "mappings" / "example.yaml")))
    with session.locked():  # as `cxsync sync` does
        plan = session.plan(carry_unchanged=True)
        result = session.apply(plan, command="sync")
        summary = plan_summary(plan, result)
        del plan
        if summary["wrote"]:
            summary["converged"] = session.confirm_converged()
    if profiler and profile:
        profiler.disable()
        profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile))
    pipe.send(
        {
            **(watch.stop() if watch else {}),
            "wall": clock.monotonic() - started_sim,
            "real": time.monotonic() - started_real,
            "paced": session.notion.pacer.waited,
            "rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "calls": session.counter.summary(),
            **summary,
        }
    )


def plan_summary(plan: Any, result: Any) -> dict[str, Any]:
    return {
        "reads": plan.reads,
        "groups": plan.group_count,
        "carried": plan.carried is not None,
        "wrote": plan.has_changes,
        "converged": None,
        "created": len(result.created),
        "updated": sum(1 for g in plan.groups if g.action == "update"),
        "links": sum(len(g.link_upserts) + len(g.link_deletes) for g in plan.groups),
        "writebacks": result.written_back,
        "failures": len(result.failures),
    }


def lower_bound(run: dict[str, Any], rows_to_read: int) -> dict[str, int]:
    notion = max(1, math.ceil(rows_to_read / 100)) + run["writebacks"]
    jira = 1 + run["created"] + run["updated"] + run["links"]
    return {"notion": notion, "jira": jira, "total": notion + jira}


def by_service(calls: dict[str, int]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for kind, n in calls.items():
        totals[kind.split(" ")[0]] += n
    return dict(totals)


def measure(rows: int, trace: Trace | None = None, profile_dir: Path | None = None) -> list[dict[str, Any]]:
    ctx = mp.get_context("fork")
    offset = ctx.Value("d", 0.0)
    pipes = {}
    for service in ("notion", "jira"):
        here, there = ctx.Pipe()
        ctx.Process(target=serve, args=(service, rows, offset, there, trace), daemon=True).start()
        pipes[service] = here
    env = pipes["notion"].recv() | pipes["jira"].recv()
    state = tempfile.mkdtemp(prefix="cxsync-scale-")
    env |= {"CXSYNC_STATE_DIR": state, "CXSYNC_JIRA_SEARCH_LAG": str(SEARCH_LAG)}
    results = []
    clock = SimClock(offset)
    for name, reads in (("first sync", rows), ("no-op resync", 0), ("1% edited", rows // 100)):
        clock.sleep(3600)  # runs are scheduled an hour apart
        if name == "1% edited":
            pipes["notion"].send("edit")
            pipes["notion"].recv()
        mine, theirs = ctx.Pipe()
        profiled = profile_dir and name != "first sync"  # profiling would slow the long first sync down
        profile = profile_dir / f"sync-{rows}-{name.split()[0].rstrip('%')}.prof" if profiled and profile_dir else None
        worker = ctx.Process(target=run_sync, args=(env, offset, theirs, profile))
        worker.start()
        run = mine.recv()
        worker.join()
        for pipe in pipes.values():
            pipe.send(("throttled", f"{rows} {name}"))
        run["throttled"] = sum(pipe.recv() for pipe in pipes.values())
        run |= {"name": name, "rows": rows, "bound": lower_bound(run, reads), "services": by_service(run["calls"])}
        results.append(run)
        print(json.dumps(_row_of(run), ensure_ascii=False), flush=True)
        if "peak_at" in run:
            print(f"# peak {run['sampled_peak_gib']:.2f} GiB at {run['peak_at']}", file=sys.stderr, flush=True)
    for pipe in pipes.values():
        pipe.send("stop")
        pipe.recv()
    return results


def _row_of(run: dict[str, Any]) -> dict[str, Any]:
    total = sum(run["services"].values())
    floor = run["bound"]["notion"] / NOTION_RPS
    return {
        "rows": run["rows"],
        "run": run["name"],
        "notion_calls": run["services"].get("notion", 0),
        "jira_calls": run["services"].get("jira", 0),
        "notion_queries": sum(n for k, n in run["calls"].items() if k.endswith("/query")),
        "bound": run["bound"]["total"],
        "ratio": round(total / run["bound"]["total"], 3),
        "wall_s": round(run["wall"], 1),
        "floor_s": round(floor, 1),
        "wall_vs_floor": round(run["wall"] / floor, 3) if floor else None,
        "real_s": round(run["real"], 1),
        "rss_gib": round(run["rss_gib"], 2),
        "writes": run["writebacks"] + run["created"] + run["updated"] + run["links"],
        "failures": run["failures"],
        "throttled": run.get("throttled", 0),
        "carried": run["carried"],
        "converged": run["converged"],
    }


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| rows | run | Notion calls (queries) | Jira calls | of which 429 | lower bound | calls ÷ bound | wall (sim) s | floor s | wall ÷ floor | real s | peak RSS GiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in results:
        r = _row_of(run)
        lines.append(
            f"| {r['rows']:,} | {r['run']} | {r['notion_calls']:,} ({r['notion_queries']:,}) | {r['jira_calls']:,} | "
            f"{r['throttled']} | {r['bound']:,} | {r['ratio']} | {r['wall_s']:,} | {r['floor_s']:,} | {r['wall_vs_floor']} | "
            f"{r['real_s']:,} | {r['rss_gib']} |"
        )
    lines += ["", "Calls by kind:", ""]
    for run in results:
        kinds = ", ".join(f"`{k}` {n:,}" for k, n in sorted(run["calls"].items()))
        lines.append(f"- {run['rows']:,} rows, {run['name']}: {kinds}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="database size (repeatable; default 10000)")
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    parser.add_argument("--trace", action="store_true", help="print the sandbox's real seconds per request kind")
    parser.add_argument("--profile", type=Path, help="with --trace: write a cProfile of the sandbox per run here")
    parser.add_argument("--profile-sync", type=Path, help="write a cProfile of each resync process here")
    parser.add_argument("--memory-watch", action="store_true", help="print where each sync's memory peaked")
    args = parser.parse_args()
    if args.memory_watch:
        os.environ["SCALE_MEMORY_WATCH"] = "1"  # read by each sync process (forked from this one)
    results: list[dict[str, Any]] = []
    for rows in args.rows or [10_000]:
        results += measure(rows, Trace(args.profile) if args.trace or args.profile else None, args.profile_sync)
    text = markdown(results)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
