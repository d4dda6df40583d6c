"""The `cxsync` command: a thin layer over the core. Errors are caught once, here."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from cxsync import __version__
from cxsync.config import LoadedMapping, load_mapping
from cxsync.errors import CxsyncError, ExitCode, PartialFailure
from cxsync.journal import Journal
from cxsync.notify import to_csv, to_json
from cxsync.plan import Plan
from cxsync.redact import install_log_redaction, redact
from cxsync.reports import (
    print_calls,
    print_plan,
    print_result,
    print_saved_hint,
    render_html,
    render_markdown,
    summary_json,
)
from cxsync.reports.i18n import t
from cxsync.reports.live import progress_for
from cxsync.reports.view import Mode
from cxsync.saved_plan import check_fresh, load_saved_plan
from cxsync.session import Session
from cxsync.slack import announce


class Context:
    def __init__(self, lang: str | None, debug: bool, quiet: bool) -> None:
        self.lang_option = lang
        self.debug = debug
        self.quiet = quiet
        self.lang = lang or _env_lang()
        no_color = bool(os.environ.get("NO_COLOR"))
        self.out = Console(no_color=no_color, soft_wrap=False, quiet=quiet)
        self.err = Console(stderr=True, no_color=no_color)

    def mapping(self, path: str | None) -> LoadedMapping:
        if not path:
            raise click.UsageError("give --mapping PATH or set CXSYNC_MAPPING")
        loaded = load_mapping(path)
        if self.lang_option is None and loaded.mapping.lang:
            self.lang = loaded.mapping.lang
        return loaded

    def session(self, path: str | None, verbose: bool = False, full: bool = False) -> Session:
        """A session for the mapping, drawing progress on stderr (none with --quiet or off a terminal)."""
        loaded = self.mapping(path)
        progress = progress_for(self.err, self.lang, quiet=self.quiet, verbose=verbose)
        return Session(loaded, progress=progress, full=full)

    def tell(self, key: str, **values: object) -> None:
        """A message for the person at the terminal, on stderr so stdout stays machine-readable."""
        if not self.quiet:
            self.err.print(t(self.lang, key, **values), markup=False, highlight=False)


def _env_lang() -> str:
    explicit = os.environ.get("CXSYNC_LANG", "")
    if explicit in ("ko", "en"):
        return explicit
    return "ko" if os.environ.get("LANG", "").lower().startswith("ko") else "en"


class CxsyncGroup(click.Group):
    """Turns every CxsyncError into one clear line and its exit code; no traceback unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CxsyncError as error:
            state: Context | None = ctx.obj
            lang = state.lang if state else _env_lang()
            if state and state.debug:
                click.echo(redact(traceback.format_exc()), err=True)
            click.echo(redact(f"cxsync: {error.message(lang)}"), err=True)
            ctx.exit(int(error.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            state = ctx.obj
            if state and state.debug:
                click.echo(redact(traceback.format_exc()), err=True)
            else:
                click.echo(
                    redact(
                        f"cxsync: internal error: {type(error).__name__}: {error}\n  → rerun with --debug for details"
                    ),
                    err=True,
                )
            ctx.exit(int(ExitCode.ERROR))


mapping_option = click.option(
    "--mapping",
    "-m",
    "mapping_path",
    envvar="CXSYNC_MAPPING",
    type=click.Path(dir_okay=False),
    help="Mapping YAML (or CXSYNC_MAPPING).",
)
recreate_option = click.option(
    "--recreate-missing", is_flag=True, help="Create a new issue for groups whose issue was deleted in Jira."
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text: a table for people; json: versioned, for scripts (docs/plan-json.md); markdown: to paste.",
)
html_option = click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write a self-contained HTML report (chart, filters, evidence) to this file.",
)
full_option = click.option(
    "--full",
    is_flag=True,
    help="Read every entry and issue, not only what changed since the last run; finds entries that left Notion.",
)
verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="List unchanged groups and every request; progress lines in logs."
)


@click.group(cls=CxsyncGroup)
@click.version_option(__version__, prog_name="cxsync")
@click.option("--lang", type=click.Choice(["ko", "en"]), help="Message language (default: mapping, then $LANG).")
@click.option("--debug", is_flag=True, help="Show tracebacks (secrets still masked).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and machine output.")
@click.pass_context
def main(ctx: click.Context, lang: str | None, debug: bool, quiet: bool) -> None:
    """Notion VoC → grouped Jira improvement issues, with the Jira key written back to Notion."""
    ctx.obj = Context(lang, debug, quiet)
    install_log_redaction(logging.DEBUG if debug else logging.WARNING)


@main.command()
@mapping_option
@click.option("--live", is_flag=True, help="Also check the mapping against the live Notion schema.")
@click.pass_obj
def validate(state: Context, mapping_path: str | None, live: bool) -> None:
    """Check a mapping file (and, with --live, the Notion schema). Reports every problem at once."""
    loaded = state.mapping(mapping_path)
    if live:
        Session(loaded).notion.check_schema()
    ok = "매핑이 올바릅니다" if state.lang == "ko" else "mapping is valid"
    state.out.print(f"{loaded.path}: {ok}" + (" (live schema checked)" if live else ""), markup=False)


@main.command()
@mapping_option
@format_option
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Save the plan as JSON for `cxsync apply`.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing changes, 2 when changes are pending (any other code is an error).",
)
@verbose_option
@html_option
@recreate_option
@full_option
@click.pass_obj
def plan(
    state: Context,
    mapping_path: str | None,
    fmt: str,
    out_path: str | None,
    detailed_exitcode: bool,
    verbose: bool,
    html_path: str | None,
    recreate_missing: bool,
    full: bool,
) -> None:
    """Show what a sync would do. Reads Notion and Jira, writes nothing."""
    session = state.session(mapping_path, verbose, full)
    with session.preview():
        the_plan = session.plan(recreate_missing=recreate_missing)
    if out_path:
        Path(out_path).write_text(the_plan.model_dump_json(indent=2), encoding="utf-8")
    _show(state, session, the_plan, fmt, verbose=verbose, mode="plan")
    if html_path:
        _write_html(state, the_plan, html_path, "plan")
    if out_path and fmt == "text":
        print_saved_hint(state.out, state.lang, out_path, str(session.loaded.path))
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(int(ExitCode.CHANGES_PENDING))


@main.command()
@mapping_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@html_option
@verbose_option
@full_option
@click.pass_obj
def report(
    state: Context, mapping_path: str | None, fmt: str, html_path: str | None, verbose: bool, full: bool
) -> None:
    """Demand by group for the weekly VoC review, from Notion and Jira as they are now. Writes nothing."""
    session = state.session(mapping_path, verbose, full)
    with session.preview():
        the_plan = session.plan()
    _show(state, session, the_plan, fmt, verbose=verbose, mode="report")
    if html_path:
        _write_html(state, the_plan, html_path, "report")


def _show(state: Context, session: Session, the_plan: Plan, fmt: str, *, verbose: bool, mode: Mode) -> None:
    if fmt == "json":
        click.echo(summary_json(the_plan, session.counter, kind="report" if mode == "report" else "plan"))
    elif fmt == "markdown":
        click.echo(render_markdown(the_plan, state.lang, verbose=verbose, mode=mode), nl=False)
    else:
        print_plan(the_plan, state.out, state.lang, verbose=verbose, mode=mode)
        print_calls(session.counter, state.out, state.lang)


def _write_html(state: Context, the_plan: Plan, path: str, mode: Mode) -> None:
    Path(path).write_text(render_html(the_plan, state.lang, mode=mode), encoding="utf-8")
    state.tell("wrote", what=t(state.lang, "what.html"), path=path)


@main.command()
@mapping_option
@format_option
@click.argument("plan_file", required=False, type=click.Path(exists=True, dir_okay=False))
@verbose_option
@full_option
@click.pass_obj
def apply(state: Context, mapping_path: str | None, fmt: str, plan_file: str | None, verbose: bool, full: bool) -> None:
    """Apply a saved plan (refused if Notion or Jira changed since), or plan and apply now."""
    session = state.session(mapping_path, verbose, full)
    saved = load_saved_plan(Path(plan_file)) if plan_file else None
    with session.locked():
        current = session.plan()
        if saved is not None and plan_file is not None:
            check_fresh(saved, current, Path(plan_file), str(session.loaded.path))
            current = saved
        if _apply_and_report(state, session, current, fmt, verbose):
            session.confirm_converged()


@main.command()
@mapping_option
@format_option
@recreate_option
@verbose_option
@full_option
@click.pass_obj
def sync(state: Context, mapping_path: str | None, fmt: str, recreate_missing: bool, verbose: bool, full: bool) -> None:
    """Plan and apply in one go: the command for cron, CI and Kubernetes."""
    session = state.session(mapping_path, verbose, full)
    carry = fmt != "json" and not verbose  # the JSON document and --verbose list every group
    with session.locked():
        the_plan = session.plan(recreate_missing=recreate_missing, carry_unchanged=carry)
        if _apply_and_report(state, session, the_plan, fmt, verbose):
            del the_plan  # not held while the next plan is made
            session.confirm_converged()


def _apply_and_report(state: Context, session: Session, the_plan: Plan, fmt: str, verbose: bool = False) -> bool:
    """Apply and report; True when the plan wrote something."""
    if fmt == "text":
        print_plan(the_plan, state.out, state.lang, verbose=verbose)
    elif fmt == "markdown":
        click.echo(render_markdown(the_plan, state.lang, verbose=verbose), nl=False)
    result = session.apply(the_plan, command=click.get_current_context().info_name or "apply")
    if fmt == "json":
        click.echo(summary_json(the_plan, session.counter, result))
    else:
        print_result(result, state.out, state.lang)
        print_calls(session.counter, state.out, state.lang)
    command = click.get_current_context().info_name or "apply"
    announce(session, the_plan, result, command=command, lang=state.lang, warn=lambda line: click.echo(line, err=True))
    if not result.ok:
        raise PartialFailure(
            f"{len(result.failures)} planned write(s) failed; the next run resumes safely.",
            f"계획된 쓰기 {len(result.failures)}건이 실패했습니다. 다음 실행에서 안전하게 이어집니다.",
        )
    return the_plan.has_changes


@main.command("notify-list")
@mapping_option
@click.option(
    "--since",
    type=click.DateTime(),
    help="Issues shipped at or after this time (UTC). Default: the last notify-list run, else 30 days.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_obj
def notify_list(state: Context, mapping_path: str | None, since: datetime | None, fmt: str) -> None:
    """List the customers to tell that what they asked for has shipped."""
    session = Session(state.mapping(mapping_path))
    journal = Journal(session.loaded.name)
    try:
        start = _notify_since(since, journal)
        rows = session.notices(start)
        click.echo(to_csv(rows) if fmt == "csv" else to_json(rows), nl=False)
        if since is None:
            journal.set_mark("notify-list", datetime.now(UTC).isoformat())
    finally:
        journal.close()


def _notify_since(since: datetime | None, journal: Journal) -> datetime:
    if since is not None:
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    last = journal.mark("notify-list")
    return datetime.fromisoformat(last) if last else datetime.now(UTC) - timedelta(days=30)


@main.command()
@click.option(
    "--seed", "seed_path", type=click.Path(exists=True, dir_okay=False), help="Seed JSON (default: examples/)."
)
@click.option("--port", type=int, default=0, help="Notion sandbox port (Jira takes the next one). 0 = any free port.")
@click.option("--flavor", type=click.Choice(["cloud", "datacenter"]), default="cloud", show_default=True)
@click.option(
    "--notion-rate-limit",
    type=float,
    default=0.0,
    help="Throttle the Notion sandbox to this many requests/s with 429 + Retry-After (Notion: 3). 0 = off.",
)
@click.pass_obj
def sandbox(state: Context, seed_path: str | None, port: int, flavor: str, notion_rate_limit: float) -> None:
    """Run the Notion and Jira sandboxes on loopback and print the environment that points at them."""
    from cxsync.sandbox.runner import load_seed, start_sandboxes

    seed = load_seed(Path(seed_path) if seed_path else None)
    boxes = start_sandboxes(seed, flavor=flavor, notion_port=port, jira_port=port + 1 if port else 0)  # type: ignore[arg-type]
    if notion_rate_limit > 0:
        boxes.notion.set_rate_limit(notion_rate_limit, burst=10)
    for key, value in boxes.env().items():
        click.echo(f"{key}={value}")
    sys.stdout.flush()
    hint = "Ctrl+C로 종료합니다" if state.lang == "ko" else "Press Ctrl+C to stop"
    state.err.print(f"# {hint}", markup=False)
    try:
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        boxes.stop()


@main.command()
@click.option("--flavor", type=click.Choice(["cloud", "datacenter"]), default="cloud", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="cxsync-demo", show_default=True)
@click.pass_obj
def demo(state: Context, flavor: str, out_dir: str) -> None:
    """Start both sandboxes with the example data, then plan, apply and sync again."""
    from cxsync.demo import run_demo

    run_demo(state.out, state.lang_option or "ko", flavor, Path(out_dir))  # type: ignore[arg-type]


def _add_team_commands() -> None:
    from cxsync import team_cli

    for command in (team_cli.history, team_cli.explain, team_cli.doctor, team_cli.init):
        main.add_command(command)


_add_team_commands()


def _add_group_command() -> None:
    from cxsync.group_cli import group

    main.add_command(group)


_add_group_command()
