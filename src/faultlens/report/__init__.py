"""Renderers: draw a Report built by the analyses; they compute nothing of their own."""

from __future__ import annotations

from collections.abc import Callable

from faultlens.model import Report
from faultlens.report.html import render_html
from faultlens.report.json_report import render_json
from faultlens.report.markdown import render_markdown

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {"json": render_json, "markdown": render_markdown, "html": render_html}
"""Text renderers by `--format` name; `table` draws to the terminal with Rich instead."""

__all__ = ["RENDERERS", "Renderer"]
