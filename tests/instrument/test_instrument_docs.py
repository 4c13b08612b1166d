"""docs/instrument.md shows the apps the tests run, as they are, and documents every exported name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import faultlens.instrument

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "instrument.md").read_text()
APPS = Path(__file__).parent / "apps"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", PAGE, re.DOTALL)


def test_the_documented_apps_are_the_apps_the_tests_run():
    """Each app file appears whole in the page, so the page shows what was run."""
    python_blocks = blocks("python")
    for app in ("checkout.py", "inventory.py"):
        assert (APPS / app).read_text().rstrip("\n") in python_blocks, app


def test_the_log_lines_shown_are_in_the_layout():
    """Every line the page shows as output is one JSON object in the layout, with the service that wrote it."""
    shown = [json.loads(line) for block in blocks("json") for line in block.splitlines()]
    assert {line["service"] for line in shown} == {"checkout", "inventory"}
    for line in shown:
        assert set(line) <= set(faultlens.instrument._layout.LAYOUT_KEYS) and line["correlation_id"]


def test_every_exported_name_is_documented():
    """Every name faultlens.instrument exports is named in the page."""
    assert [name for name in faultlens.instrument.__all__ if f"`{name}" not in PAGE and f"{name}(" not in PAGE] == []


def test_the_readme_links_the_page():
    """The README links docs/instrument.md."""
    assert "(docs/instrument.md)" in (ROOT / "README.md").read_text()
