"""`cxsync group` on the example export, and a quality floor against its answer key."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from cxsync.cli import main
from cxsync.grouping.metrics import adjusted_rand, bcubed, score

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "examples" / "voc-export.csv"
TRUTH = json.loads((ROOT / "examples" / "voc-truth.json").read_text(encoding="utf-8"))


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["--lang", "en", "group", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stderr


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_group_writes_id_and_group_id_first_for_every_row(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    message = run(str(EXPORT), "--tag-column", "tag", "--date-column", "date", "--output", str(out))
    written = rows(out)
    assert list(written[0])[:2] == ["id", "group_id"]
    assert {r["id"] for r in written} == {r["id"] for r in rows(EXPORT)}
    assert all(r["group_id"].startswith("g") and 0 < float(r["score"]) <= 1 for r in written)
    assert "131 requests" in message and "threshold" in message


def test_group_output_is_identical_byte_for_byte_and_keeps_ids_with_previous(tmp_path: Path) -> None:
    first, second, third = tmp_path / "1.csv", tmp_path / "2.csv", tmp_path / "3.csv"
    run(str(EXPORT), "--tag-column", "tag", "--output", str(first))
    run(str(EXPORT), "--tag-column", "tag", "--output", str(second))
    assert first.read_bytes() == second.read_bytes()
    subset = tmp_path / "subset.csv"
    kept = rows(EXPORT)[:100]
    with subset.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(kept[0]))
        writer.writeheader()
        writer.writerows(kept)
    run(str(subset), "--tag-column", "tag", "--output", str(third))
    before = {r["id"]: r["group_id"] for r in rows(third)}
    again = tmp_path / "again.csv"
    run(str(EXPORT), "--tag-column", "tag", "--output", str(again), "--previous", str(third))
    after = {r["id"]: r["group_id"] for r in rows(again)}
    assert all(after[i] == g for i, g in before.items()), "adding rows never changes an existing group id"


def test_jsonl_input_and_a_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            json.dumps({"key": str(i), "body": t}, ensure_ascii=False) for i, t in enumerate(["SSO 지원", "SSO 지원!"])
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    run(str(source), "--id-column", "key", "--text-column", "body", "--output", str(out))
    assert len({r["group_id"] for r in rows(out)}) == 1
    result = CliRunner().invoke(main, ["--lang", "en", "group", str(source), "--output", str(out)])
    assert result.exit_code == 3 and "no column id, text" in result.stderr


def test_quality_floor_on_the_example_export(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    run(str(EXPORT), "--tag-column", "tag", "--date-column", "date", "--output", str(out))
    written = rows(out)
    predicted = [r["group_id"] for r in written]
    gold = [TRUTH[r["id"]] for r in written]
    measured = score(predicted, gold)
    # Measured 2026-11 with the default tfidf method: see benchmarks/RESULTS-grouping.md. Lexical
    # similarity cannot see that differently worded requests share a need, so recall is low; the floor
    # guards precision first (a wrong merge hides a customer's request). The wrong merges the data was
    # built to provoke (payment- vs ticket-history export, Salesforce vs Slack) are gone since 2026-11-29;
    # the recall they used to add went with them (F1 .523 → .467, ARI .188 → .112).
    assert measured.precision >= 0.97, measured
    assert measured.f1 >= 0.45, measured
    assert measured.ari >= 0.10, measured


def test_metrics_on_hand_computed_cases() -> None:
    precision, recall, f1 = bcubed(["a", "a", "b"], ["x", "x", "x"])
    assert precision == 1.0 and abs(recall - 5 / 9) < 1e-12 and abs(f1 - 2 * (5 / 9) / (1 + 5 / 9)) < 1e-12
    assert adjusted_rand([1, 1, 2, 2], [5, 5, 6, 6]) == 1.0
    assert abs(adjusted_rand([1, 2, 1, 2], [1, 1, 2, 2]) + 0.5) < 1e-9
