"""`analyze --explain-grouping`: what each issue's fingerprint was made of, so a user can see why
two events were, or were not, one issue, and which rule, if any, decided it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from faultlens.grouping.session import JOINED_BY
from faultlens.model import Issue

_KEY_NAMES = {
    "all-frames": "its full trace (every frame) matched an earlier event's, so changed in-app frames or rules "
                  "did not split the issue",
    "crash-site": "same exception, crash site and message as the issue's events, reached by another call path",
    "earlier-template": "its message template merged into another since the issue began",
}


def grouping_lines(issue: Issue) -> list[tuple[str, str]]:
    """(label, text) rows describing an issue's fingerprint parts, in the order they were hashed."""
    rows: list[tuple[str, str]] = []
    template = issue.sample.template if issue.sample is not None else None
    for part in issue.grouping:
        kind, _, value = part.partition(":")
        if part.startswith(JOINED_BY):
            rows.append(("joined by", _KEY_NAMES.get(value, value)))
        elif kind == "rule":
            rows.append(("rule", value))
        elif kind == "fixed":
            rows.append(("fingerprint", f"{value} (fixed by the rule)"))
        elif kind == "explicit":
            rows.append(("fingerprint", f"{value} (set by the producer)"))
        elif kind == "context":
            rows.append(("", f"  {value}"))
        elif kind == "template":
            rows.append(("template", f"{template}  [{value}]" if template else value))
        else:
            rows.append((kind, value))
    return rows


def render_grouping(issues: Sequence[Issue], console: Console) -> None:
    """Print one small table per issue: the parts of its fingerprint."""
    console.print("[bold]Grouping[/bold]  [dim]the parts each issue's fingerprint was made of[/dim]")
    for rank, issue in enumerate(issues, start=1):
        console.print(f"\n[bold]#{rank}[/bold] {escape(_short(issue.title, 100))}  [dim]{issue.fingerprint}[/dim]",
                      soft_wrap=True)
        table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
        table.add_column("part", style="cyan", no_wrap=True)
        table.add_column("value", overflow="fold")
        for label, text in grouping_lines(issue):
            table.add_row(escape(label), escape(text))
        console.print(table)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
