"""The notices an incident commander sends, filled from an Incident: the initial notification, the
mitigation update and the postmortem draft, in Markdown for a chat channel, a status page or a doc.

The initial notice gives the error rates of the first ten minutes, when it would have been sent
(its user count, labelled so, covers the whole incident); the update and the postmortem speak as
of the end of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from faultlens.model import Incident, Issue, Report, ServiceImpact

NOTICES: tuple[str, ...] = ("initial", "update", "postmortem")
"""The notice names `faultlens incident --notice` takes (besides `all`), in the order they are sent."""
_STATUS_TITLE = {"ongoing": "Identified, still failing", "mitigated": "Mitigated", "resolved": "Resolved"}


def render_notices(report: Report, notice: str = "all") -> str:
    """The chosen notices of every incident of the report, one after another."""
    wanted = NOTICES if notice == "all" else (notice,)
    issues = {issue.fingerprint: issue for issue in report.issues}
    parts = []
    for incident in report.incidents:
        for name in wanted:
            text = RENDERERS[name](incident)
            if name == "postmortem":
                text += _suspects([issues[fp] for fp in incident.issues if fp in issues])
            parts.append(text)
    return "\n\n---\n\n".join(parts) + "\n"


def initial_notice(incident: Incident) -> str:
    """Sent at detection: what is failing, how badly, for whom, and what is being done."""
    origin = incident.origin_service or "unknown service"
    lines = [f"## INCIDENT: {origin} failing — {', '.join(incident.affected_services)} affected", "",
             f"**Severity:** {incident.severity.capitalize()}  ",
             "**Status:** Investigating  ",
             f"**Started:** {_t(incident.start)}  ",
             f"**Incident:** `{incident.id}`", "", "### Symptoms", ""]
    for impact in incident.impacts:
        lines.append(f"- {impact.service} {_measure(impact)}: {_pct(impact.rate_early)} in the first 10 minutes "
                     f"(normal: {_pct(impact.rate_before)})")
    lines.append(f"- Affected users: {incident.users:,} over the whole incident")
    lines.append(f"- What fails: {_cell(incident.root_cause_summary)}")
    lines += ["", "### Actions under way", "",
              f"- Investigating {origin}: its errors lead; {', '.join(incident.affected_services[1:]) or 'no other'} "
              "service(s) fail with it."]
    trigger = incident.trigger
    if trigger.kind in ("deploy", "config"):
        lines.append(f"- Checking the change just before: {_cell(trigger.description or '')} at {_t(trigger.time)}; "
                     "rolling it back is the first mitigation to weigh.")
    elif trigger.kind == "load":
        lines.append(f"- Checking load: {_cell(trigger.description or '')}.")
    for step in (incident.deliverables.runbook[:2] if incident.deliverables else []):
        lines.append(f"- {_cell(step)}")
    lines += ["", "Next update in 15 minutes."]
    return "\n".join(lines)


def update_notice(incident: Incident) -> str:
    """Sent once there is a cause and a mitigation: what it was, what was done, where rates stand now."""
    lines = [f"## INCIDENT UPDATE: {_STATUS_TITLE.get(incident.status, incident.status)}", "",
             f"**Severity:** {incident.severity.capitalize()}  ",
             f"**Status:** {_STATUS_TITLE.get(incident.status, incident.status)}  ",
             f"**Duration:** {_duration(incident.start, incident.end)} ({_t(incident.start)} to {_t(incident.end)})  ",
             f"**Incident:** `{incident.id}`", "", "### Root cause", "",
             f"{_cell(incident.root_cause_summary)} (kind: {incident.root_cause_kind})", "", "### Mitigation", ""]
    if incident.mitigation:
        lines.append(f"Done: {_cell(incident.mitigation)}.")
    else:
        lines.append("No mitigation is visible in the data yet.")
        if incident.deliverables is not None:
            lines.append(f"Recommended: {_cell(incident.deliverables.immediate_fix)}")
    lines += ["", "### Current status", ""]
    for impact in incident.impacts:
        now = (f"{_pct(impact.rate_after)} now" if impact.rate_after is not None
               else "still elevated where the data ends")
        lines.append(f"- {impact.service} {_measure(impact)}: {now} (normal: {_pct(impact.rate_before)}, "
                     f"peak: {_pct(impact.rate_peak)})")
    lines += ["", "### Next steps", ""]
    lines += [f"- {_cell(item)}" for item in incident.action_items[:5]]
    lines.append("- Write the postmortem (draft below) within 48 hours.")
    return "\n".join(lines)


def postmortem(incident: Incident) -> str:
    """The draft: impact, the timeline across services, the root cause with its five whys, the factors
    that made it worse and the action items."""
    lines = [f"# Postmortem draft: {incident.origin_service or 'incident'} — {_t(incident.start)}", "",
             "## Summary", "", _cell(incident.root_cause_summary), "",
             f"Severity {incident.severity}; {incident.status}; {_duration(incident.start, incident.end)} from "
             f"{_t(incident.start)} to {_t(incident.end)}; {incident.errors:,} errors; {incident.users:,} users "
             "affected.", "", "## Impact", "",
             "| service | role | first error | errors | users | error rate before | peak | after |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for i in incident.impacts:
        lines.append(f"| {i.service} | {i.role} | {_t(i.onset)} | {i.errors:,} | {i.users:,} | {_pct(i.rate_before)} "
                     f"| {_pct(i.rate_peak)} | {_pct(i.rate_after)} |")
    lines += ["", "## Timeline (UTC)", "", "| time | service | event |", "|---|---|---|"]
    for entry in incident.timeline:
        lines.append(f"| {entry.time:%H:%M:%S} | {entry.service or ''} | {_cell(entry.what)} |")
    trigger = incident.trigger
    lines += ["", "## Root cause", "", f"Kind: **{incident.root_cause_kind}**. Origin: "
              f"**{incident.origin_service or 'unknown'}**. Trigger: "
              f"{_cell(trigger.description or 'none found') if trigger.kind else 'none found in the data'}.", ""]
    for number, why in enumerate(incident.five_whys, start=1):
        lines.append(f"{number}. **Why?** {_cell(why.answer)}  ")
        lines.append(f"   Evidence: {_cell('; '.join(why.evidence))}")
    lines += ["", "## Contributing factors", ""]
    lines += [f"- {_cell(f)}" for f in incident.contributing_factors] or ["- None found in the data."]
    lines += ["", "## Action items", ""]
    lines += [f"- [ ] {_cell(item)}" for item in incident.action_items]
    lines += ["", "## Evidence", ""]
    lines += [f"- {_cell(e)}" for e in incident.evidence]
    lines += ["", f"Issues: {', '.join(f'`{fp}`' for fp in incident.issues)}"]
    return "\n".join(lines)


RENDERERS = {"initial": initial_notice, "update": update_notice, "postmortem": postmortem}


def _suspects(issues: Sequence[Issue]) -> str:
    """The suspect commits of the incident's issues (with --repo), each once, with the issue it came from."""
    seen: set[str] = set()
    lines = []
    for issue in issues:
        for commit in issue.suspect_commits:
            if commit.sha not in seen:
                seen.add(commit.sha)
                lines.append(f"- `{commit.sha[:10]}` {_t(commit.date)} {_cell(commit.author)}: "
                             f"{_cell(commit.message)} — {_cell(commit.reason)} (issue `{issue.fingerprint}`)")
    return "\n\n## Suspect commits\n\n" + "\n".join(lines) if lines else ""


def _measure(impact: ServiceImpact) -> str:
    return "failing requests" if impact.role == "edge" else "error rate"


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _pct(value: float | None) -> str:
    return f"{value:.2%}" if value is not None else "-"


def _duration(start: datetime, end: datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
