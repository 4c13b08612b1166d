"""The shape of a catalogue entry, and the checks that turn a TOML table into one.

Entries are data that people add by hand, so every check names the file, the entry id and the
field at fault, and unknown keys are refused: a misspelt `mesages` would otherwise silently
match nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

from faultlens.errors import ConfigError

CATEGORIES: tuple[str, ...] = ("runtime", "logic", "integration", "performance", "configuration", "security")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
ROOT_CAUSE_KINDS: tuple[str, ...] = (
    "deploy", "configuration", "resource-exhaustion", "downstream-timeout", "dependency-failure",
    "race-condition", "bad-input", "security", "infrastructure", "unknown",
)
PLATFORMS: tuple[str, ...] = (
    "python", "jvm", "node", "go", "dotnet", "ruby", "php", "native", "rust",
    "postgresql", "mysql", "redis", "kafka", "rabbitmq", "grpc", "http", "nginx", "kubernetes", "aws", "linux",
    "browser",
)
"""Platforms an entry may name: runtimes (as `Evidence.platform` spells them) and the systems around them."""

RUNTIME_PLATFORMS: frozenset[str] = frozenset({"python", "jvm", "node", "go", "dotnet", "ruby", "php", "native", "rust",
                                               "browser"})
"""The platforms that are runtimes: an entry naming some of them applies to events of those runtimes only."""

RULE_KEYS: tuple[str, ...] = ("types", "messages", "frames", "status", "paths", "loggers", "signals")
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SAMPLE_FIELDS = frozenset({"http_status", "http_method", "http_path", "logger", "platform"})


class CatalogueError(ConfigError):
    """A pattern file or entry is malformed; the message names the file, the entry and the field."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One way an entry can be recognised: every key present must hold (each by any of its items)."""

    types: tuple[str, ...] = ()
    messages: tuple[re.Pattern[str], ...] = ()
    frames: tuple[re.Pattern[str], ...] = ()
    status: tuple[int, ...] = ()
    paths: tuple[re.Pattern[str], ...] = ()
    loggers: tuple[re.Pattern[str], ...] = ()
    signals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A concrete change, in the language of the runtime or tool it applies to."""

    lang: str
    code: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Fix:
    summary: str
    code: tuple[CodeBlock, ...]


@dataclass(frozen=True, slots=True)
class Monitoring:
    """What to watch; `alert` is PromQL over faultlens's own metrics, so it works with no other exporter."""

    summary: str
    alert: str
    watch: str


@dataclass(frozen=True, slots=True)
class Sample:
    """A real occurrence of the pattern and where it came from (a command run here, or a public URL)."""

    source: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One catalogue entry: how to recognise a known error and everything a report says about it."""

    id: str
    title: str
    category: str
    severity: str
    severity_reason: str
    root_cause_kind: str
    platforms: tuple[str, ...]
    rules: tuple[Rule, ...]
    explanation: str
    fix: Fix
    testing: tuple[str, ...]
    prevention: tuple[str, ...]
    monitoring: Monitoring
    runbook: tuple[str, ...]
    sample: Sample
    file: str
    refines: tuple[str, ...] = ()


class _Reader:
    """Reads one table of one entry, raising errors that say where."""

    def __init__(self, table: Any, file: str, entry: str, prefix: str = "") -> None:
        self.file, self.entry, self.prefix = file, entry, prefix
        if not isinstance(table, dict):
            self.fail("", "must be a table")
        self.table: dict[str, Any] = table

    def fail(self, key: str, problem: str) -> NoReturn:
        name = f"{self.prefix}{key}" or self.prefix.rstrip(".")
        raise CatalogueError(f"entry {self.entry!r}, field {name!r}: {problem}; fix the entry and reload",
                             path=self.file)

    def only(self, allowed: tuple[str, ...] | frozenset[str]) -> None:
        for key in self.table:
            if key not in allowed:
                self.fail(key, f"unknown key (expected one of {', '.join(sorted(allowed))})")

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.table.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be a non-empty string")
        return str(value).strip()

    def prose(self, key: str) -> str:
        """A text whose line breaks are only the file's wrapping: renderers wrap it their own way."""
        return " ".join(self.text(key).split())

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in choices:
            self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def texts(self, key: str, *, optional: bool = False) -> tuple[str, ...]:
        value = self.table.get(key)
        if value is None and optional:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, "must be a non-empty list of non-empty strings")
        return tuple(v.strip() for v in value)

    def regexes(self, key: str) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for source in self.texts(key, optional=True):
            try:
                compiled.append(re.compile(source))
            except re.error as exc:
                self.fail(key, f"bad regular expression {source!r}: {exc}")
        return tuple(compiled)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.table.get(key), self.file, self.entry, f"{self.prefix}{key}.")


def parse_pattern(table: Any, file: str, position: int) -> Pattern:
    """A validated Pattern from one `[[pattern]]` table of `file` (the `position`-th, for errors)."""
    entry = table.get("id", f"#{position}") if isinstance(table, dict) else f"#{position}"
    top = _Reader(table, file, str(entry))
    top.only(frozenset(Pattern.__dataclass_fields__) - {"rules", "file"} | {"match"})
    pattern_id = top.text("id")
    if not _ID.fullmatch(pattern_id):
        top.fail("id", f"{pattern_id!r} is not kebab-case")
    platforms = top.texts("platforms")
    for platform in platforms:
        if platform not in PLATFORMS:
            top.fail("platforms", f"{platform!r} is not one of {', '.join(PLATFORMS)}")
    return Pattern(
        id=pattern_id,
        title=top.prose("title"),
        category=top.choice("category", CATEGORIES),
        severity=top.choice("severity", SEVERITIES),
        severity_reason=top.prose("severity_reason"),
        root_cause_kind=top.choice("root_cause_kind", ROOT_CAUSE_KINDS),
        platforms=platforms,
        rules=_rules(top),
        explanation=top.prose("explanation"),
        fix=_fix(top.sub("fix")),
        testing=top.texts("testing"),
        prevention=top.texts("prevention"),
        monitoring=_monitoring(top.sub("monitoring")),
        runbook=top.texts("runbook"),
        sample=_sample(top.sub("sample")),
        file=file,
        refines=top.texts("refines", optional=True),
    )


def _rules(top: _Reader) -> tuple[Rule, ...]:
    tables = top.table.get("match")
    if not isinstance(tables, list) or not tables:
        top.fail("match", "must hold at least one [[pattern.match]] rule")
    rules = []
    for index, table in enumerate(tables):
        reader = _Reader(table, top.file, top.entry, f"match[{index}].")
        reader.only(RULE_KEYS)
        if not reader.table:
            reader.fail("", "a rule needs at least one of " + ", ".join(RULE_KEYS))
        status = reader.table.get("status", [])
        if not isinstance(status, list) or not all(isinstance(s, int) and 100 <= s <= 599 for s in status):
            reader.fail("status", "must be a list of HTTP status codes")
        rules.append(Rule(
            types=reader.texts("types", optional=True),
            messages=reader.regexes("messages"),
            frames=reader.regexes("frames"),
            status=tuple(status),
            paths=reader.regexes("paths"),
            loggers=reader.regexes("loggers"),
            signals=reader.texts("signals", optional=True),
        ))
    return tuple(rules)


def _fix(reader: _Reader) -> Fix:
    reader.only(("summary", "code"))
    blocks = reader.table.get("code")
    if not isinstance(blocks, list) or not blocks:
        reader.fail("code", "must hold at least one [[pattern.fix.code]] block")
    code = []
    for index, table in enumerate(blocks):
        block = _Reader(table, reader.file, reader.entry, f"fix.code[{index}].")
        block.only(("lang", "code", "title"))
        code.append(CodeBlock(lang=block.text("lang"), code=block.text("code"),
                              title=block.text("title", optional=True) or None))
    return Fix(summary=reader.prose("summary"), code=tuple(code))


def _monitoring(reader: _Reader) -> Monitoring:
    reader.only(("summary", "alert", "watch"))
    alert = reader.text("alert")
    if "faultlens_" not in alert:
        reader.fail("alert", "must be PromQL over faultlens_events_total or faultlens_records_total")
    return Monitoring(summary=reader.prose("summary"), alert=alert, watch=reader.prose("watch"))


def _sample(reader: _Reader) -> Sample:
    reader.only(("source", "text", "fields"))
    fields = reader.table.get("fields", {})
    if not isinstance(fields, dict) or not set(fields) <= _SAMPLE_FIELDS:
        reader.fail("fields", f"must be a table with keys among {', '.join(sorted(_SAMPLE_FIELDS))}")
    text = reader.table.get("text")
    if not isinstance(text, str) or not text.strip():
        reader.fail("text", "must be a non-empty string")
    return Sample(source=reader.text("source"), text=str(text).strip("\n"), fields=dict(fields))
