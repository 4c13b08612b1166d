"""The terminal report: issues ranked by impact, drawn with Rich."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from faultlens.model import Report

LEVEL_STYLE = {"fatal": "bold white on red", "error": "red", "warning": "yellow", "info": "cyan", "debug": "dim"}


def _t(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M:%S") if value else "-"


def render_terminal(report: Report, console: Console) -> None:
    stats = report.stats
    window = f"{_t(report.window_start)} → {_t(report.window_end)} UTC" if report.window_start else "no events"
    console.print(
        f"[bold]faultlens[/bold]  {stats.records:,} records from {stats.files} file(s) · "
        f"{report.total_events:,} events · {report.total_issues:,} issues · "
        f"{len(report.services)} services · {window}"
    )
    if stats.skipped_inputs:
        console.print(f"[yellow]skipped {stats.skipped_inputs} input(s); see the messages above[/yellow]")
    if not report.issues:
        console.print("No errors or warnings found.")
        return
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("#", justify="right", style="dim", width=3)
    table.add_column("level", width=7)
    table.add_column("events", justify="right", width=7)
    table.add_column("users", justify="right", width=6)
    table.add_column("issue", overflow="fold", ratio=1)
    for rank, issue in enumerate(report.issues, start=1):
        details = [escape(issue.culprit)] if issue.culprit else []
        details.append(escape(", ".join(issue.services)) or "-")
        details.append(f"{_t(issue.first_seen)} → {_t(issue.last_seen)}")
        cell = f"[bold]{escape(issue.title)}[/bold]\n[dim]{' · '.join(details)}[/dim]"
        table.add_row(str(rank), f"[{LEVEL_STYLE.get(issue.level, '')}]{issue.level}[/]", f"{issue.count:,}",
                      f"{issue.users:,}", cell)
    console.print(table)
    if report.total_issues > len(report.issues):
        hidden = report.total_issues - len(report.issues)
        console.print(f"[dim]{hidden} more issues; use --limit or --format json[/dim]")
