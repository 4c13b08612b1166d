"""Log lines that announce a configuration change: a setting, a feature flag, a reloaded config.

Such lines are ordinary INFO records, so they are looked for on every line; a few substring
checks turn away almost all lines before the pattern runs.
"""

from __future__ import annotations

import re
from datetime import datetime

from faultlens.model import Deploy
from faultlens.times import parse_timestamp

_CONFIG_CHANGE = re.compile(
    r"(?:config(?:uration)?|settings?|feature[ -]?flags?|flag|environment variable)\b[^\n]{0,80}?"
    r"\b(?:changed|updated|reloaded|modified|applied|enabled|disabled|toggled|set to|rolled out|overridden)"
    r"|\b(?:reload(?:ed|ing)?|applied|updated|changed|loaded new)\b[^\n]{0,40}?\b(?:config(?:uration)?|settings)\b"
    r"|\b(?:enabled|disabled|toggled)\b[^\n]{0,40}\bfeature[ -]?flag",
    re.IGNORECASE,
)


def config_change(service: str, message: str, ts_text: object, fallback: datetime) -> Deploy | None:
    """A config-change Deploy when the message announces one, else None.

    The time is parsed only for a line that announces a change: this runs on every line.
    """
    if not ("onfig" in message or "etting" in message or "lag" in message or "eload" in message
            or "ariable" in message):
        return None
    if _CONFIG_CHANGE.search(message, 0, 300) is None:
        return None
    return Deploy(service=service, release="config", time=parse_timestamp(ts_text) or fallback, source="log",
                  kind="config",
                  description=message[:300])
