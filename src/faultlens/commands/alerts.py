"""`faultlens alerts`: alert rules for what the analysis saw, for Prometheus or Datadog; `alerts test` tries a webhook.

`faultlens alerts [PATH...]` writes rules as it always has: any first argument that is not a
subcommand goes to `alerts rules`, so only a file literally named `test` needs writing `./test`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from faultlens.analysis.alerts import build_alert_rules
from faultlens.analysis.overview import build_report
from faultlens.commands import DbOption, app, warn
from faultlens.config import load_config
from faultlens.errors import UsageError
from faultlens.model import IngestStats
from faultlens.report.alert_rules import render_datadog, render_prometheus
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import DEFAULT_DB, open_store


class _RulesUnlessSubcommand(TyperGroup):
    """Sends `faultlens alerts [PATH...] [OPTIONS]` to `alerts rules`, so the command reads as it always did."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["rules", *args]
        return super().parse_args(ctx, args)


alerts_app = typer.Typer(cls=_RulesUnlessSubcommand, help="Alert rules for Prometheus or Datadog (`alerts rules`, "
                         "the default), and a test of a webhook `faultlens serve` alerts (`alerts test`).")
app.add_typer(alerts_app, name="alerts")


class AlertFormat(StrEnum):
    prometheus = "prometheus"
    datadog = "datadog"


@alerts_app.command("rules")
def alerts(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Log inputs to analyze first; without them, the store named by --db is read.")] = None,
    db: DbOption = DEFAULT_DB,
    output_format: Annotated[AlertFormat, typer.Option("--format", "-f", help="prometheus or datadog.")] = (
        AlertFormat.prometheus),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the rules to this file.")] = None,
    runbook_base: Annotated[str, typer.Option(
        help="Where the HTML report will live: runbook links point into it.")] = "faultlens-report.html",
) -> None:
    """Write alert rules for the issues and error rates seen: a Prometheus rule file or Datadog monitors."""
    if not paths and db != ":memory:" and not Path(db).exists():
        raise UsageError(f"no store at {db}; give log inputs to analyze, or run `faultlens analyze` first")
    store = open_store(db)
    try:
        stats = Ingestor(store, IngestOptions(), warn=warn).run(paths) if paths else IngestStats()
        if paths and stats.files == 0:
            raise UsageError("nothing readable was given; name log files, directories, globs or - for stdin")
        report = build_report(store, stats, deliverable_issues=0)
        rules = build_alert_rules(report, store.query("service_minutes"), runbook_base,
                                  store.query("latency_histogram"))
    finally:
        store.close()
    text = render_prometheus(rules) if output_format is AlertFormat.prometheus else render_datadog(rules)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@alerts_app.command("test")
def alerts_test(
    webhook: Annotated[str, typer.Option("--webhook", help="The webhook URL to send a sample alert to.")],
    slack: Annotated[bool, typer.Option("--slack", help="Send Slack's shape (text and blocks) instead of "
                                        "the generic JSON.")] = False,
    allow_network: Annotated[list[str] | None, typer.Option(
        "--allow-network", help="A private network the webhook may be in (e.g. 10.0.0.0/8); repeatable. "
        "Adds to [server] webhook_allowed_networks.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Settings file (default: faultlens.toml).")] = None,
) -> None:
    """Send one sample alert to a webhook, once, and report its answer."""
    # the server's modules load only here: every other command starts without them
    from faultlens.server.alerting import read_alert_settings
    from faultlens.server.webhooks import Alert, WebhookSender, WebhookTarget, parse_networks

    settings = read_alert_settings(load_config(config).server, str(config) if config else None)
    try:
        extra = parse_networks(allow_network or [])
    except ValueError as exc:
        raise UsageError(f"--allow-network: {exc}; give a network such as 10.0.0.0/8") from None
    sender = WebhookSender((*settings.allowed_networks, *extra), attempts=1)
    alert = Alert("test", "faultlens can reach this webhook", "A sample alert from `faultlens alerts test`: "
                  "alerts from `faultlens serve` will arrive in this shape.", datetime.now(UTC), "alerts test")
    started = time.perf_counter()
    try:
        response = sender.send(WebhookTarget("test", webhook, "slack" if slack else "json"), alert)
    finally:
        sender.close()
    took = (time.perf_counter() - started) * 1000
    answer = response.text.strip()[:200]
    typer.echo(f"{webhook} answered {response.status_code} in {took:.0f} ms" + (f": {answer}" if answer else ""))
