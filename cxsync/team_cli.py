"""Commands for running cxsync as a team: `history`, `explain`, `doctor`, `init` (added to `cxsync` in cli.py)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from cxsync.audit import audit_path, explain_entry, explain_issue, history_rows, load_runs, parse_target
from cxsync.errors import ConfigError

if TYPE_CHECKING:
    from cxsync.cli import Context


def _state(ctx: click.Context) -> Context:
    state: Context = ctx.find_root().obj
    return state


@click.command()
@click.option("--limit", "-n", type=int, default=20, show_default=True, help="Show the last N runs (0 = all).")
@click.option("--mapping-name", help="Only runs of this mapping (its `name`, or the file's stem).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def history(ctx: click.Context, limit: int, mapping_name: str | None, fmt: str) -> None:
    """List past sync/apply runs with their summaries, from the audit log (newest last)."""
    rows = history_rows(load_runs())
    if mapping_name:
        rows = [r for r in rows if r["mapping"] == mapping_name]
    if limit > 0:
        rows = rows[-limit:]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"no runs recorded in {audit_path()}")
        return
    click.echo(
        f"{'run':<24} {'started':<25} {'command':<7} {'mapping':<12} {'outcome':<10} "
        f"{'entries':>7} {'groups':>6} {'created':>7} {'updated':>7} {'backs':>5} {'writes':>6} {'fail':>4}"
    )
    for r in rows:
        click.echo(
            f"{r['run']:<24} {r['started']:<25} {r['command'] or '?':<7} {r['mapping'] or '?':<12} "
            f"{r['outcome']:<10} {r['entries'] or 0:>7} {r['groups'] or 0:>6} {r['created']:>7} {r['updated']:>7} "
            f"{r['written_back']:>5} {r['writes']:>6} {r['failures']:>4}"
        )


@click.command()
@click.argument("target")
def explain(target: str) -> None:
    """Why an entry is in its group, or what made an issue — from the audit log.

    TARGET is a Notion page id or URL, or a Jira issue key or browse URL.
    """
    parsed = parse_target(target)
    if parsed is None:
        raise ConfigError(
            f"{target!r} is neither a Notion page id/URL nor a Jira issue key.",
            f"{target!r}은(는) Notion 페이지 id/URL도 Jira 이슈 키도 아닙니다.",
        )
    kind, value = parsed
    runs = load_runs()
    lines = explain_entry(runs, value) if kind == "entry" else explain_issue(runs, value)
    if not lines:
        what = "entry" if kind == "entry" else "issue"
        raise ConfigError(
            f"No run in {audit_path()} mentions {what} {value}.",
            f"{audit_path()}의 어떤 실행에도 {value}이(가) 없습니다.",
            hint_en="run `cxsync sync` first, or set CXSYNC_STATE_DIR to the state directory the scheduler uses",
            hint_ko="먼저 `cxsync sync`를 실행하거나 CXSYNC_STATE_DIR을 스케줄러의 상태 디렉터리로 설정하세요",
        )
    click.echo("\n".join(lines))


@click.command()
@click.option(
    "--mapping", "-m", "mapping_path", envvar="CXSYNC_MAPPING", type=click.Path(dir_okay=False), help="Mapping YAML."
)
@click.pass_context
def doctor(ctx: click.Context, mapping_path: str | None) -> None:
    """Check tokens, Notion access, Jira project, issue type and permissions, and connectivity. Writes nothing."""
    from cxsync.doctor import exit_code, run_checks

    loaded = _state(ctx).mapping(mapping_path)
    checks = run_checks(loaded)
    for check in checks:
        click.echo(check.render())
    failed = sum(1 for c in checks if not c.ok)
    click.echo(f"{failed} problem(s) found" if failed else "all checks passed", err=bool(failed))
    if failed:
        sys.exit(exit_code(checks))


@click.command()
@click.option("--data-source", "data_source", help="Data source (or database) id, or its exact title.")
@click.option("--project", help="Jira project key, e.g. CX.")
@click.option("--issue-type", help="Jira issue type (default: Improvement, Task or Story, whichever exists).")
@click.option("--name", help="Mapping name; the file is <out-dir>/<name>.yaml (default: from the data source title).")
@click.option("--out-dir", type=click.Path(file_okay=False), default="mappings", show_default=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask; fail instead when a choice is missing.")
@click.option("--force", is_flag=True, help="Overwrite an existing mapping file.")
@click.pass_context
def init(
    ctx: click.Context,
    data_source: str | None,
    project: str | None,
    issue_type: str | None,
    name: str | None,
    out_dir: str,
    yes: bool,
    force: bool,
) -> None:
    """Propose a mapping from the live Notion schema and Jira project, and write it. Writes nothing remote."""
    import os
    import re
    from pathlib import Path

    from cxsync.config import jira_credentials, load_mapping, notion_credentials
    from cxsync.init_mapping import check_jira, choose, list_data_sources, notion_reader, propose, render_yaml

    notion_creds = notion_credentials(os.environ)
    jira_creds = jira_credentials(os.environ)
    sources = list_data_sources(notion_reader(notion_creds))
    if not sources:
        raise ConfigError(
            "The integration cannot see any data source.",
            "통합이 볼 수 있는 데이터 소스가 없습니다.",
            hint_en="open the VoC database in Notion → ••• → Connections → add the integration",
            hint_ko="Notion에서 VoC 데이터베이스 → ••• → 연결 → 통합 추가",
        )
    if data_source is None and len(sources) > 1 and not yes:
        for number, source in enumerate(sources, start=1):
            click.echo(f"  {number}. {source.title}  ({source.id})", err=True)
        picked = click.prompt("data source", type=click.IntRange(1, len(sources)), err=True)
        data_source = sources[picked - 1].id
    chosen = choose(sources, data_source)
    proposal = propose(chosen)
    if proposal.missing:
        raise ConfigError(
            f"No property of {chosen.title!r} fits: {', '.join(proposal.missing)}.",
            f"{chosen.title!r}에 맞는 속성이 없습니다: {', '.join(proposal.missing)}.",
            hint_en="add them in Notion (the Jira key needs a text property), then run init again",
            hint_ko="Notion에 속성을 추가한 뒤 (Jira 키는 텍스트 속성) init을 다시 실행하세요",
        )
    if project is None:
        if yes:
            raise click.UsageError("--project is required with --yes")
        project = str(click.prompt("Jira project key", err=True)).strip().upper()
    jira = check_jira(jira_creds, project, issue_type)
    name = name or (re.sub(r"[^a-z0-9]+", "-", chosen.title.lower()).strip("-") or "voc")
    text = render_yaml(name, proposal, jira)
    types = chosen.types()
    click.echo(f"data source: {chosen.title} ({chosen.id})", err=True)
    for role, prop in proposal.roles.items():
        click.echo(f"  {role:<15} ← {prop} ({types[prop]})", err=True)
    click.echo(f"jira: {jira.project} / {jira.issue_type}", err=True)
    for warning in jira.warnings(_state(ctx).lang):
        click.echo(warning, err=True)
    path = Path(out_dir) / f"{name}.yaml"
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it.", f"{path} 파일이 있습니다. --force로 덮어쓰세요.")
    if not yes and not click.confirm(f"write {path}?", default=True, err=True):
        raise click.Abort()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    load_mapping(path)  # what init writes, validate accepts
    click.echo(f"wrote {path}; next: cxsync doctor -m {path} && cxsync plan -m {path}")
