"""`faultlens incident`: the incident notices (initial, update, postmortem) in Markdown."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from faultlens.analysis.deploys import git_tag_deploys
from faultlens.analysis.overview import build_report
from faultlens.commands import DbOption, app, err, time_option, warn
from faultlens.errors import UsageError
from faultlens.model import IngestStats
from faultlens.report.incident import render_notices
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import DEFAULT_DB, Store, open_store


class Notice(StrEnum):
    initial = "initial"
    update = "update"
    postmortem = "postmortem"
    all = "all"


@app.command()
def incident(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Logs and trace exports to analyze first; without them, the store named by --db is read.")] = None,
    db: DbOption = DEFAULT_DB,
    repo: Annotated[Path | None, typer.Option(
        "--repo", help="A git clone of the code: its tags become deploys, and issues get suspect commits.")] = None,
    notice: Annotated[Notice, typer.Option(
        "--notice", help="Which notice: initial, update, postmortem or all.")] = Notice.all,
    since: Annotated[str | None, typer.Option(help="Look only at events at or after this time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Look only at events at or before this time (ISO 8601).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the notices to this file.")] = None,
) -> None:
    """Write the notices of each incident found: the initial notification, the mitigation update and a
    postmortem draft. Exits 1 when the data holds no incident."""
    if not paths and db != ":memory:" and not Path(db).exists():
        raise UsageError(f"no store at {db}; give logs to analyze, or run `faultlens analyze` first")
    window = (time_option("--since", since), time_option("--until", until))
    store = open_store(db)
    try:
        stats = Ingestor(store, IngestOptions(), warn=warn).run(paths) if paths else IngestStats()
        if paths and stats.files == 0:
            raise UsageError("nothing readable was given; name log files, directories, globs or - for stdin")
        deploys = git_tag_deploys(repo, _services(store), _releases(store)) if repo is not None else []
        report = build_report(store, stats, since=window[0], until=window[1], extra_deploys=deploys, repo=repo)
    finally:
        store.close()
    if not report.incidents:
        err.print("No incident: errors did not rise together across services, and no failure ran through "
                  "them steadily.", highlight=False)
        raise typer.Exit(1)
    text = render_notices(report, notice.value)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _services(store: Store) -> list[str]:
    return list(store.query("totals")[0]["services"] or [])


def _releases(store: Store) -> dict[str, set[str]]:
    releases: dict[str, set[str]] = {}
    for row in store.query("release_traffic"):
        releases.setdefault(row["service"], set()).add(row["release"])
    return releases
