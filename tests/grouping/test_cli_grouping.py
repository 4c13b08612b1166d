"""`analyze --config` and `--explain-grouping`: rules from faultlens.toml reach the report, which says why."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

LOG = (
    "2026-11-28 14:05:02,234 ERROR [worker.jobs] job 124 failed\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/worker/app/jobs.py", line 42, in run\n'
    "    process(job)\n"
    '  File "/srv/worker/app/jobs.py", line 12, in process\n'
    "    raise KeyError('customer_id')\n"
    "KeyError: 'customer_id'\n"
    "2026-11-28 14:05:03,000 ERROR [worker.jobs] upstream timed out after 3000 ms\n"
)

RULES = """
[[fingerprint.rules]]
name = "missing customer"
type = "KeyError"
fingerprint = "customer-{service}"
"""




@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "worker.log"
    path.write_text(LOG)
    return path


def test_config_rules_reach_the_json_grouping(run_cli, monkeypatch, capsys, log, tmp_path) -> None:
    """A rule from --config fixes the fingerprint, and the issue's grouping names the rule."""
    config = tmp_path / "rules.toml"
    config.write_text(RULES)
    code, out, err = run_cli("analyze", str(log), "--db", ":memory:", "-f", "json",
                             "--config", str(config))
    assert code == 0, err
    groupings = [issue["grouping"] for issue in orjson.loads(out)["issues"]]
    assert ["rule:missing customer", "fixed:customer-worker"] in groupings
    assert any(part.startswith("template:") for grouping in groupings for part in grouping)


def test_working_directory_config_is_used(run_cli, monkeypatch, capsys, log, tmp_path) -> None:
    """faultlens.toml in the working directory applies without --config."""
    (tmp_path / "faultlens.toml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("analyze", str(log), "--db", ":memory:", "-f", "json")
    assert code == 0
    assert any(issue["grouping"][0] == "rule:missing customer" for issue in orjson.loads(out)["issues"])


def test_bad_config_is_one_line_and_exit_2(run_cli, monkeypatch, capsys, log, tmp_path) -> None:
    """A wrong key stops the command with the file, the key and the expectation, and no traceback."""
    config = tmp_path / "faultlens.toml"
    config.write_text("[[fingerprint.rules]]\ntype = 'KeyError'\nmessage_regex = '('\nfingerprint = 'x'\n")
    code, _, err = run_cli("analyze", str(log), "--db", ":memory:", "--config", str(config))
    assert code == 2
    assert "faultlens.toml:1: fingerprint.rules[1].message_regex" in err and "regular expression" in err
    assert "Traceback" not in err


def test_explain_grouping_prints_the_parts(run_cli, monkeypatch, capsys, log) -> None:
    """After the table, each issue's fingerprint parts: exception type, frames, source lines, template."""
    code, out, _ = run_cli("analyze", str(log), "--db", ":memory:", "--explain-grouping")
    assert code == 0
    section = out[out.index("Grouping"):]
    for fragment in ("KeyError", "jobs.py in process", "raise KeyError('customer_id')",
                     "upstream timed out after <*> ms"):
        assert fragment in section, fragment


def test_explain_grouping_needs_the_table(run_cli, monkeypatch, capsys, log) -> None:
    """With another format the option is a usage error pointing at the JSON `grouping` field."""
    code, _, err = run_cli("analyze", str(log), "--db", ":memory:", "-f", "json",
                           "--explain-grouping")
    assert code == 2 and "grouping" in err
