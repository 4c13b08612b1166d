"""The Markdown report, for pasting into an incident channel or a ticket."""

from __future__ import annotations

from datetime import datetime

from faultlens.model import Issue, Report


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
    lines += ["", "## Issues by impact", "",
              "| # | level | title | count | users | services | first seen | last seen |",
              "|---|---|---|---:|---:|---|---|---|"]
    for rank, issue in enumerate(report.issues, start=1):
        lines.append(f"| {rank} | {issue.level} | {_cell(issue.title)} | {issue.count:,} | {issue.users:,} | "
                     f"{', '.join(issue.services)} | {_t(issue.first_seen)} | {_t(issue.last_seen)} |")
    for rank, issue in enumerate(report.issues[:10], start=1):
        lines += ["", *_issue_section(rank, issue)]
    return "\n".join(lines) + "\n"


def _issue_section(rank: int, issue: Issue) -> list[str]:
    out = [f"### {rank}. {issue.title}", "",
           f"- fingerprint `{issue.fingerprint}`, {issue.count:,} events, {issue.users:,} users",
           f"- services: {', '.join(issue.services) or '-'}; releases: {', '.join(issue.releases) or '-'}"]
    if issue.culprit:
        out.append(f"- culprit: `{issue.culprit}`")
    sample = issue.sample
    if sample is not None:
        out.append(f"- sample: {sample.source.path}:{sample.source.line}")
        if sample.stacktrace:
            out += ["", "```", *sample.stacktrace.splitlines()[:30], "```"]
    return out
