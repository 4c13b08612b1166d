"""A short run of benchmarks/load.py (the ten-minute sustained load test): paced sentry-python envelopes to a real
`faultlens serve`, then every event answered 2xx looked up in its store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


def test_every_event_answered_under_load_is_stored() -> None:
    """Five seconds at 40 events/s: the script exits 0 only when every answered event is stored once."""
    done = subprocess.run([sys.executable, str(LOAD), "--rate", "40", "--duration", "5"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "answered but missing 0; stored twice 0" in done.stdout
    answered = int(done.stdout.split("answered 2xx ")[1].split()[0])
    assert answered > 0
