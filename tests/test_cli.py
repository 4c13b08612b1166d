"""The command line end to end: in-process for speed, and once as a real subprocess."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import orjson
import pytest

WORKER = (
    "2026-11-28 14:05:01,234 INFO [worker.jobs] picked job 123\n"
    "2026-11-28 14:05:02,234 ERROR [worker.jobs] job 124 failed\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/worker/app/jobs.py", line 42, in run\n'
    "    process(job)\n"
    '  File "/srv/worker/app/jobs.py", line 12, in process\n'
    "    raise KeyError('customer_id')\n"
    "KeyError: 'customer_id'\n"
)




@pytest.fixture
def logs(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "worker.log").write_text(WORKER)
    (folder / "worker.log.1.gz").write_bytes(gzip.compress(WORKER.replace("14:05", "13:05").encode()))
    return folder


def test_json_report_has_the_documented_shape(run_cli, monkeypatch, capsys, logs, tmp_path):
    """`--format json` prints the versioned schema with summary and issues."""
    code, out, _ = run_cli("analyze", str(logs), "--db", str(tmp_path / "s.duckdb"),
                           "--format", "json")
    assert code == 0
    report = orjson.loads(out)
    assert report["schema"] == "faultlens.report/1"
    assert report["summary"]["files"] == 2
    (issue,) = report["issues"]
    for key in ("fingerprint", "title", "type", "message", "count", "users", "services", "releases",
                "first_seen", "last_seen", "sample"):
        assert key in issue
    assert issue["type"] == "KeyError" and issue["count"] == 2
    assert issue["services"] == ["worker"], "the service comes from the file name"
    assert issue["first_seen"] == "2026-11-28T13:05:02.234000Z"


def test_table_and_markdown_outputs(run_cli, monkeypatch, capsys, logs, tmp_path):
    """The default table names the issue; `--format markdown --output` writes a Markdown file."""
    code, out, _ = run_cli("analyze", str(logs), "--db", ":memory:")
    assert code == 0 and "KeyError: 'customer_id'" in out
    target = tmp_path / "report.md"
    code, _, _ = run_cli("analyze", str(logs), "--db", ":memory:", "-f", "markdown",
                         "-o", str(target))
    assert code == 0
    assert target.read_text().startswith("# faultlens report")


def test_stdin(run_cli, monkeypatch, capsys, tmp_path):
    """`-` reads standard input."""
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(WORKER.encode())))
    code, out, _ = run_cli("analyze", "-", "--db", ":memory:", "-f", "json")
    assert code == 0
    assert orjson.loads(out)["issues"][0]["type"] == "KeyError"


def test_bad_inputs_are_named_and_skipped(run_cli, monkeypatch, capsys, logs, tmp_path):
    """Binary, missing and empty inputs each get one line naming them; the rest is analyzed (exit 0)."""
    (tmp_path / "core.bin").write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    (tmp_path / "empty.log").write_text("")
    code, out, err = run_cli("analyze", str(logs), str(tmp_path / "core.bin"),
                             str(tmp_path / "missing.log"), str(tmp_path / "empty.log"), "--db", ":memory:",
                             "-f", "json")
    assert code == 0
    summary = orjson.loads(out)["summary"]
    assert summary["skipped_inputs"] == 2
    assert "core.bin" in err and "binary" in err
    assert "missing.log" in err and "no such file" in err
    assert "empty.log" in err
    assert "Traceback" not in err


def test_nothing_readable_is_a_usage_error(run_cli, monkeypatch, capsys, tmp_path):
    """With no readable input the exit code is 2 and the message says what to give."""
    code, _, err = run_cli("analyze", str(tmp_path / "nope.log"), "--db", ":memory:")
    assert code == 2
    assert "nothing readable" in err and "Traceback" not in err


def test_bad_option_values_are_usage_errors(run_cli, monkeypatch, capsys, logs):
    """Unknown formats, levels and times exit 2 with one line naming the option."""
    for args, word in ((["--input-format", "xml"], "--input-format"), (["--min-level", "loud"], "--min-level"),
                       (["--since", "yesterday-ish"], "--since")):
        code, _, err = run_cli("analyze", str(logs), "--db", ":memory:", *args)
        assert code == 2, args
        assert word in err and "Traceback" not in err


@pytest.mark.skipif(os.name != "posix", reason="permissions")
def test_unreadable_file(run_cli, monkeypatch, capsys, logs, tmp_path):
    """A file that cannot be opened is named; the others are still analyzed."""
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    locked = tmp_path / "locked.log"
    locked.write_text(WORKER)
    locked.chmod(0)
    code, _, err = run_cli("analyze", str(logs), str(locked), "--db", ":memory:")
    assert code == 0 and "locked.log" in err


def test_subprocess_end_to_end(logs, tmp_path):
    """The installed console script runs, writes its default store under the working directory, and exits 0."""
    exe = os.path.join(os.path.dirname(sys.executable), "faultlens")
    done = subprocess.run([exe, "analyze", str(logs), "--format", "json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["summary"]["issues"] == 1
    assert (tmp_path / ".faultlens" / "faultlens.duckdb").exists()
    again = subprocess.run([exe, "analyze", str(logs), "--format", "json"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert orjson.loads(again.stdout)["summary"]["events_new"] == 0


def test_ctrl_c_keeps_what_was_read(tmp_path):
    """SIGINT during a run exits 130 and every event read so far is in the store."""
    import re
    import signal
    import time

    import duckdb

    exe = os.path.join(os.path.dirname(sys.executable), "faultlens")
    db = tmp_path / "s.duckdb"
    proc = subprocess.Popen([exe, "analyze", "-", "--db", str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    lines = "".join(f"2026-11-28 14:{i // 600 % 60:02d}:{i // 10 % 60:02d},000 ERROR [w] job {i} failed\n"
                    for i in range(12000))
    proc.stdin.write(lines.encode())
    proc.stdin.flush()
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    reported = int(re.search(rb"interrupted: ([\d,]+) new events", err).group(1).replace(b",", b""))
    stored = duckdb.connect(str(db)).execute("SELECT count(*) FROM events").fetchone()[0]
    assert stored == reported > 0, "every event read before the interrupt is stored"


def test_query_command_reads_the_store(run_cli, monkeypatch, capsys, logs, tmp_path):
    """`query` runs SQL read-only over the store analyze wrote, in table, CSV and JSON."""
    db = str(tmp_path / "s.duckdb")
    run_cli("analyze", str(logs), "--db", db, "-f", "json")
    code, out, _ = run_cli("query", "SELECT count(*) AS n FROM events", "--db", db, "-f", "json")
    assert code == 0 and orjson.loads(out) == [{"n": 2}]
    code, out, _ = run_cli("query", "SELECT level, count(*) AS n FROM events GROUP BY level",
                           "--db", db, "-f", "csv")
    assert out.splitlines() == ["level,n", "error,2"]
    code, _, err = run_cli("query", "DELETE FROM events", "--db", db)
    assert code == 2 and "read-only" in err.lower()
    code, _, err = run_cli("query", "SELEC 1", "--db", db)
    assert code == 2 and "syntax error" in err and "Traceback" not in err


def test_documented_queries_run(run_cli, tmp_path, monkeypatch, capsys, logs):
    """Every SQL example in docs/queries.md runs against a real store."""
    import re
    from pathlib import Path

    db = str(tmp_path / "s.duckdb")
    run_cli("analyze", str(logs), "--db", db, "-f", "json")
    docs = (Path(__file__).resolve().parents[1] / "docs" / "queries.md").read_text()
    statements = re.findall(r"```sql\n(.*?)```", docs, re.S)
    assert len(statements) >= 5
    for statement in statements:
        code, _, err = run_cli("query", statement, "--db", db, "-f", "json")
        assert code == 0, (statement, err)
