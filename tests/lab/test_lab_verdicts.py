"""The fault lab: faultlens's verdicts on real multi-service runs against the verdicts written before them.

Each scenario under tests/fixtures/lab holds the logs of one run (gateway access log, orders JSON
lines, inventory Python text), the spans the services exported, and expected.json, written by
hand before the run and never edited to fit the results. Every verdict there becomes one test
case here, so a wrong verdict fails alone. When faultlens gets one wrong, the case is listed in
WRONG with the reason, as a strict xfail: fixing faultlens turns it into a failure that asks for
the entry to be removed. Nothing here is loosened to make a case pass.

An expected issue is matched by its `match` keys (a service among the issue's services, the exact
exception type, a piece of the title); when several issues match, the one with the most events
is judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import zstandard

from faultlens.analysis.overview import build_report
from faultlens.report.json_report import report_json
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

LAB = Path(__file__).resolve().parents[1] / "fixtures" / "lab"
SCENARIOS = sorted(p.parent.name for p in LAB.glob("*/expected.json"))
SEVERITY_ORDER = ("low", "medium", "high", "critical")
LAB_SERVICES = ("gateway", "inventory", "orders")

WRONG: dict[tuple[str, str], str] = {}
"""(scenario, check) → why faultlens's verdict is wrong: the findings of the lab, kept failing as strict xfails."""

Report = dict[str, Any]


@cache
def analysed(scenario: str) -> Report:
    """The JSON report of `faultlens analyze <scenario>/logs`, built in-process on an in-memory store."""
    store = open_store(":memory:")
    try:
        stats = Ingestor(store, IngestOptions()).run([str(LAB / scenario / "logs")])
        return report_json(build_report(store, stats))
    finally:
        store.close()


@cache
def expected(scenario: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LAB / scenario / "expected.json").read_text(encoding="utf-8"))
    return data


def matching(report: Report, match: dict[str, str]) -> dict[str, Any] | None:
    """The largest issue that fits every key of `match`."""
    found = [issue for issue in report["issues"]
             if ("service" not in match or match["service"] in issue["services"])
             and ("type" not in match or issue["type"] == match["type"])
             and ("title_contains" not in match or match["title_contains"] in issue["title"])]
    return max(found, key=lambda issue: issue["count"], default=None)


def describe(match: dict[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in match.items())


@dataclass(frozen=True, slots=True)
class Check:
    """One expected verdict of one scenario: `verify` fails with what faultlens said instead."""

    scenario: str
    name: str
    verify: Callable[[Report], object]


def issue_checks(scenario: str, want: dict[str, Any]) -> Iterator[Check]:
    match = want["match"]
    label = describe(match)

    def issue(report: Report) -> dict[str, Any]:
        found = matching(report, match)
        titles = [f"{i['services']} {i['title'][:80]}" for i in report["issues"]]
        assert found is not None, f"no issue matches {label}; issues: {titles}"
        return found

    yield Check(scenario, f"{label}: present", issue)
    if want.get("trend"):
        def trend(report: Report) -> None:
            found = issue(report)["trend"]
            assert found["status"] == want["trend"], f"trend {found['status']}: {found['reason']}"
        yield Check(scenario, f"{label}: trend {want['trend']}", trend)
    if want.get("category"):
        def category(report: Report) -> None:
            found = issue(report)
            assert found["category"] == want["category"], f"category {found['category']}: {found['category_reason']}"
        yield Check(scenario, f"{label}: category {want['category']}", category)
    if want.get("severity_at_least"):
        def severity(report: Report) -> None:
            found = issue(report)
            assert SEVERITY_ORDER.index(found["severity"]) >= SEVERITY_ORDER.index(want["severity_at_least"]), \
                f"severity {found['severity']}: {found['severity_reason']}"
        yield Check(scenario, f"{label}: severity at least {want['severity_at_least']}", severity)
    if want.get("observability"):
        def observability(report: Report) -> None:
            found = issue(report)
            assert found["observability"] == want["observability"], \
                f"observability {found['observability']}: {found['observability_reason']}"
        yield Check(scenario, f"{label}: observability {want['observability']}", observability)
    if want.get("suspect_deploy_release"):
        def suspect(report: Report) -> None:
            found = issue(report)["suspect_deploy"]
            assert found is not None and found["release"] == want["suspect_deploy_release"], \
                f"suspect deploy {found}; trend {issue(report)['trend']['status']}"
        yield Check(scenario, f"{label}: suspect deploy {want['suspect_deploy_release']}", suspect)


def deploy_checks(scenario: str, deploys: list[dict[str, Any]]) -> Iterator[Check]:
    if not deploys:
        def none(report: Report) -> None:
            assert report["deploys"] == [], f"deploys reported: {[(d['service'], d['release'], d['kind']) for d in report['deploys']]}"
        yield Check(scenario, "no deploy", none)
    for want in deploys:
        def deploy(report: Report, want: dict[str, Any] = want) -> None:
            found = [d for d in report["deploys"] if d["service"] == want["service"] and d["release"] == want["release"]]
            assert found, f"deploys reported: {[(d['service'], d['release']) for d in report['deploys']]}"
            if "significant" in want:
                d = found[0]
                assert d["significant"] == want["significant"], \
                    f"before {d['before']}, after {d['after']}, p {d['p_value']}"
        yield Check(scenario, f"deploy {want['service']} {want['release']}", deploy)


def no_trend_check(scenario: str, statuses: list[str]) -> Check:
    def no_alarm(report: Report) -> None:
        alarms = [(i["services"], i["title"][:80], i["trend"]["status"], i["trend"]["reason"])
                  for i in report["issues"] if i["trend"] and i["trend"]["status"] in statuses]
        assert not alarms, f"alarms: {alarms}"
    return Check(scenario, f"no issue {'/'.join(statuses)}", no_alarm)


def checks() -> Iterator[Check]:
    for scenario in SCENARIOS:
        want = expected(scenario)
        for issue in want.get("issues") or []:
            yield from issue_checks(scenario, issue)
        if want.get("deploys") is not None:
            yield from deploy_checks(scenario, want["deploys"])
        if want.get("no_trend"):
            yield no_trend_check(scenario, want["no_trend"])


def _params() -> list[Any]:
    params = []
    for check in checks():
        reason = WRONG.get((check.scenario, check.name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(check, id=f"{check.scenario}: {check.name}", marks=marks))
    return params


@pytest.mark.parametrize("check", _params())
def test_verdict(check: Check) -> None:
    """faultlens reaches the verdict written down for the scenario before it was run."""
    check.verify(analysed(check.scenario))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_incident(scenario: str) -> None:
    """The report names the incident's origin service, root-cause kind and affected services, or none."""
    want = expected(scenario)["incident"]
    incidents = analysed(scenario)["incidents"]
    if want is None:
        assert incidents == []
        return
    assert incidents, "no incident reported"
    incident = incidents[0]
    assert incident["origin_service"] == want["origin_service"]
    assert incident["root_cause"]["kind"] == want["root_cause_kind"]
    assert set(want["affected_services"]) <= set(incident["affected_services"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fixture_is_whole(scenario: str) -> None:
    """Each run kept every service's log and its spans as OTLP/JSON with hex ids."""
    folder = LAB / scenario
    assert sorted(p.name for p in (folder / "logs").iterdir()) == [f"{s}.log.zst" for s in LAB_SERVICES]
    text = zstandard.ZstdDecompressor().decompressobj().decompress((folder / "otlp" / "traces.jsonl.zst").read_bytes())
    first = json.loads(text.decode("utf-8").splitlines()[0])
    span = first["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert re.fullmatch(r"[0-9a-f]{32}", span["traceId"]) and re.fullmatch(r"[0-9a-f]{16}", span["spanId"])
    assert analysed(scenario)["summary"]["files"] == len(LAB_SERVICES)
