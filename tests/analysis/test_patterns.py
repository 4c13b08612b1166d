"""Where issues cluster (tag lift) and when (periodic bursts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faultlens.analysis.patterns import periodic_seconds, tag_lifts

T0 = datetime(2026, 11, 28, tzinfo=UTC)


def test_host_over_represented_against_traffic():
    """An issue on one host that serves half the traffic has lift 2; an even spread has none."""
    rows = [
        {"fingerprint": "a", "key": "host", "value": "web-1", "events": 20},
        {"fingerprint": "b", "key": "host", "value": "web-1", "events": 10},
        {"fingerprint": "b", "key": "host", "value": "web-2", "events": 10},
    ]
    lifts = tag_lifts(rows, {"host": {"web-1": 500, "web-2": 500}})
    assert [(t.key, t.value, t.lift) for t in lifts["a"]] == [("host", "web-1", 2.0)]
    assert "b" not in lifts


def test_single_valued_tags_say_nothing():
    """A tag with one value everywhere is no cluster."""
    rows = [{"fingerprint": "a", "key": "environment", "value": "prod", "events": 50}]
    assert tag_lifts(rows, {}) == {}


def test_cron_like_bursts_have_a_period():
    """Bursts every five minutes are periodic; random times are not."""
    times = [T0 + timedelta(minutes=5 * i, seconds=s) for i in range(8) for s in (0, 1, 2)]
    assert periodic_seconds(times) == 300
    irregular = [T0 + timedelta(seconds=s) for s in (0, 70, 400, 460, 1300, 1330, 2900)]
    assert periodic_seconds(irregular) is None
