"""The Markdown report, for pasting into an incident channel, a ticket or a postmortem."""

from __future__ import annotations

import re
from datetime import datetime

from faultlens.model import Deliverables, Incident, Issue, Report


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rate(value: float | None) -> str:
    return f"{value:.2%}" if value is not None else "-"


def _fence(text: str) -> list[str]:
    """A code block whose fence is longer than any backtick run inside, so hostile text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *text.splitlines(), fence]


def render_markdown(report: Report) -> str:
    stats = report.stats
    lines = [
        "# faultlens report",
        "",
        f"Window: {_t(report.window_start)} to {_t(report.window_end)}  ",
        f"Read {stats.records:,} records from {stats.files} file(s); {report.total_events:,} events in "
        f"{report.total_issues:,} issues across {len(report.services)} service(s): {', '.join(report.services)}.",
    ]
    if stats.skipped_inputs or stats.problems:
        lines += ["", f"Skipped {stats.skipped_inputs} input(s); {len(stats.problems)} problem(s):", ""]
        lines += [f"- {_cell(p)}" for p in stats.problems[:20]]
    lines += ["", "## Issues by priority", "",
              "| # | severity | trend | title | events | users | services | category | observability | first seen |",
              "|---|---|---|---|---:|---:|---|---|---|---|"]
    for rank, issue in enumerate(report.issues, start=1):
        lines.append(
            f"| {rank} | {issue.severity.value if issue.severity else issue.level} | "
            f"{issue.trend.status if issue.trend else '-'} | {_cell(issue.title)} | {issue.count:,} | "
            f"{issue.users:,} | {', '.join(issue.services)} | {issue.category.value if issue.category else '-'} | "
            f"{issue.observability.value if issue.observability else '-'} | {_t(issue.first_seen)} |")
    if report.service_rates:
        lines += ["", "## Error rate by service", "", "| service | records | errors | error rate | failed requests |",
                  "|---|---:|---:|---:|---:|"]
        for rate in report.service_rates:
            lines.append(f"| {rate.service} | {rate.records:,} | {rate.errors:,} | {_rate(rate.error_rate)} | "
                         f"{rate.failed_requests:,} of {rate.requests:,} |")
    if report.deploys:
        lines += ["", "## Deploys and changes", "",
                  "| time | service | change | error rate before | after | p-value | new issues after it |",
                  "|---|---|---|---:|---:|---:|---:|"]
        for impact in report.deploys:
            deploy = impact.deploy
            change = (f"config: {_cell(deploy.description or '')}" if deploy.kind == "config"
                      else f"{deploy.previous_release or '?'} → {deploy.release}")
            p = f"{impact.p_value:.2g}" if impact.p_value is not None else "-"
            lines.append(f"| {_t(deploy.time)} | {deploy.service} | {_cell(change)} | {_rate(impact.rate_before)} | "
                         f"{_rate(impact.rate_after)} | {p} | {len(impact.suspected_issues)} |")
    if report.incidents:
        lines += ["", "## Incidents"]
        for incident in report.incidents:
            lines += ["", *_incident_section(incident)]
    for rank, issue in enumerate(report.issues, start=1):
        if issue.deliverables is not None:
            lines += ["", *_issue_section(rank, issue, issue.deliverables)]
    return "\n".join(lines) + "\n"


def _incident_section(incident: Incident) -> list[str]:
    trigger = incident.trigger
    out = [f"### {incident.id}: {incident.origin_service or 'unknown origin'} ({incident.root_cause_kind})", "",
           f"{_t(incident.start)} to {_t(incident.end)} · severity **{incident.severity}** · {incident.status} · "
           f"{incident.errors:,} errors · {incident.users:,} users  ",
           f"Cascade: {' → '.join(incident.affected_services)}  ",
           f"Trigger: {_cell(trigger.description or '-') if trigger.kind else 'none found'}"
           + (f" ({trigger.kind}, {_t(trigger.time)})" if trigger.kind else ""), "",
           _cell(incident.root_cause_summary), ""]
    for number, why in enumerate(incident.five_whys, start=1):
        out.append(f"{number}. **Why?** {_cell(why.answer)}  ")
        out.append(f"   Evidence: {_cell('; '.join(why.evidence))}")
    out += ["", "Evidence:", ""]
    out += [f"- {_cell(item)}" for item in incident.evidence]
    return out


def _issue_section(rank: int, issue: Issue, d: Deliverables) -> list[str]:
    out = [f"## {rank}. {_cell(issue.title)}", "",
           f"`{issue.fingerprint}` · severity **{issue.severity.value if issue.severity else '-'}** "
           f"({_cell(issue.severity.reason) if issue.severity else ''}) · "
           f"{issue.category.value if issue.category else '-'} · "
           f"{issue.observability.value if issue.observability else '-'} "
           f"({_cell(issue.observability.reason) if issue.observability else ''})",
           "", "### Error summary", "", _cell(d.summary),
           "", "### Root cause", "", _cell(d.root_cause), ""]
    for number, why in enumerate(d.five_whys, start=1):
        out.append(f"{number}. **Why?** {_cell(why.answer)}  ")
        out.append(f"   Evidence: {_cell('; '.join(why.evidence))}")
    out += ["", "### Evidence", ""]
    for item in d.evidence:
        if "\n" in item:
            head, _, body = item.partition("\n")
            out += [f"- {_cell(head)}", "", *_fence(body), ""]
        else:
            out.append(f"- {_cell(item)}")
    out += ["", "### Immediate fix", "", _cell(d.immediate_fix)]
    for block in d.fix_code:
        out += ["", f"{block.get('runtime', '')} ({block.get('library', '')}):".strip(), "",
                *_fence(block.get("code", ""))]
    for title, items in (("Testing strategy", d.testing), ("Preventive measures", d.prevention),
                         ("Monitoring recommendations", d.monitoring), ("Runbook", d.runbook)):
        out += ["", f"### {title}", ""]
        out += [f"{n}. {_cell(item)}" for n, item in enumerate(items, start=1)]
    if issue.suspect_commits:
        out += ["", "### Suspect commits", ""]
        out += [f"- `{c.sha[:10]}` {_t(c.date)} {_cell(c.author)}: {_cell(c.message)} — {_cell(c.reason)}"
                for c in issue.suspect_commits]
    return out
