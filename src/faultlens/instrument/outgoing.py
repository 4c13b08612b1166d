"""Outgoing calls carry the correlation id: httpx event hooks and a requests transport adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from faultlens.instrument._context import correlation_headers

if TYPE_CHECKING:
    import requests


def add_correlation_header(request: httpx.Request) -> None:
    """httpx request hook: the current correlation id, unless the call sets the header itself."""
    for name, value in correlation_headers().items():
        request.headers.setdefault(name, value)


async def add_correlation_header_async(request: httpx.Request) -> None:
    """The same hook for an `httpx.AsyncClient`, which awaits its hooks."""
    add_correlation_header(request)


def instrument_httpx(client: httpx.Client | httpx.AsyncClient) -> None:
    """Send the current correlation id on every request the client makes."""
    hooks = client.event_hooks
    if isinstance(client, httpx.AsyncClient):
        hooks["request"] = [*hooks["request"], add_correlation_header_async]
    else:
        hooks["request"] = [*hooks["request"], add_correlation_header]
    client.event_hooks = hooks


def instrument_requests(session: requests.Session) -> None:
    """Send the current correlation id on every request the session makes (needs the requests package)."""
    from faultlens.instrument.requests_adapter import mount_correlation_adapters

    mount_correlation_adapters(session)
