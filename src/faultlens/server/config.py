"""How `faultlens serve` is set up: the store, the address, the limits, and the optional sections.

Values come from the command line over `faultlens.toml`'s `[server]` table over the defaults
below; faultlens/config.py declares and checks each key (docs/server.md documents them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from faultlens.config import Config
from faultlens.grouping.rules import GroupingConfig
from faultlens.store import DEFAULT_DB, is_clickhouse_url

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request, one key and the whole queue may take before the server says no.

    Every limit protects the one writer thread and the machine's memory: a body is refused before
    it is read past `max_body_bytes`, a compressed body is never inflated past
    `max_decompressed_bytes` (gzip and brotli bombs), and a full queue answers 503 instead of
    growing.
    """

    max_body_bytes: int = 20 * MIB
    max_decompressed_bytes: int = 100 * MIB
    max_event_bytes: int = 1 * MIB
    queue_size: int = 100_000
    """Accepted requests waiting for the writer; past it, 503 with Retry-After. They wait in the spool
    on disk (a few hundred bytes of memory each), so a burst is taken in and committed after."""
    queue_bytes: int = 1024 * MIB
    """Bytes of accepted requests waiting for the writer (in the spool; in memory when there is none);
    past it, 503 as well."""
    rate_per_key: float = 1000.0
    """Events per second each key may send on average; 0 turns rate limiting off."""
    rate_burst: int = 5000
    """Events a key may send at once above its average rate."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything `create_app` needs; `probes`, `alerts` and `webhooks` are the raw `[[server.probes]]`,
    `[[server.alerts]]` and `[[server.webhooks]]` tables, read (and checked) by the modules that run them."""

    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    """The address SDKs reach the server by, for DSNs (default http://HOST:PORT)."""
    spool_dir: str | None = None
    """Write-ahead spool of accepted requests (default: the store's path + `.spool`)."""
    limits: Limits = field(default_factory=Limits)
    batch_requests: int = 2000
    """Accepted requests the writer commits at most in one batch."""
    batch_bytes: int = 16 * MIB
    """Bytes of accepted requests (as spooled) the writer commits at most in one batch; a larger
    request goes alone. A batch is written in one transaction, which the store holds in memory."""
    batch_wait_seconds: float = 0.5
    """How long the oldest queued request may wait for its batch to fill: every commit costs tens of
    milliseconds whatever its size, so under load larger batches cost far less per event."""
    store_threads: int = 1
    """Threads the embedded DuckDB store may use (0: one per core). One by default: under load the
    request loop needs a core of its own more than a batch's insert needs two (reports, cached,
    are built on one thread too)."""
    min_level: str = "warning"
    grouping: GroupingConfig = field(default_factory=GroupingConfig)
    probes: Sequence[Mapping[str, Any]] = ()
    alerts: Sequence[Mapping[str, Any]] = ()
    webhooks: Sequence[Mapping[str, Any]] = ()
    webhook_allowed_networks: Sequence[str] = ()

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def spool_path(self) -> str:
        """The spool is always on this machine's disk: beside a DuckDB file or a chDB directory, and for a
        ClickHouse server under .faultlens/spool/, one directory per server and database."""
        if self.spool_dir:
            return self.spool_dir
        if self.db == ":memory:":
            return ":memory:"
        if self.db.startswith("chdb://"):
            return urlsplit(self.db).path.rstrip("/") + ".spool"
        if is_clickhouse_url(self.db):
            parts = urlsplit(self.db)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{parts.hostname}-{parts.port or ''}{parts.path}")
            return str(Path(".faultlens") / "spool" / name)
        return self.db + ".spool"


def server_config(settings: Config, **given: Any) -> ServerConfig:
    """The server's config: values `given` (from the command line; None means not given) over the
    `[server]` table of faultlens.toml over the defaults."""
    table = {key: value for key, value in settings.server.items()}
    table.update({key: value for key, value in given.items() if value is not None})
    limit_keys = {name for name in Limits.__dataclass_fields__}
    limits = Limits(**{key: value for key, value in table.items() if key in limit_keys})
    plain = {key: value for key, value in table.items() if key not in limit_keys}
    return ServerConfig(limits=limits, grouping=settings.grouping, **plain)
