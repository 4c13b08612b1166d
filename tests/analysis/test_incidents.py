"""Incidents: onsets clustered across services, the origin with and without traces, the kind and the trigger,
on hand-built inputs, on the bundled checkout incident and on the fault lab's real runs."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from faultlens.analysis.incident_cause import find_kind, find_trigger
from faultlens.analysis.incident_dependencies import DependencyNamer
from faultlens.analysis.incident_onsets import cluster_rises, find_rises
from faultlens.analysis.incident_signals import cascade_signals
from faultlens.analysis.origin import OriginInputs, blame_spans, find_origin
from faultlens.analysis.overview import build_report
from faultlens.model import Deploy, DeployImpact, Diagnosis, Issue, Report, Trigger, Verdict
from faultlens.report.html import render_html
from faultlens.report.json_report import report_json
from faultlens.report.markdown import render_markdown
from faultlens.report.terminal import render_terminal
from faultlens.runner import IngestOptions, Ingestor
from faultlens.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "checkout-incident"
LAB = ROOT / "tests" / "fixtures" / "lab"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def minute(n: int, second: int = 0) -> datetime:
    return T0 + timedelta(minutes=n, seconds=second)


def error_rows(service: str, counts: dict[int, int], fingerprint: str = "fp") -> list[dict[str, Any]]:
    """`service_error_minutes` rows: `counts` maps a minute to its errors."""
    return [{"service": service, "minute": minute(m), "fingerprint": f"{service}-{fingerprint}", "errors": n,
             "warnings": 0, "first": minute(m, 5), "last": minute(m, 50)} for m, n in counts.items() if n]


def volume_rows(service: str, minutes: int, records: int = 40) -> list[dict[str, Any]]:
    return [{"service": service, "minute": minute(m), "records": records, "errors": 0, "requests": 0,
             "failed_requests": 0} for m in range(minutes)]


class TestClustering:
    def test_services_rising_together_make_one_cluster(self):
        """Two services whose errors jump at the same minutes form one candidate incident, the earlier first."""
        rows = error_rows("orders", {m: 6 for m in range(30, 40)}) + error_rows("gateway", {m: 6 for m in range(31, 40)})
        volume = volume_rows("orders", 60) + volume_rows("gateway", 60)
        (cluster,) = cluster_rises(find_rises(rows, volume, minute(0), minute(59)))
        assert cluster.services == ["gateway", "orders"]
        assert cluster.onsets() == {"orders": minute(30, 5), "gateway": minute(31, 5)}

    def test_background_errors_make_no_cluster(self):
        """Errors spread evenly at their usual rate are background, however many there are."""
        rows = error_rows("inventory", {m: 1 for m in range(0, 60, 3)}) + error_rows("orders", {m: 2 for m in range(60)})
        volume = volume_rows("inventory", 60) + volume_rows("orders", 60)
        assert cluster_rises(find_rises(rows, volume, minute(0), minute(59))) == []

    def test_errors_that_follow_traffic_are_not_a_rise(self):
        """A service that writes five times the records writes five times the errors: no rise."""
        rows = error_rows("orders", {m: (5 if 20 <= m < 30 else 1) for m in range(60)})
        volume = [{**row, "records": 200 if 20 <= i < 30 else 40} for i, row in enumerate(volume_rows("orders", 60))]
        assert find_rises(rows, volume, minute(0), minute(59)) == []

    def test_a_lone_burst_is_not_an_incident_but_a_lone_sustained_rise_is(self):
        """One service's one-minute burst (a scanner) is dropped; minutes of failure in one service are kept."""
        burst = error_rows("gateway", {35: 12})
        volume = volume_rows("gateway", 60)
        assert find_rises(burst, volume, minute(0), minute(59)), "the burst is a rise"
        assert cluster_rises(find_rises(burst, volume, minute(0), minute(59))) == []
        sustained = error_rows("worker", {m: 5 for m in range(30, 40)})
        (cluster,) = cluster_rises(find_rises(sustained, volume_rows("worker", 60), minute(0), minute(59)))
        assert cluster.services == ["worker"]


def span(trace: str, span_id: str, parent: str | None, service: str, start: int, end: int, status: str = "unset",
         name: str = "call") -> dict[str, Any]:
    return {"trace_id": trace, "span_id": span_id, "parent_span_id": parent, "service": service, "name": name,
            "kind": None, "start": minute(0, start), "end": minute(0, end), "status": status,
            "status_message": None, "http_status": None}


def inputs(**given: Any) -> OriginInputs:
    defaults: dict[str, Any] = {"onsets": {}, "errors": {}, "intrinsic": set(), "symptom_fingerprints": set(),
                                "known_services": {"gateway", "orders", "inventory"}, "edge_services": set(),
                                "mentions": {}}
    return OriginInputs(**(defaults | given))


class TestOriginWithTraces:
    def test_the_deepest_failing_span_is_blamed_not_its_callers(self):
        """gateway → orders → inventory all fail; the failure is inventory's, child before parent."""
        spans = []
        for n in range(4):
            t = f"t{n}"
            spans += [span(t, "a", None, "gateway", 0, 10, "error"), span(t, "b", "a", "orders", 1, 9, "error"),
                      span(t, "c", "b", "inventory", 2, 8, "error")]
        votes, calls = blame_spans(spans)
        assert votes == Counter({"inventory": 4})
        assert calls == Counter({("gateway", "orders"): 4, ("orders", "inventory"): 4})
        onsets = {"gateway": minute(0), "orders": minute(0, 1), "inventory": minute(0, 2)}
        found = find_origin(inputs(onsets=onsets, spans=spans))
        assert found.origin == "inventory" and found.method == "traces"
        assert found.cascade == ["inventory", "orders", "gateway"]

    def test_a_caller_that_timed_out_inherits_the_callees_latency(self):
        """orders' call times out (error) while inventory's span, still running, never failed: inventory is blamed."""
        spans = []
        for n in range(3):
            t = f"t{n}"
            spans += [span(t, "a", None, "orders", 0, 10, "error"), span(t, "b", "a", "orders", 0, 10, "error"),
                      span(t, "c", "b", "inventory", 1, 30), span(t, "d", "a", "orders", 0, 1)]
        votes, _ = blame_spans(spans)
        assert votes == Counter({"inventory": 3})

    def test_a_failing_leaf_with_no_slow_child_is_its_own_failure(self):
        """A failing span whose children were quick and fine is where the failure happened."""
        spans = [span("t", "a", None, "gateway", 0, 10, "error"), span("t", "b", "a", "orders", 1, 9, "error"),
                 span("t", "c", "b", "inventory", 2, 3)]
        votes, _ = blame_spans(spans)
        assert votes == Counter({"orders": 1})


class TestOriginWithoutTraces:
    def test_a_named_dependency_with_its_own_errors_is_the_origin(self):
        """orders' errors name inventory, which fails on its own; the gateway's log is the edge."""
        namer = DependencyNamer({"gateway", "orders", "inventory"})
        mentions = namer.mentions([{"service": "orders", "message": "inventory call POST /reservations failed",
                                    "exc_value": "Server error '500' for url 'http://127.0.0.1:60483/reservations'",
                                    "events": 20}])
        requests = [{"services": ["gateway", "orders"], "firsts": [minute(1), minute(1, 1)],
                     "fingerprints": [["g"], ["o"]]}] * 20
        found = find_origin(inputs(onsets={"gateway": minute(1), "orders": minute(1, 1), "inventory": minute(1, 2)},
                                   intrinsic={"inventory"}, symptom_fingerprints={"g", "o"}, mentions=mentions,
                                   edge_services={"gateway"}, failing_requests=requests))
        assert found.origin == "inventory"
        assert found.cascade == ["inventory", "orders", "gateway"]
        assert any("orders calls inventory" in e and "inventory call" in e for e in found.evidence)

    def test_within_one_request_the_service_with_its_own_error_is_deeper_than_the_one_that_logged_first(self):
        """The caller times out and logs first; the callee logs its own failure later: the callee is the origin."""
        requests = [{"services": ["order-service", "payment-service"], "firsts": [minute(5), minute(5, 20)],
                     "fingerprints": [["timeout"], ["pool"]]}] * 30
        found = find_origin(inputs(
            onsets={"order-service": minute(5), "payment-service": minute(5, 20)},
            errors={"order-service": 30, "payment-service": 30}, intrinsic={"payment-service"},
            symptom_fingerprints={"timeout"}, known_services={"order-service", "payment-service"},
            failing_requests=requests))
        assert found.origin == "payment-service"
        assert found.first_loggers == Counter({"order-service": 30})
        assert any("order-service logged first, though the failure lies deeper, in payment-service" in e
                   for e in found.evidence)

    def test_without_calls_the_earliest_onset_with_its_own_error_leads(self):
        """With no call between them, the service whose errors rose first (and are its own) is the origin."""
        found = find_origin(inputs(onsets={"orders": minute(3), "inventory": minute(1)}, intrinsic={"inventory",
                                                                                                     "orders"}))
        assert found.origin == "inventory" and found.method == "onsets"

    def test_a_silent_dependency_named_by_the_failing_callers_is_the_origin(self):
        """Callers that cannot reach inventory, which logs nothing, point at inventory."""
        namer = DependencyNamer({"orders", "inventory"})
        mentions = namer.mentions([{"service": "orders", "message": "connect failed to inventory:8080 (refused)",
                                    "exc_value": "", "events": 12}])
        found = find_origin(inputs(onsets={"orders": minute(2)}, mentions=mentions, intrinsic=set(),
                                   known_services={"orders", "inventory"}))
        assert found.origin == "inventory"


class TestDependencyNames:
    def test_hosts_paths_ports_and_names_map_to_services(self):
        """A URL's host label, a served path, a learned port and a name before a failure phrase each name a service."""
        texts = [("orders", "inventory call GET /stock/SKU-1 failed: url 'http://127.0.0.1:54919/stock/SKU-1'")]
        namer = DependencyNamer({"payment-service", "order-service", "orders", "inventory"},
                                [{"service": "payment-service", "http_path": "/api/v1/payments/charge"}], texts)
        assert namer.name_in("Server error '503' for url 'http://payment-service.payments.svc:8000/x'", "worker")[0] \
            == {"payment-service"}
        assert namer.name_in('upstream: "http://10.0.4.22:8000/api/v1/payments/charge"', "gateway")[0] == \
            {"payment-service"}
        assert namer.name_in("ReadTimeout for url 'http://127.0.0.1:54919/stock/SKU-9'", "orders")[0] == {"inventory"}
        assert namer.name_in("Payment call failed for order ord-1", "order-service")[0] == {"payment-service"}

    def test_outside_dependencies_and_documentation_links(self):
        """A failing dependency that is no known service is kept as outside; a link to docs is not a dependency."""
        namer = DependencyNamer({"orders"})
        assert namer.name_in("fx-rates did not answer GET /fx/v1/quote within 1.0 s", "orders")[1] == {"fx-rates"}
        assert namer.name_in("pool timeout (Background on this error at: https://sqlalche.me/e/20/3o7r)",
                             "orders")[1] == set()
        assert namer.name_in("order 92936 not found", "orders") == (set(), set(), {})


def test_cascade_signals_are_recognised():
    """Breakers opening, retry storms, full queues and dead letters are each named, with their service."""
    rows = [{"service": "checkout", "fingerprint": "a", "message": "CircuitBreaker 'payments' is OPEN",
             "exc_value": None, "events": 3, "first": minute(2)},
            {"service": "worker", "fingerprint": "b", "message": "Retrying job sync in 30s (attempt 2 of 5)",
             "exc_value": None, "events": 9, "first": minute(1)},
            {"service": "worker", "fingerprint": "c", "message": "moved job 7 to the dead-letter queue",
             "exc_value": None, "events": 2, "first": minute(4)},
            {"service": "ingest", "fingerprint": "d", "message": "queue full: rejecting batch",
             "exc_value": None, "events": 4, "first": minute(3)},
            {"service": "api", "fingerprint": "e", "message": "retrying once", "exc_value": None, "events": 1,
             "first": minute(0)}]
    found = [(s.kind, s.service) for s in cascade_signals(rows)]
    assert found == [("retry storm", "worker"), ("circuit breaker open", "checkout"),
                     ("queue backpressure", "ingest"), ("dead letters", "worker")]


def issue(fingerprint: str, service: str, title: str, kind: str | None = None, category: str | None = None,
          count: int = 10, level: str = "error") -> Issue:
    found = Issue(fingerprint=fingerprint, title=title, type=None, message=title, level=level, count=count, users=1,
                  services=[service], releases=[], environments=[], first_seen=minute(10), last_seen=minute(20))
    if kind:
        found.diagnosis = Diagnosis(pattern_id="p", title=title, category=category or "runtime", severity="high",
                                    root_cause_kind=kind, explanation="Because.", score=1.0)
    if category:
        found.category = Verdict(category, "given")
    return found


def impact(deploy: Deploy, significant: bool = True) -> DeployImpact:
    return DeployImpact(deploy=deploy, errors_before=1, records_before=500, errors_after=80, records_after=500,
                        rate_before=0.002, rate_after=0.16, p_value=1e-9 if significant else 0.5,
                        significant=significant, window_seconds=1800)


class TestTriggerAndKind:
    def test_a_deploy_of_the_origin_just_before_is_the_trigger_and_the_kind(self):
        """A release of the origin minutes before its errors, whose error rate rose, is a deploy trigger."""
        deploy = impact(Deploy("orders", "1.8.0", minute(9), "release-change", previous_release="1.7.3"))
        trigger, change, evidence = find_trigger("orders", ["orders", "gateway"], minute(10), [deploy], [], {})
        assert (trigger.kind, trigger.service, trigger.release, trigger.time) == ("deploy", "orders", "1.8.0",
                                                                                  minute(9))
        assert change is deploy and "1 min 0 s before the first errors" in evidence[0]
        own = issue("a", "orders", "AttributeError: 'NoneType' object has no attribute 'get'", "bad-input")
        assert find_kind("orders", trigger, [own], set(), False)[0] == "deploy"

    def test_a_deploy_elsewhere_or_without_effect_is_not_the_trigger(self):
        """Another service's release, or one after which nothing rose, triggers nothing."""
        other = impact(Deploy("inventory", "2.4.0", minute(9), "release-change"))
        quiet = impact(Deploy("orders", "1.8.0", minute(9), "release-change"), significant=False)
        trigger, _, evidence = find_trigger("orders", ["orders"], minute(10), [other, quiet], [], {})
        assert trigger.kind is None
        assert "did not rise" in evidence[0]

    def test_a_config_change_is_a_configuration_trigger(self):
        """A configuration change on an affected service before the errors makes the kind configuration."""
        change = impact(Deploy("orders", "config", minute(8), "log", kind="config",
                               description="feature flag new-pricing enabled"))
        trigger, _, _ = find_trigger("inventory", ["inventory", "orders"], minute(10), [change], [], {})
        assert trigger.kind == "config" and trigger.service == "orders"
        assert find_kind("inventory", trigger, [], set(), False)[0] == "configuration"

    def test_a_traffic_surge_is_a_load_trigger(self):
        """Records per minute doubling just before the errors, against the hour before, is a load trigger."""
        traffic = {"orders": {minute(m): (400.0 if m >= 62 else 100.0) for m in range(0, 71)}}
        trigger, _, evidence = find_trigger("orders", ["orders"], minute(70), [], [], traffic)
        assert trigger.kind == "load" and "traffic rose" in evidence[0]

    def test_the_kind_follows_the_origins_own_error(self):
        """Without a change: the knowledge base's kind for the origin's own error, else its category."""
        none = Trigger(None)
        race = issue("r", "inventory", "RuntimeError: dictionary changed size during iteration", "race-condition")
        relay = issue("s", "inventory", "HTTPStatusError 503", "dependency-failure", "integration", count=50)
        assert find_kind("inventory", none, [race, relay], {"s"}, False)[:2] == ("race-condition", race)
        timeout = issue("t", "orders", "ReadTimeout", None, "integration")
        assert find_kind("orders", none, [timeout], {"t"}, False)[0] == "downstream-timeout"
        config = issue("c", "orders", "Missing setting", None, "configuration")
        assert find_kind("orders", none, [config], set(), False)[0] == "configuration"
        assert find_kind("orders", none, [issue("u", "orders", "Boom", None, "runtime")], set(), False)[0] == "unknown"
        assert find_kind("inventory", none, [], set(), True)[0] == "infrastructure"


def analyse(paths: list[Path], until: datetime | None = None) -> Report:
    store = open_store(":memory:")
    try:
        stats = Ingestor(store, IngestOptions()).run([str(p) for p in paths])
        return build_report(store, stats, until=until)
    finally:
        store.close()


@pytest.fixture(scope="module")
def example() -> Report:
    return analyse([EXAMPLE])


class TestCheckoutExample:
    """The bundled incident (examples/checkout-incident/README.md): payment-service v2.3.1 goes live at 14:00,
    its slow query exhausts the database pool from about 14:04, order-service, the worker and the gateway fail
    after it, and the rollback to v2.3.0 at 14:38 ends it.

    The root-cause kind is `deploy`, not `resource-exhaustion`: the vocabulary names what to act on, and what
    set the failure off and what ends it is the release (rolling it back is the mitigation), while the pool
    exhaustion is only the mechanism it worked through. So faultlens says `deploy`, gives the v2.3.1 deploy
    at 14:00 as the trigger, and names the pool exhaustion in the summary. Exhaustion with no change before
    it (the lab's pool-exhaustion run) is `resource-exhaustion`.
    """

    def test_one_incident_from_payment_service(self, example):
        """One incident, its origin payment-service, its kind deploy, its trigger the v2.3.1 deploy at 14:00."""
        (incident,) = example.incidents
        assert incident.origin_service == "payment-service"
        assert incident.root_cause_kind == "deploy"
        trigger = incident.trigger
        assert (trigger.kind, trigger.service, trigger.release) == ("deploy", "payment-service", "v2.3.1")
        assert trigger.time == datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
        assert "pool exhausted" in incident.root_cause_summary

    def test_cascade_order_starts_at_payment_service(self, example):
        """All four services are affected, payment-service first and the gateway, which calls the others, last."""
        (incident,) = example.incidents
        assert incident.affected_services[0] == "payment-service"
        assert set(incident.affected_services) == {"payment-service", "order-service", "worker", "gateway"}
        assert incident.affected_services[-1] == "gateway"

    def test_the_window_and_the_rollback(self, example):
        """It starts with the first pool timeout at 14:04, ends before 14:42, and the rollback is its mitigation."""
        (incident,) = example.incidents
        assert datetime(2026, 11, 28, 14, 4, tzinfo=UTC) <= incident.start < datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
        assert incident.end < datetime(2026, 11, 28, 14, 42, tzinfo=UTC)
        assert incident.mitigation is not None and "rolled back to v2.3.0" in incident.mitigation
        assert incident.status == "resolved"

    def test_logging_first_does_not_make_order_service_the_origin(self, example):
        """order-service logs its timeout before payment-service logs the 503 of the same request; the evidence
        says so and still names payment-service."""
        (incident,) = example.incidents
        text = "\n".join(incident.evidence)
        assert "order-service logged its failure" in text and "before payment-service logged its own" in text
        assert "order-service calls payment-service" in text

    def test_issues_evidence_and_five_whys(self, example):
        """The pool timeouts and the callers' failures are its issues; every why cites evidence."""
        (incident,) = example.incidents
        titles = {i.fingerprint: i.title for i in example.issues}
        involved = [titles[fp] for fp in incident.issues]
        assert any("QueuePool" in t for t in involved)
        assert any(t.startswith("POST /api/v1/orders 502") for t in involved)
        assert not any("backup.zip" in t for t in involved), "a scanner's bursts are not part of it"
        assert len(incident.five_whys) == 5 and all(w.evidence for w in incident.five_whys)
        assert any(e.what.startswith("First warning") and e.service == "payment-service" for e in incident.timeline)

    def test_the_hour_before_the_deploy_has_no_incident(self):
        """The first hour, with its background 404s, 500s and a scanner's bursts, reports no incident."""
        quiet = analyse([EXAMPLE], until=datetime(2026, 11, 28, 13, 59, 59, tzinfo=UTC))
        assert quiet.issues and quiet.incidents == []

    def test_the_json_contract(self, example):
        """The report's incidents[] carries the documented fields; issues carry suspect_commits[]."""
        data = report_json(example)
        (incident,) = data["incidents"]
        for key in ("start", "end", "origin_service", "root_cause", "trigger", "affected_services", "issues",
                    "evidence", "five_whys"):
            assert key in incident
        assert incident["root_cause"]["kind"] == "deploy" and incident["root_cause"]["summary"]
        assert incident["trigger"] == {"kind": "deploy", "service": "payment-service", "release": "v2.3.1",
                                       "time": "2026-11-28T14:00:00Z",
                                       "description": "payment-service deployed from v2.3.0 to v2.3.1"}
        assert all({"answer", "evidence"} <= set(w) for w in incident["five_whys"])
        assert all(issue["suspect_commits"] == [] for issue in data["issues"])


def test_every_report_format_draws_the_incident(example):
    """Markdown, HTML and the terminal each show the incident with its cascade and whys; the HTML escapes it."""
    markdown = render_markdown(example)
    assert "## Incidents" in markdown
    assert "Cascade: payment-service → worker → order-service → gateway" in markdown
    assert "1. **Why?**" in markdown.split("## Incidents", 1)[1]
    page = render_html(example)
    assert 'id="incident-20261128-1404-payment-service"' in page and "Action items" in page
    console = Console(record=True, width=160)
    render_terminal(example, console)
    text = console.export_text()
    assert "Incident 20261128-1404-payment-service: payment-service (deploy)" in text and "Five whys" in text


def lab_scenarios() -> list[str]:
    return sorted(p.parent.name for p in LAB.glob("*/expected.json") if (p.parent / "logs").is_dir())


@pytest.mark.parametrize("scenario", lab_scenarios())
def test_lab_scenario_incident(scenario):
    """Each fault-lab run, from its logs alone, yields the incident written down before it ran, or none."""
    want = json.loads((LAB / scenario / "expected.json").read_text())["incident"]
    report = analyse([LAB / scenario / "logs"])
    if want is None:
        assert report.incidents == []
        return
    (incident,) = report.incidents
    assert incident.origin_service == want["origin_service"]
    assert incident.root_cause_kind == want["root_cause_kind"]
    assert incident.affected_services[0] == want["origin_service"]
    assert set(want["affected_services"]) <= set(incident.affected_services)


def test_lab_run_with_traces_blames_by_spans():
    """With the run's spans too, the origin rests on the deepest failing spans and stays inventory."""
    folder = LAB / "pool-exhaustion"
    if not (folder / "otlp").is_dir():
        pytest.skip("the lab run is not here")
    report = analyse([folder])
    (incident,) = report.incidents
    assert incident.origin_service == "inventory"
    assert any("failing traces the deepest failure" in e and "is in inventory" in e for e in incident.evidence)
