"""Draw `explain` results in the terminal: the error, where it started, the call chain.

Library frames are folded into one dim line per run, so the application's path stands out;
nothing is computed here that `explain` did not already decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text
from rich.tree import Tree


def render_explanation(explanations: Sequence[dict[str, Any]], console: Console | None = None) -> None:
    """Print one panel per explained trace."""
    console = console or Console()
    if not explanations:
        console.print("[dim]No stack trace found.[/dim]")
        return
    for explanation in explanations:
        console.print(_panel(explanation))


def _panel(explanation: dict[str, Any]) -> Panel:
    exceptions = explanation["exceptions"]
    final = exceptions[-1]
    title = Text(f"{final['type']}", style="bold red")
    if final["value"]:
        title.append(f": {final['value'].splitlines()[0]}", style="red")
    body: list[Any] = [title]
    origin = explanation.get("origin")
    if origin is not None:
        body.append(_labelled("Raised at", _where(origin)))
    first_app = explanation.get("first_app_frame")
    if first_app is not None:
        body.append(_labelled("Your code", _where(first_app)))
    body.append(_chain(exceptions))
    boundaries = explanation.get("async_boundaries") or []
    if boundaries:
        lines = Text("Async boundaries\n", style="bold")
        for boundary in boundaries:
            where = boundary.get("function") or boundary.get("module") or "?"
            lines.append(f"  {boundary['kind']}: {where}\n", style="yellow")
        body.append(lines)
    steps = explanation.get("next_steps") or []
    if steps:
        text = Text("Next steps\n", style="bold")
        for number, step in enumerate(steps, 1):
            text.append(f"  {number}. {step}\n")
        body.append(text)
    subtitle = f"{explanation['language']} · {explanation['fingerprint'][:12]}"
    return Panel(Group(*body), title="stack trace", subtitle=subtitle, expand=True)


def _labelled(label: str, value: str) -> Text:
    text = Text(f"{label:<10}", style="bold")
    text.append(value, style="cyan")
    return text


def _where(frame: dict[str, Any]) -> str:
    location = frame.get("filename") or frame.get("abs_path") or frame.get("module") or "?"
    if frame.get("lineno") is not None:
        location = f"{location}:{frame['lineno']}"
    function = frame.get("function")
    return f"{function}  {location}" if function else location


def _chain(exceptions: list[dict[str, Any]]) -> Tree:
    tree = Tree(Text("Call chain (oldest first, caller first)", style="bold"))
    for exception in exceptions:
        label = Text(exception["type"], style="bold magenta")
        if exception["value"]:
            label.append(f": {exception['value'].splitlines()[0]}")
        if exception["relation"]:
            label.append(f"  ({exception['relation']} of the next)", style="dim")
        node = tree.add(label)
        _add_frames(node, exception["frames"])
        if exception["frames_omitted"]:
            node.add(Text(f"… {exception['frames_omitted']} frames not printed", style="dim"))
    return tree


def _add_frames(node: Tree, frames: list[dict[str, Any]]) -> None:
    folded = 0
    for frame in frames:
        if frame.get("in_app") is False:
            folded += 1
            continue
        if folded:
            node.add(Text(f"… {folded} library frame{'s' if folded > 1 else ''}", style="dim"))
            folded = 0
        node.add(Text(_where(frame)))
    if folded:
        node.add(Text(f"… {folded} library frame{'s' if folded > 1 else ''}", style="dim"))
