"""The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched).

Every value that came from a log is escaped by Jinja2's autoescaping: log lines are written by
whoever sent the request, so they are hostile input.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from faultlens.model import Report
from faultlens.report.charts import bar_chart
from faultlens.report.json_report import report_json

_ENV = Environment(loader=PackageLoader("faultlens.report", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report) -> str:
    markers = [(d.deploy.time, f"{d.deploy.service} {d.deploy.release}") for d in report.deploys]
    charts = {issue.fingerprint: bar_chart(issue.trend.series, markers) if issue.trend else None
              for issue in report.issues}
    return _ENV.get_template("report.html").render(report=report, data=report_json(report), charts=charts)
