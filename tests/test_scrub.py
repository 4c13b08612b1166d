"""The Scrubber, called on hand-built events: what it filters, what it keeps, and how `[scrub]` sets it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from faultlens.config import parse_config
from faultlens.enrich import default_chain
from faultlens.errors import ConfigError
from faultlens.grouping.rules import GroupingConfig
from faultlens.grouping.session import GroupingSession
from faultlens.model import Event, ExceptionInfo, Source
from faultlens.scrub import FILTERED, Scrubber, ScrubRules, luhn_valid


def event(message: str = "", **fields: object) -> Event:
    return Event(id="e1", timestamp=datetime(2026, 12, 1, tzinfo=UTC), level="error", message=message,
                 source=Source("t"), **fields)  # type: ignore[arg-type]


class TestScrubber:
    def test_secret_fields_are_filtered_at_any_depth(self) -> None:
        """Values under secret names are replaced; the names and other values stay."""
        scrubbed = Scrubber()(event(context={"request": {
            "headers": {"Authorization": "Bearer abc", "Cookie": "sid=1", "X-Api-Key": "k", "Accept": "text/html"},
            "cookies": {"sid": "1"}, "data": {"user": {"password": "p", "name": "ann"}}},
            "extra": {"db_password": "p", "retries": 3}}))
        request = scrubbed.context["request"]
        assert request["headers"] == {"Authorization": FILTERED, "Cookie": FILTERED, "X-Api-Key": FILTERED,
                                      "Accept": "text/html"}
        assert request["cookies"] == FILTERED and request["data"]["user"] == {"password": FILTERED, "name": "ann"}
        assert scrubbed.context["extra"] == {"db_password": FILTERED, "retries": 3}

    def test_header_pairs_are_judged_by_their_name(self) -> None:
        """Headers sent as [name, value] lists lose the values of secret names only."""
        scrubbed = Scrubber()(event(context={"request": {"headers": [["Set-Cookie", "a=b"], ["Host", "shop"]]}}))
        assert scrubbed.context["request"]["headers"] == [["Set-Cookie", FILTERED], ["Host", "shop"]]

    def test_free_text_loses_pairs_credentials_and_cards(self) -> None:
        """Messages and exception values keep their words but not `password=`, bearer tokens or card numbers."""
        scrubbed = Scrubber()(event(
            message="login failed: password=hunter2 for card 4111-1111-1111-1111, order 1234567890123",
            exceptions=[ExceptionInfo(type="AuthError", value="Authorization: Bearer eyJ.x.y rejected")]))
        assert scrubbed.message == f"login failed: password={FILTERED} for card {FILTERED}, order 1234567890123"
        assert "eyJ" not in scrubbed.exceptions[0].value and "rejected" in scrubbed.exceptions[0].value

    def test_tags_with_secret_names_are_filtered(self) -> None:
        """A tag named like a secret loses its value; other tags are kept."""
        assert Scrubber()(event(tags={"session": "s1", "region": "eu"})).tags == {"session": FILTERED,
                                                                                  "region": "eu"}

    def test_more_fields_can_be_named_and_scrubbing_turned_off(self) -> None:
        """`fields` adds names; `enabled = false` keeps everything."""
        context = {"extra": {"iban": "DE89 3704", "password": "p"}}
        assert Scrubber(ScrubRules(fields=("iban",)))(event(context=dict(context))).context["extra"]["iban"] == FILTERED
        assert Scrubber(ScrubRules(enabled=False))(event(context=dict(context))).context == context

    def test_luhn(self) -> None:
        """Card numbers pass the Luhn check, near misses do not."""
        assert luhn_valid("4111111111111111") and luhn_valid("5500005555555559")
        assert not luhn_valid("4111111111111112")


def test_the_default_chain_scrubs_before_templates_and_fingerprints() -> None:
    """No secret reaches the template or the title."""
    chained = event(message="connect failed token=s3cr3t-value")
    for enricher in default_chain(GroupingSession(GroupingConfig())):
        chained = enricher(chained)
    assert "s3cr3t" not in (chained.template or "") and "s3cr3t" not in (chained.title or "")


def test_scrub_table_is_read_and_checked(tmp_path: Path) -> None:
    """`[scrub]` sets the rules; a wrong type names the key."""
    rules = parse_config('[scrub]\nenabled = false\nfields = ["iban"]\n', tmp_path / "faultlens.toml").grouping.scrub
    assert rules == ScrubRules(False, ("iban",))
    with pytest.raises(ConfigError, match=r"scrub\.enabled"):
        parse_config('[scrub]\nenabled = "no"\n', tmp_path / "faultlens.toml")


def test_recurring_texts_are_scrubbed_every_time() -> None:
    """Clean short texts are remembered (they recur in every event); a text with a secret is scrubbed
    each time it comes and never kept in memory."""
    scrubber = Scrubber()
    secret = "password=hunter2 card 4111 1111 1111 1111"
    for _ in range(3):
        assert scrubber.text("CPython 3.11.7") == "CPython 3.11.7"
        scrubbed = scrubber.text(secret)
        assert "hunter2" not in scrubbed and "4111 1111 1111 1111" not in scrubbed and FILTERED in scrubbed
    assert all("hunter2" not in text for text in scrubber._clean)
