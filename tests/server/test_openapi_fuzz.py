"""schemathesis against the server's own OpenAPI description: generated requests to every described operation,
with a valid token and over a store with issues in it, never make the server fail (no 5xx) and are answered
in the shapes and statuses the description gives.

The number of examples per operation is bounded for `make test`; set FAULTLENS_SCHEMATHESIS_EXAMPLES for a
longer run.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import orjson
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.server.conftest import Credentials, RunningServer

EXAMPLES = int(os.environ.get("FAULTLENS_SCHEMATHESIS_EXAMPLES", "15"))


def load_schema(running: RunningServer, credentials: Credentials) -> Any:
    """The description the running server serves, over a store with two issues in it."""
    for message in ("checkout failed", "disk quota exceeded on volume"):
        event_id = uuid.uuid4().hex
        body = b"\n".join([orjson.dumps({"event_id": event_id}), b'{"type":"event"}',
                           orjson.dumps({"event_id": event_id, "level": "error", "message": message})])
        answer = httpx.post(f"{running.url}/api/{credentials.project_id}/envelope/", content=body,
                            headers={"X-Sentry-Auth": f"Sentry sentry_key={credentials.public_key}"})
        assert answer.status_code == 200
    running.wait_committed()
    return schemathesis.openapi.from_url(f"{running.url}/api/openapi.json")


def test_api_answers_generated_requests(running: RunningServer, credentials: Credentials) -> None:
    """No generated request, valid or not, makes the API answer 5xx or leave its described shapes."""
    operations = [result.ok() for result in load_schema(running, credentials).get_all_operations()]
    assert len(operations) >= 6
    headers = {"Authorization": f"Bearer {credentials.token}"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
                  suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, content_type_conformance,
                                                            response_schema_conformance])
        call()
