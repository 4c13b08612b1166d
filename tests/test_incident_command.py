"""`faultlens incident`: the notices of the bundled checkout incident, from the inputs or from the store."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faultlens.commands import analyze as analyze_command
from faultlens.commands import app
from faultlens.commands import incident as incident_command
from faultlens.errors import FaultlensError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "checkout-incident"
COMMANDS = (analyze_command, incident_command)
"""Imported for their registration on `app`."""


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr; a FaultlensError counts as exit 1 with its message, as `faultlens.cli` does."""
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, FaultlensError):
        return 1, result.stdout, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def all_notices() -> str:
    code, out, _ = run("incident", str(EXAMPLE), "--db", ":memory:")
    assert code == 0
    return out


def test_initial_notification(all_notices):
    """The first notice gives severity, status, start, symptoms with rates and users, and actions under way."""
    initial = all_notices.split("\n---\n")[0]
    assert initial.startswith("## INCIDENT: payment-service failing")
    for part in ("**Severity:** High", "**Status:** Investigating", "**Started:** 2026-11-28 14:04:22 UTC",
                 "### Symptoms", "- payment-service error rate: ", "(normal: ", "- Affected users: ",
                 "### Actions under way", "payment-service deployed from v2.3.0 to v2.3.1"):
        assert part in initial, part


def test_mitigation_update(all_notices):
    """The update gives the root cause, the rollback seen in the data, the rates now and the next steps."""
    update = all_notices.split("\n---\n")[1]
    for part in ("## INCIDENT UPDATE: Resolved", "### Root cause", "(kind: deploy)", "### Mitigation",
                 "Done: payment-service rolled back to v2.3.0 at 2026-11-28 14:38:00 UTC.", "### Current status",
                 "now (normal: ", "### Next steps"):
        assert part in update, part


def test_postmortem_draft(all_notices):
    """The postmortem has the impact per service, the timeline across services, the five whys, the contributing
    factors and the action items."""
    draft = all_notices.split("\n---\n")[2]
    for part in ("# Postmortem draft: payment-service", "## Impact", "## Timeline (UTC)",
                 "| 14:00:00 | payment-service | Change: payment-service deployed from v2.3.0 to v2.3.1 |",
                 "| 14:38:00 | payment-service | Mitigation: ", "## Root cause", "1. **Why?**", "5. **Why?**",
                 "## Contributing factors", "order-service times out before payment-service gives up",
                 "## Action items", "- [ ] "):
        assert part in draft, part
    services = [line.split(" | ")[1] for line in draft.splitlines() if line.startswith("| 14:")]
    assert {"payment-service", "order-service", "worker", "gateway"} <= set(services)


def test_one_notice_at_a_time():
    """--notice picks one notice."""
    code, out, _ = run("incident", str(EXAMPLE), "--db", ":memory:", "--notice", "update")
    assert code == 0
    assert out.startswith("## INCIDENT UPDATE") and "# Postmortem" not in out and "## INCIDENT:" not in out


def test_a_quiet_hour_has_no_incident():
    """The hour before the deploy has none: the command says so and exits 1."""
    code, out, err = run("incident", str(EXAMPLE), "--db", ":memory:", "--until", "2026-11-28T13:59:59Z")
    assert code == 1 and out == ""
    assert "No incident" in err


def test_notices_from_the_store(tmp_path):
    """Without inputs, the notices come from the store that analyze wrote."""
    db = str(tmp_path / "s.duckdb")
    assert run("analyze", str(EXAMPLE), "--db", db, "--format", "json")[0] == 0
    code, out, _ = run("incident", "--db", db, "--notice", "initial")
    assert code == 0 and out.startswith("## INCIDENT: payment-service failing")


def test_a_missing_store_is_a_usage_error(tmp_path):
    """No inputs and no store: the error says what to do."""
    code, _, err = run("incident", "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and "run `faultlens analyze` first" in err


def test_repo_that_is_not_a_clone_is_refused(tmp_path):
    """--repo must be a git clone."""
    code, _, err = run("incident", str(EXAMPLE), "--db", ":memory:", "--repo", str(tmp_path))
    assert code == 1 and "pass --repo a clone" in err


def test_repo_adds_suspect_commits_to_the_postmortem(tmp_path):
    """With --repo, the postmortem lists the commit that last changed payment-service's raising line before
    the incident, from the release (tag v2.3.1) it began in."""
    repo = tmp_path / "payment"
    repo.mkdir()
    lines = [f"# line {n}\n" for n in range(1, 41)]
    files = {"app/web.py": lines, "app/api/payments.py": lines, "app/services/payments.py": lines,
             "app/db/repository.py": lines}

    def commit(changed: dict[str, list[str]], message: str, when: str, who: str, tag: str) -> None:
        for name, text in changed.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text("".join(text))
        env = {**os.environ, "GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": who,
               "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        for args in (["add", "-A"], ["commit", "-q", "-m", message], ["tag", tag]):
            subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True, capture_output=True)
    commit(files, "Payment service", "2026-10-01T09:00:00Z", "Alice", "v2.3.0")
    slow = [*lines[:30], "    rows = session.execute(DEFAULT_METHOD_WITH_PAYMENTS)  # joins every payment\n", *lines[31:]]
    commit({"app/db/repository.py": slow}, "Load the default payment method with its payments",
           "2026-11-27T16:00:00Z", "Bob", "v2.3.1")
    code, out, _ = run("incident", str(EXAMPLE), "--db", ":memory:", "--repo", str(repo), "--notice", "postmortem")
    assert code == 0
    section = out.split("## Suspect commits", 1)[1]
    first = section.strip().splitlines()[0]
    assert "Bob: Load the default payment method with its payments" in first
    assert "last changed the raising line app/db/repository.py:31" in first
