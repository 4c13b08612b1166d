"""PII scrubbing: secrets and card numbers are replaced by `[Filtered]` before an event is stored.

Sentry SDKs send what an app had at hand when it failed: request headers (Authorization,
Cookie), cookies, form data with passwords, `extra` values holding tokens; log lines carry
`password=...` and card numbers. The `Scrubber` runs first in the enrich chain, so every door
(files, the server) stores only the scrubbed event and templates and fingerprints never see the
secrets. What it removes, as Sentry's own server-side scrubbing does:

- the value of any field, header, cookie or tag whose name contains one of `SENSITIVE_NAMES`
  (or a name added by `[scrub] fields`), at any depth of the event's context;
- the whole of `cookies` and of `Cookie`, `Set-Cookie` and `Authorization` headers;
- `name=value` and `name: value` pairs of those names inside free text (messages, exception
  values, query strings, breadcrumbs), and `Bearer`/`Basic` credentials;
- runs of 13 to 19 digits (spaces or dashes between them allowed) that pass the Luhn check.

The fields faultlens analyses (user id, IP, session id, path) are kept: they are what impact is
counted by. `[scrub] enabled = false` turns scrubbing off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from faultlens.model import Event

FILTERED = "[Filtered]"
MAX_JUDGED_NAMES = 10_000
"""Field names whose verdict is remembered; names repeat from event to event, values do not."""
MAX_REMEMBERED_TEXTS = 10_000
REMEMBERED_TEXT_CHARS = 200
"""Short texts recur from event to event (runtime and OS names, modules, versions, tag values): those
found clean are remembered, up to this many of at most this length."""
SENSITIVE_NAMES = ("password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "auth", "credential",
                   "cookie", "session", "csrf", "xsrf", "private_key", "privatekey", "card", "cvv", "ssn")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# A whole word (a name such as db_password), then = or :; the value after it is only looked at, so a pair
# that is not secret does not swallow the next one ("failed: password=x"). The look-behind starts matches at
# word starts only and the value is bounded, which keeps the search linear in the text's length.
_PAIR = re.compile(r"(?<![\w.-])([\w.-]+)([\"']?\s{0,8}[=:]\s{0,8}[\"']?)(?=([^\s&;,\"'=]{1,256}))")
_BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ScrubRules:
    """What `[scrub]` in faultlens.toml says: whether to scrub, and names to treat as secret besides the defaults."""

    enabled: bool = True
    fields: tuple[str, ...] = ()


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class Scrubber:
    """`Event -> Event`: replaces secrets and card numbers in every text the event keeps."""

    def __init__(self, rules: ScrubRules = ScrubRules()) -> None:
        self.enabled = rules.enabled
        names = {name.lower().replace("-", "_") for name in (*SENSITIVE_NAMES, *rules.fields)}
        self._secret = re.compile("|".join(re.escape(name) for name in sorted(names)))
        self._judged: dict[str, bool] = {}
        self._clean: set[str] = set()

    def __call__(self, event: Event) -> Event:
        if not self.enabled:
            return event
        event.message = self.text(event.message)
        if event.stacktrace:
            event.stacktrace = self.text(event.stacktrace)
        for exception in event.exceptions:
            exception.value = self.text(exception.value)
        event.tags = {name: FILTERED if self.sensitive(name) else self.text(value)
                      for name, value in event.tags.items()}
        event.context = {key: self.value(key, value) for key, value in event.context.items()}
        return event

    def sensitive(self, name: str) -> bool:
        known = self._judged.get(name)
        if known is None:
            known = self._secret.search(name.lower().replace("-", "_")) is not None
            if len(self._judged) < MAX_JUDGED_NAMES:
                self._judged[name] = known
        return known

    def value(self, name: str, value: Any) -> Any:
        """`value` kept under `name`: filtered whole when the name is secret, else scrubbed inside."""
        if self.sensitive(name) and value not in (None, "", [], {}):
            return FILTERED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(str(key), item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._item(item) for item in value]
        return value

    def _item(self, item: Any) -> Any:
        """A list's element; a `[name, value]` pair (headers as some SDKs send them) is judged by its name."""
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
            return [item[0], self.value(item[0], item[1])]
        return self.value("", item)

    def text(self, text: str) -> str:
        """`text` without card numbers, bearer credentials and secret pairs. Each rule runs only when the
        text could hold what it removes (C-speed searches first), as most texts hold nothing."""
        if not text:
            return text
        if len(text) > REMEMBERED_TEXT_CHARS:
            return self._scrubbed(text)
        if text in self._clean:
            return text
        scrubbed = self._scrubbed(text)
        if scrubbed == text and len(self._clean) < MAX_REMEMBERED_TEXTS:
            self._clean.add(text)  # only texts with nothing to remove: no secret is kept here
        return scrubbed

    def _scrubbed(self, text: str) -> str:
        if _CARD.search(text):
            text = _CARD.sub(_filter_card, text)
        folded = text.lower().replace("-", "_")
        if "bearer" in folded or "basic" in folded or "token" in folded:
            text = _BEARER.sub(lambda match: f"{match.group(1)} {FILTERED}", text)
        if ("=" in text or ":" in text) and self._secret.search(folded):
            text = self._pairs(text)
        return text

    def _pairs(self, text: str) -> str:
        kept: list[str] = []
        done = 0
        for match in _PAIR.finditer(text):
            if match.start() >= done and self.sensitive(match.group(1)):
                kept += (text[done:match.end()], FILTERED)
                done = match.end() + len(match.group(3))
        kept.append(text[done:])
        return "".join(kept)


def _filter_card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return FILTERED if luhn_valid(digits) else match.group(0)
