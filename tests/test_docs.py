"""Every command is documented: a command missing from docs/cli.md or the README fails here."""

from __future__ import annotations

from pathlib import Path

import typer.main

from faultlens import cli

ROOT = Path(__file__).resolve().parents[1]


def command_names() -> list[str]:
    group = typer.main.get_command(cli.app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        names.append(name)
        names.extend(f"{name} {sub}" for sub in getattr(command, "commands", {}))
    return names


def test_every_command_is_in_the_reference():
    """docs/cli.md names every command and subcommand the CLI registers."""
    reference = (ROOT / "docs" / "cli.md").read_text()
    missing = [name for name in command_names()
               if f"`faultlens {name}" not in reference and not _sub_listed(name, reference)]
    assert missing == []


def test_every_top_level_command_is_in_the_readme():
    """The README's command table lists every top-level command."""
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in command_names() if " " not in name and f"`faultlens {name}" not in readme]
    assert missing == []


def test_every_linked_doc_exists():
    """Links from the README and the reference point at files that exist."""
    import re

    for page in (ROOT / "README.md", ROOT / "docs" / "cli.md"):
        for target in re.findall(r"\]\(([^)#]+\.md)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)


def _sub_listed(name: str, reference: str) -> bool:
    """`projects create` is listed as `faultlens projects create|list|...`."""
    group, _, sub = name.partition(" ")
    return bool(sub) and any(f"`faultlens {group} " in line and sub in line for line in reference.splitlines())
