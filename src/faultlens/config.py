"""`faultlens.toml`: the settings a team keeps beside its code, read once per command.

Every key is declared once in :data:`SETTINGS` with what it expects and why it exists; the
checks and docs/grouping.md follow that table (tests/test_config.py keeps the docs complete). A
wrong value stops the command with a ConfigError naming the file, the line of its table, the
key, what was expected and what was found.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faultlens.errors import ConfigError
from faultlens.grouping.rules import EVENT_FIELDS, PLACEHOLDER, FingerprintRule, GroupingConfig, StackRule
from faultlens.ingest.sources import MAX_DECOMPRESSED_BYTES
from faultlens.model import LEVELS
from faultlens.scrub import ScrubRules

CONFIG_FILE = "faultlens.toml"


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of `faultlens.toml`: where it lives, what it expects, and why."""

    key: str
    expected: str
    help: str
    kind: type | tuple[type, ...] | None = None
    """The Python type a `[server]` key's value must have (keys read elsewhere check their own)."""


SETTINGS: tuple[Setting, ...] = (
    Setting("stacktrace.app_packages", "a list of module or path prefixes",
            "Your own code, as with --app-package: frames under these prefixes are in-app."),
    Setting("stacktrace.rules[].path", "a glob", "Frames whose file path matches."),
    Setting("stacktrace.rules[].module", "a glob", "Frames whose module matches."),
    Setting("stacktrace.rules[].function", "a glob", "Frames whose function matches."),
    Setting("stacktrace.rules[].in_app", "true or false", "Mark matching frames in-app or not."),
    Setting("stacktrace.rules[].ignore", "true or false", "Leave matching frames out of fingerprints."),
    Setting("fingerprint.rules[].name", "a string",
            "Shown in the grouping explanation; defaults to the rule's number."),
    Setting("fingerprint.rules[].type", "a glob", "Any exception type of the chain, with or without its module."),
    Setting("fingerprint.rules[].message", "a glob", "The message or any exception value."),
    Setting("fingerprint.rules[].message_regex", "a regular expression",
            "The message or any exception value (searched, not anchored)."),
    Setting("fingerprint.rules[].module", "a glob", "The module of any frame."),
    Setting("fingerprint.rules[].path", "a glob", "The file path of any frame."),
    Setting("fingerprint.rules[].service", "a glob", "The service."),
    Setting("fingerprint.rules[].tags", "a table of tag name to glob", "Each named tag's value."),
    Setting("fingerprint.rules[].fingerprint", "a string, {field} placeholders allowed",
            "Matching events form one issue keyed by this text instead of the default fingerprint."),
    Setting("fingerprint.rules[].extra", "a list of strings, {field} placeholders allowed",
            "Parts added to the default fingerprint, splitting its issue by them."),
    Setting("ingest.max_decompressed_bytes", "a positive whole number",
            "What one gzip or zstd input may inflate to before reading it stops (default 32 GiB): guards "
            "against compression bombs."),
    Setting("scrub.enabled", "true or false",
            "Replace secrets (passwords, tokens, cookies, Authorization headers) and card numbers in events by "
            "[Filtered] before they are stored (default true)."),
    Setting("scrub.fields", "a list of strings",
            "More field names to treat as secret, besides password, secret, token, api_key, auth, cookie, "
            "session and the others docs/server.md lists; a field whose name contains one is filtered."),
    Setting("server.host", "a host name or address", "Where `faultlens serve` listens (default 127.0.0.1).", kind=str),
    Setting("server.port", "a port number", "The port `faultlens serve` listens on (default 8000).", kind=int),
    Setting("server.db", "a path", "The store the server owns (default .faultlens/faultlens.duckdb).", kind=str),
    Setting("server.public_url", "a URL", "How SDKs reach the server, for the DSNs `faultlens projects` prints.",
            kind=str),
    Setting("server.spool_dir", "a path", "The write-ahead spool of accepted requests (default: the store's path "
            "+ .spool).", kind=str),
    Setting("server.min_level", "debug, info, warning, error or fatal",
            "Lowest level a log record must have to be kept as an event; SDK events are always kept.", kind=str),
    Setting("server.max_body_bytes", "a positive whole number", "Largest request body, as sent (413 past it).",
            kind=int),
    Setting("server.max_decompressed_bytes", "a positive whole number",
            "Largest request body once inflated (413 past it): guards against compression bombs.", kind=int),
    Setting("server.max_event_bytes", "a positive whole number", "Largest single event or envelope item.", kind=int),
    Setting("server.queue_size", "a positive whole number",
            "Accepted requests waiting for the writer; past it, 503 with Retry-After.", kind=int),
    Setting("server.queue_bytes", "a positive whole number",
            "Bytes of accepted requests waiting for the writer (in the spool); past it, 503 too.", kind=int),
    Setting("server.rate_per_key", "a number of events per second (0 for no limit)",
            "Average rate each project key may send at; past it, 429 with Retry-After.", kind=(int, float)),
    Setting("server.rate_burst", "a positive whole number", "Events a key may send at once above its rate.", kind=int),
    Setting("server.batch_requests", "a positive whole number",
            "Accepted requests the writer commits at most in one batch.", kind=int),
    Setting("server.store_threads", "a whole number (0 for one per core)",
            "Threads the embedded DuckDB store may use while the server runs.", kind=int),
    Setting("server.batch_bytes", "a positive whole number",
            "Bytes of accepted requests the writer commits at most in one batch (one larger request goes alone).",
            kind=int),
    Setting("server.batch_wait_seconds", "a number of seconds",
            "How long the writer waits to fill a batch before committing what it has.", kind=(int, float)),
    # Alerts and probes (docs/alerting.md): read by faultlens/server/alerting.py and probes.py.
    Setting("server.webhook_allowed_networks", "a list of networks (\"10.0.0.0/8\")",
            "Private or loopback networks alert webhooks may be in; any other such address is refused.", kind=list),
    Setting("server.webhooks[].name", "a string", "How alert rules name this webhook."),
    Setting("server.webhooks[].url", "an http:// or https:// URL", "Where alerts are posted."),
    Setting("server.webhooks[].format", "json or slack", "The generic JSON payload, or Slack's text and blocks."),
    Setting("server.webhooks[].max_per_minute", "a whole number", "Alerts sent at most per minute (default 30)."),
    Setting("server.webhooks[].timeout", "a number of seconds", "How long one try waits for an answer (default 5)."),
    Setting("server.alerts[].kind", "new_issue, regression, spike or error_rate", "What the rule watches."),
    Setting("server.alerts[].services", "a list of globs", "Only issues or services whose service matches."),
    Setting("server.alerts[].projects", "a list of globs", "Only issues of matching projects."),
    Setting("server.alerts[].threshold", "a number",
            "spike: robust standard deviations above the baseline (default 3); error_rate: a fraction (0.05)."),
    Setting("server.alerts[].window", "a whole number of minutes",
            "spike: the window compared with its baseline (default 10); error_rate: the window (default 5)."),
    Setting("server.alerts[].cooldown", "a whole number of minutes",
            "One alert per issue (or service) per kind per webhook in this time (default 60)."),
    Setting("server.alerts[].min_records", "a whole number",
            "error_rate: records the window needs before a rate is judged (default 20)."),
    Setting("server.alerts[].webhooks", "a list of webhook names", "Where the rule's alerts go."),
    Setting("server.probes[].name", "a string", "The probe, and the service its failures are events of."),
    Setting("server.probes[].url", "an http:// or https:// URL", "What to call: a /health, /ready or any URL."),
    Setting("server.probes[].method", "GET, HEAD, POST, PUT or OPTIONS", "The request method (default GET)."),
    Setting("server.probes[].interval", "a number of seconds", "Time between checks (default 30, at least 1)."),
    Setting("server.probes[].expected_status", "a status or a list of them", "Good answers (default 200)."),
    Setting("server.probes[].latency_threshold_ms", "a number of milliseconds",
            "A good answer slower than this is a warning event."),
    Setting("server.probes[].timeout", "a number of seconds", "No answer in this time is an error (default 5)."),
    Setting("server.probes[].project", "a project name", "The project the events go to (default: default)."),
)

def _server_kinds() -> dict[str, type | tuple[type, ...]]:
    """The Python type each `[server]` key must have, from SETTINGS: tables of `[[server.NAME]]` are lists.
    Numbers must be positive (rate_per_key and store_threads may be 0)."""
    kinds: dict[str, type | tuple[type, ...]] = {}
    for setting in SETTINGS:
        name = setting.key.removeprefix("server.")
        if name == setting.key:
            continue
        if "[]" in name:
            kinds.setdefault(name.split("[]", 1)[0], list)
        elif setting.kind is not None:
            kinds[name] = setting.kind
    return kinds


SERVER_KINDS = _server_kinds()

_EXPECTED = {setting.key: setting.expected for setting in SETTINGS}


@dataclass(frozen=True, slots=True)
class Config:
    """What `faultlens.toml` says; defaults when there is none."""

    path: Path | None = None
    grouping: GroupingConfig = field(default_factory=GroupingConfig)
    server: Mapping[str, Any] = field(default_factory=dict)
    """The `[server]` table, checked against SETTINGS; faultlens/server/config.py reads it."""
    max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES
    """`[ingest] max_decompressed_bytes`: what one compressed input may inflate to."""


def load_config(path: Path | None = None, cwd: Path | None = None) -> Config:
    """Read `path` (it must exist), else `faultlens.toml` in the working directory if there is one."""
    if path is None:
        default = (cwd or Path.cwd()) / CONFIG_FILE
        if not default.is_file():
            return Config()
        path = default
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such configuration file; check the --config path", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration file ({exc}); check the --config path",
                          path=str(path)) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"not valid TOML: {exc}; see https://toml.io for the syntax", path=str(path),
                          line=int(line.group(1)) if line else None) from None
    reader = _Reader(text, path)
    reader.known(data, "", ("stacktrace", "fingerprint", "server", "ingest", "scrub"))
    stack = reader.table(data, "stacktrace")
    reader.known(stack, "stacktrace", ("app_packages", "rules"))
    fingerprint = reader.table(data, "fingerprint")
    reader.known(fingerprint, "fingerprint", ("rules",))
    app_packages = reader.strings(stack, "stacktrace.app_packages")
    stack_rules = tuple(reader.stack_rule(rule, n) for n, rule in reader.rules(stack, "stacktrace.rules"))
    fingerprint_rules = tuple(reader.fingerprint_rule(rule, n)
                              for n, rule in reader.rules(fingerprint, "fingerprint.rules"))
    server = reader.server(reader.table(data, "server"))
    scrub = reader.scrub(reader.table(data, "scrub"))
    ingest = reader.table(data, "ingest")
    reader.known(ingest, "ingest", ("max_decompressed_bytes",), reader.section_line("ingest"))
    limit = ingest.get("max_decompressed_bytes", MAX_DECOMPRESSED_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise reader.fail("ingest.max_decompressed_bytes", f"expected a positive whole number, found {_shown(limit)}",
                          reader.section_line("ingest"))
    return Config(path, GroupingConfig(tuple(app_packages), stack_rules, fingerprint_rules, scrub), server, limit)


class _Reader:
    """Checks values against SETTINGS and raises errors that point into the file."""

    def __init__(self, text: str, path: Path) -> None:
        self.lines = text.splitlines()
        self.path = path

    def fail(self, key: str, message: str, line: int | None = None) -> ConfigError:
        return ConfigError(f"{key}: {message}", path=str(self.path), line=line)

    def known(self, table: Mapping[str, Any], where: str, keys: tuple[str, ...], line: int | None = None) -> None:
        for key in table:
            if key not in keys:
                name = f"{where}.{key}" if where else key
                raise self.fail(name, f"unknown key; expected one of: {', '.join(keys)}", line)

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table ([{key}]), found {_shown(value)}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, line: int | None = None) -> list[str]:
        value = table.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(key, f"expected {_EXPECTED[_generic(key)]} (non-empty strings), found {_shown(value)}",
                            line)
        return value

    def scrub(self, table: dict[str, Any]) -> ScrubRules:
        line = self.section_line("scrub")
        self.known(table, "scrub", ("enabled", "fields"), line)
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail("scrub.enabled", f"expected true or false, found {_shown(enabled)}", line)
        return ScrubRules(enabled, tuple(self.strings(table, "scrub.fields", line)))

    def server(self, table: dict[str, Any]) -> dict[str, Any]:
        line = self.section_line("server")
        self.known(table, "server", tuple(SERVER_KINDS), line)
        for key, value in table.items():
            kind = SERVER_KINDS[key]
            wrong = not isinstance(value, kind) or isinstance(value, bool)
            if not wrong and isinstance(value, int | float) and not isinstance(value, bool):
                wrong = value < 0 or (value == 0 and key not in ("rate_per_key", "store_threads"))
            if not wrong and key == "min_level":
                wrong = value not in LEVELS
            if wrong:
                expected = _EXPECTED.get(f"server.{key}", f"an array of tables ([[server.{key}]])")
                raise self.fail(f"server.{key}", f"expected {expected}, found {_shown(value)}", line)
        return table

    def section_line(self, name: str) -> int | None:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
        return next((index for index, text in enumerate(self.lines, start=1) if pattern.match(text)), None)

    def rules(self, table: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
        value = table.get("rules", [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(key, f"expected an array of tables ([[{key}]]), found {_shown(value)}")
        return list(enumerate(value, start=1))

    def rule_line(self, header: str, number: int) -> int | None:
        """Line of the `number`th `[[header]]` table, so an error points at the rule."""
        seen = 0
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(header)}\s*\]\]")
        for index, text in enumerate(self.lines, start=1):
            if pattern.match(text):
                seen += 1
                if seen == number:
                    return index
        return None

    def text(self, rule: Mapping[str, Any], where: str, key: str, line: int | None,
             check: Callable[[str], str | None] | None = None) -> str | None:
        value = rule.get(key)
        if value is None:
            return None
        generic = _generic(f"{where}.{key}")
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where}.{key}", f"expected {_EXPECTED[generic]}, found {_shown(value)}", line)
        problem = check(value) if check else None
        if problem:
            raise self.fail(f"{where}.{key}", f"expected {_EXPECTED[generic]}, but {problem}", line)
        return value

    def flag(self, rule: Mapping[str, Any], where: str, key: str, line: int | None) -> bool | None:
        value = rule.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected true or false, found {_shown(value)}", line)
        return value

    def stack_rule(self, rule: dict[str, Any], number: int) -> StackRule:
        where = f"stacktrace.rules[{number}]"
        line = self.rule_line("stacktrace.rules", number)
        self.known(rule, where, ("path", "module", "function", "in_app", "ignore"), line)
        globs = {key: self.text(rule, where, key, line) for key in ("path", "module", "function")}
        in_app = self.flag(rule, where, "in_app", line)
        ignore = self.flag(rule, where, "ignore", line) or False
        if not any(globs.values()):
            raise self.fail(where, "expected at least one of path, module or function to match frames by", line)
        if in_app is None and not ignore:
            raise self.fail(where, "expected in_app = true/false or ignore = true: the rule does nothing", line)
        return StackRule(globs["path"], globs["module"], globs["function"], in_app, ignore)

    def fingerprint_rule(self, rule: dict[str, Any], number: int) -> FingerprintRule:
        where = f"fingerprint.rules[{number}]"
        line = self.rule_line("fingerprint.rules", number)
        conditions = ("type", "message", "message_regex", "module", "path", "service", "tags")
        self.known(rule, where, ("name", *conditions, "fingerprint", "extra"), line)
        name = self.text(rule, where, "name", line) or where
        found = {key: self.text(rule, where, key, line) for key in ("type", "message", "module", "path", "service")}
        regex = self.text(rule, where, "message_regex", line, _regex_problem)
        tags = rule.get("tags", {})
        if not isinstance(tags, dict) or not all(isinstance(v, str) and v for v in tags.values()):
            raise self.fail(f"{where}.tags", f"expected {_EXPECTED['fingerprint.rules[].tags']}, found "
                            f"{_shown(tags)}", line)
        fingerprint = self.text(rule, where, "fingerprint", line, _placeholder_problem)
        extra = self.strings(rule, f"{where}.extra", line)
        for part in extra:
            problem = _placeholder_problem(part)
            if problem:
                raise self.fail(f"{where}.extra", f"expected {_EXPECTED['fingerprint.rules[].extra']}, but "
                                f"{problem}", line)
        if not any(found.values()) and regex is None and not tags:
            raise self.fail(where, f"expected at least one condition ({', '.join(conditions)}); a rule without "
                            "one would match every event", line)
        if (fingerprint is None) == (not extra):
            raise self.fail(where, "expected either fingerprint (a fixed issue) or extra (parts added to the "
                            "default fingerprint), not both and not neither", line)
        return FingerprintRule(name, found["type"], found["message"], regex, found["module"], found["path"],
                               found["service"], tuple(tags.items()), fingerprint, tuple(extra))


def _generic(key: str) -> str:
    return re.sub(r"\[\d+\]", "[]", key)


def _shown(value: Any) -> str:
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"{pattern!r} does not compile ({exc})"
    return None


def _placeholder_problem(text: str) -> str | None:
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in EVENT_FIELDS and not (name.startswith("tags.") and len(name) > 5):
            return (f"{{{name}}} is not a field; use one of {', '.join('{' + f + '}' for f in EVENT_FIELDS)} "
                    "or {tags.NAME}")
    return None
