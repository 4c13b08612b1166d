"""Checks for the `[server]` sub-tables that alerting and probes read, with errors that name the key.

`faultlens.toml` hands these tables over raw (ServerConfig.alerts, .probes); each reader here
turns a wrong value into a ConfigError saying which entry (`server.probes[2].interval`), what
was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from faultlens.errors import ConfigError


class TableReader:
    """Checks for one file's tables; each failure is a ConfigError naming the file and the key."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{key}: {message}", path=self.path)

    def tables(self, server: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        value = server.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(key, f"expected an array of tables ([[{key}]]), found {value!r:.60}")
        return [(f"{key}[{number}]", table) for number, table in enumerate(value, start=1)]

    def known(self, table: Mapping[str, Any], where: str, keys: tuple[str, ...]) -> None:
        for key in table:
            if key not in keys:
                raise self.fail(f"{where}.{key}", f"unknown key; expected one of: {', '.join(keys)}")

    def text(self, table: Mapping[str, Any], where: str, key: str, required: bool = False) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value:
            if value is None and not required:
                return ""
            raise self.fail(f"{where}.{key}", f"expected a non-empty string, found {value!r:.60}")
        return value

    def strings(self, table: Mapping[str, Any], where: str, key: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(f"{where}.{key}", f"expected a list of non-empty strings, found {value!r:.60}")
        return value

    def choice(self, table: Mapping[str, Any], where: str, key: str, options: Sequence[str],
               default: str | None) -> str:
        value = table.get(key, default)
        if value not in options:
            raise self.fail(f"{where}.{key}", f"expected one of {', '.join(options)}, found {value!r:.60}")
        return str(value)

    def number(self, table: Mapping[str, Any], where: str, key: str, default: float | None, *, minimum: float,
               integer: bool = False) -> Any:
        value = table.get(key, default)
        if value is None:
            return None
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or value < minimum:
            expected = "a whole number" if integer else "a number"
            raise self.fail(f"{where}.{key}", f"expected {expected} of at least {minimum:g}, found {value!r:.60}")
        return value
