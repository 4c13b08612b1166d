"""A requests transport adapter that adds the correlation id to every request it sends."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from faultlens.instrument._context import correlation_headers


class CorrelationAdapter(HTTPAdapter):
    """An HTTPAdapter (same arguments) whose requests carry the current correlation id."""

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        super().add_headers(request, **kwargs)
        for name, value in correlation_headers().items():
            request.headers.setdefault(name, value)


def mount_correlation_adapters(session: requests.Session) -> None:
    """Mount a CorrelationAdapter for http:// and https://, keeping the retries of the adapter it replaces."""
    for prefix in ("http://", "https://"):
        current = session.adapters.get(prefix)
        retries = current.max_retries if isinstance(current, HTTPAdapter) else 0
        session.mount(prefix, CorrelationAdapter(max_retries=retries))
