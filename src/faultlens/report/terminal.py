"""The terminal report: issues ranked by priority, the deploys around them, and the deliverables
for the leading issues, drawn with Rich."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from faultlens.model import DeployImpact, Incident, Issue, Report

LEVEL_STYLE = {"fatal": "bold white on red", "error": "red", "warning": "yellow", "info": "cyan", "debug": "dim"}
SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "dim"}
TREND_STYLE = {"new": "bold magenta", "spiking": "bold red", "regressed": "bold yellow", "resolved": "green",
               "ongoing": "dim"}


def _t(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M:%S") if value else "-"


def render_terminal(report: Report, console: Console, details: int = 3) -> None:
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
    console.print(_issues_table(report))
    if report.total_issues > len(report.issues):
        hidden = report.total_issues - len(report.issues)
        console.print(f"[dim]{hidden} more issues; use --limit or --format json[/dim]")
    if report.deploys:
        console.print(_deploys_table(report.deploys))
    for incident in report.incidents:
        console.print(_incident_panel(incident))
    for rank, issue in enumerate(report.issues[:details], start=1):
        if issue.deliverables is not None:
            console.print(_deliverables_panel(rank, issue))


def _issues_table(report: Report) -> Table:
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("#", justify="right", style="dim", width=3)
    table.add_column("severity", width=9)
    table.add_column("trend", width=9)
    table.add_column("events", justify="right", width=7)
    table.add_column("users", justify="right", width=6)
    table.add_column("issue", overflow="fold", ratio=1)
    for rank, issue in enumerate(report.issues, start=1):
        details = [escape(issue.culprit)] if issue.culprit else []
        details.append(escape(", ".join(issue.services)) or "-")
        if issue.category and issue.observability:
            details.append(f"{issue.category.value}, {issue.observability.value}")
        details.append(f"{_t(issue.first_seen)} → {_t(issue.last_seen)}")
        cell = f"[bold]{escape(_short(issue.title, 160))}[/bold]\n[dim]{' · '.join(details)}[/dim]"
        severity = issue.severity.value if issue.severity else issue.level
        status = issue.trend.status if issue.trend else "-"
        table.add_row(str(rank), f"[{SEVERITY_STYLE.get(severity, LEVEL_STYLE.get(severity, ''))}]{severity}[/]",
                      f"[{TREND_STYLE.get(status, '')}]{status}[/]", f"{issue.count:,}", f"{issue.users:,}", cell)
    return table


def _deploys_table(deploys: list[DeployImpact]) -> Table:
    table = Table(title="Deploys and changes", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  expand=True)
    for name, justify in (("time", "left"), ("service", "left"), ("change", "left"), ("errors before", "right"),
                          ("after", "right"), ("new issues", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for impact in deploys:
        deploy = impact.deploy
        change = (f"config: {escape(_short(deploy.description or '', 60))}" if deploy.kind == "config"
                  else f"{escape(deploy.previous_release or '?')} → {escape(deploy.release)}")
        after = _rate(impact.rate_after)
        if impact.significant:
            after = f"[bold red]{after}[/bold red]"
        table.add_row(_t(deploy.time), escape(deploy.service), change, _rate(impact.rate_before), after,
                      str(len(impact.suspected_issues)))
    return table


def _incident_panel(incident: Incident) -> Panel:
    trigger = incident.trigger
    text = Text()
    text.append(f"{_t(incident.start)} → {_t(incident.end)} UTC · severity {incident.severity} · {incident.status} · "
                f"{incident.errors:,} errors · {incident.users:,} users\n")
    text.append("Cascade: ", style="bold")
    text.append(" → ".join(incident.affected_services) + "\n")
    text.append("Trigger: ", style="bold")
    text.append((f"{trigger.description} ({_t(trigger.time)})" if trigger.kind else "none found") + "\n")
    text.append(incident.root_cause_summary + "\n")
    text.append("Five whys\n", style="bold")
    for number, why in enumerate(incident.five_whys, start=1):
        text.append(f"  {number}. {why.answer}\n")
        for item in why.evidence[:1]:
            text.append(f"     evidence: {_short(item, 140)}\n", style="dim")
    title = f"Incident {incident.id}: {incident.origin_service or 'unknown origin'} ({incident.root_cause_kind})"
    return Panel(text, title=escape(title), title_align="left", border_style="red", expand=True)


def _deliverables_panel(rank: int, issue: Issue) -> Panel:
    d = issue.deliverables
    assert d is not None
    parts: list[Text | Table] = []

    def section(title: str, body: str | list[str]) -> None:
        text = Text(title + "\n", style="bold")
        if isinstance(body, str):
            text.append(body + "\n")
        else:
            for number, line in enumerate(body, start=1):
                text.append(f"  {number}. {line}\n")
        parts.append(text)

    section("Error summary", d.summary)
    section("Root cause", d.root_cause)
    whys = Text("Five whys\n", style="bold")
    for number, why in enumerate(d.five_whys, start=1):
        whys.append(f"  {number}. {why.answer}\n")
        for item in why.evidence[:2]:
            whys.append(f"     evidence: {_short(item, 140)}\n", style="dim")
    parts.append(whys)
    section("Evidence", [_short(e.splitlines()[0], 160) for e in d.evidence[:5]])
    section("Immediate fix", d.immediate_fix)
    section("Testing strategy", d.testing)
    section("Preventive measures", d.prevention)
    section("Monitoring", d.monitoring)
    section("Runbook", d.runbook)
    if issue.suspect_commits:
        section("Suspect commits", [f"{c.sha[:10]} {c.date:%Y-%m-%d} {c.author}: {c.message} — {c.reason}"
                                    for c in issue.suspect_commits])
    title = f"#{rank} {_short(issue.title, 90)}"
    return Panel(Group(*parts), title=escape(title), title_align="left", expand=True)


def _rate(value: float | None) -> str:
    return f"{value:.2%}" if value is not None else "-"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
