"""The catalogue of known error patterns: loaded and checked once, then matched against each issue.

Match semantics, as the pattern files rely on them:

- An entry has one or more rules (`[[pattern.match]]`); it matches when any rule fires.
- A rule fires when every key it holds is satisfied; a key is satisfied by any one of its items.
- `types` name exceptions of the chain, any of them: a name with a separator (`.`, `::`, `\\`,
  `$`, `/`) must equal the qualified type, a bare name equals the simple name.
- `messages` and `frames` are regular expressions (Python `re`, searched, case-sensitive unless
  the pattern says `(?i)`). In a rule that has `types` they must hold on an exception of a
  matching type (its value, its frames); otherwise messages search the event message, every
  exception value and the raw trace text, and frames search every exception's frames.
- `status` equals the HTTP status, `paths` search the request path, `loggers` search the logger
  name, and `signals` name findings an analyzer attached to the Evidence.

An entry whose platforms name runtimes (python, jvm, node, ...) is skipped for an event of
another known runtime, so a Ruby KeyError never gets the Python entry's fix; entries naming only
systems (http, kubernetes, postgresql, ...) apply to events of any runtime.

A rule scores the weights of its keys (below), so a rule that needs a type and a message beats
one that needs either alone; the entry whose platforms include the event's gets a small bonus,
and an entry that `refines` another (a narrower case of it) gets a bonus when both match.
Diagnoses come best first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from faultlens.knowledge.evidence import Evidence, ExceptionEvidence, is_qualified, simple_name
from faultlens.knowledge.schema import (
    RUNTIME_PLATFORMS,
    CatalogueError,
    Fix,
    Monitoring,
    Pattern,
    Rule,
    parse_pattern,
)

WEIGHTS: dict[str, float] = {
    "qualified_type": 4.0, "type": 3.0, "messages": 3.0, "signals": 3.0, "frames": 2.0, "status": 2.0,
    "paths": 2.0, "loggers": 1.0,
}
"""What each satisfied key adds to a rule's score; a qualified type name is surer than a bare one."""

PLATFORM_BONUS = 0.5
"""Added when the event's platform is one the entry names: a tie-breaker, never a reason to match."""

REFINES_BONUS = 1.0
"""Added when an entry that `refines` another matches alongside it, so the narrower diagnosis wins."""


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A catalogue entry that matched an issue, how strongly, and which rule items fired."""

    pattern: Pattern
    score: float
    reasons: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.pattern.id

    @property
    def title(self) -> str:
        return self.pattern.title

    @property
    def category(self) -> str:
        return self.pattern.category

    @property
    def severity(self) -> str:
        return self.pattern.severity

    @property
    def root_cause_kind(self) -> str:
        return self.pattern.root_cause_kind

    @property
    def explanation(self) -> str:
        return self.pattern.explanation

    @property
    def fix(self) -> Fix:
        return self.pattern.fix

    @property
    def testing(self) -> tuple[str, ...]:
        return self.pattern.testing

    @property
    def prevention(self) -> tuple[str, ...]:
        return self.pattern.prevention

    @property
    def monitoring(self) -> Monitoring:
        return self.pattern.monitoring

    @property
    def runbook(self) -> tuple[str, ...]:
        return self.pattern.runbook


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    """A rule with its type names split once into qualified and simple sets."""

    rule: Rule
    qualified: frozenset[str]
    simple: frozenset[str]

    @classmethod
    def of(cls, rule: Rule) -> _CompiledRule:
        qualified = frozenset(name for name in rule.types if is_qualified(name))
        return cls(rule, qualified, frozenset(rule.types) - qualified)

    def fire(self, evidence: Evidence) -> tuple[float, list[str]] | None:
        """The score and reasons of this rule on evidence, or None when some key fails."""
        rule = self.rule
        score, reasons = 0.0, []
        if rule.types:
            bound = self._bind(evidence.exceptions)
            if bound is None:
                return None
            exc, qualified, message_hit, frame_hit = bound
            score += WEIGHTS["qualified_type" if qualified else "type"]
            reasons.append(f"type {exc.qualified}")
            if message_hit:
                score += WEIGHTS["messages"]
                reasons.append(f"message /{message_hit}/")
            if frame_hit:
                score += WEIGHTS["frames"]
                reasons.append(f"frame /{frame_hit}/")
        else:
            if rule.messages:
                hit = _first_search(rule.messages, evidence.texts)
                if hit is None:
                    return None
                score += WEIGHTS["messages"]
                reasons.append(f"message /{hit}/")
            if rule.frames:
                hit = _first_search(rule.frames, (f for exc in evidence.exceptions for f in exc.frames))
                if hit is None:
                    return None
                score += WEIGHTS["frames"]
                reasons.append(f"frame /{hit}/")
        if rule.status:
            if evidence.http_status not in rule.status:
                return None
            score += WEIGHTS["status"]
            reasons.append(f"status {evidence.http_status}")
        for key, value in (("paths", evidence.http_path), ("loggers", evidence.logger)):
            regexes: tuple[re.Pattern[str], ...] = getattr(rule, key)
            if regexes:
                hit = _first_search(regexes, (value,) if value else ())
                if hit is None:
                    return None
                score += WEIGHTS[key]
                reasons.append(f"{key[:-1]} /{hit}/")
        if rule.signals:
            found = [signal for signal in rule.signals if signal in evidence.signals]
            if not found:
                return None
            score += WEIGHTS["signals"]
            reasons.append(f"signal {found[0]}")
        return score, reasons

    def _bind(self, exceptions: Sequence[ExceptionEvidence]) -> tuple[ExceptionEvidence, bool, str, str] | None:
        """The first exception, last raised first, of a named type that also holds the rule's messages and frames."""
        rule = self.rule
        for exc in reversed(exceptions):
            qualified = exc.qualified in self.qualified
            if not qualified and exc.simple not in self.simple:
                continue
            message_hit = _first_search(rule.messages, (exc.value,)) if rule.messages else ""
            frame_hit = _first_search(rule.frames, exc.frames) if rule.frames else ""
            if message_hit is None or frame_hit is None:
                continue
            return exc, qualified, message_hit, frame_hit
        return None


def _first_search(regexes: Iterable[re.Pattern[str]], texts: Iterable[str]) -> str | None:
    """The source of the first regex found in any text, or None."""
    texts = tuple(texts)
    for regex in regexes:
        for text in texts:
            if text and regex.search(text):
                return regex.pattern
    return None


class Catalogue:
    """Known patterns, indexed by exception name so most entries are never tried on a given issue."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        seen: dict[str, str] = {}
        for pattern in patterns:
            if pattern.id in seen:
                raise CatalogueError(f"entry {pattern.id!r}, field 'id': already defined in {seen[pattern.id]}; "
                                     "give one of them another id", path=pattern.file)
            seen[pattern.id] = pattern.file
        for pattern in patterns:
            for refined in pattern.refines:
                if refined not in seen or refined == pattern.id:
                    raise CatalogueError(f"entry {pattern.id!r}, field 'refines': no other entry {refined!r}; "
                                         "name an existing entry id", path=pattern.file)
        self.patterns: tuple[Pattern, ...] = tuple(patterns)
        self._by_id = {p.id: p for p in self.patterns}
        self._rules = {p.id: tuple(_CompiledRule.of(rule) for rule in p.rules) for p in self.patterns}
        self._runtimes = {p.id: frozenset(p.platforms) & RUNTIME_PLATFORMS for p in self.patterns}
        self._by_type: dict[str, list[Pattern]] = {}
        self._always: list[Pattern] = []
        for pattern in self.patterns:
            if any(not rule.types for rule in pattern.rules):
                self._always.append(pattern)
                continue
            for name in {simple_name(t) for rule in pattern.rules for t in rule.types}:
                self._by_type.setdefault(name, []).append(pattern)

    def __len__(self) -> int:
        return len(self.patterns)

    def get(self, pattern_id: str) -> Pattern:
        """The entry with this id; KeyError if there is none."""
        return self._by_id[pattern_id]

    def match(self, evidence: Evidence) -> list[Diagnosis]:
        """Every entry that matches, best first (ties by id, so the order is stable)."""
        candidates = {p.id: p for p in self._always}
        for exc in evidence.exceptions:
            for pattern in self._by_type.get(exc.simple, ()):
                candidates[pattern.id] = pattern
        found = []
        for pattern in candidates.values():
            if not self._applies(pattern, evidence.platform):
                continue
            best: tuple[float, list[str]] | None = None
            for rule in self._rules[pattern.id]:
                fired = rule.fire(evidence)
                if fired is not None and (best is None or fired[0] > best[0]):
                    best = fired
            if best is None:
                continue
            score, reasons = best
            if evidence.platform and evidence.platform in pattern.platforms:
                score += PLATFORM_BONUS
                reasons = [*reasons, f"platform {evidence.platform}"]
            found.append(Diagnosis(pattern, score, tuple(reasons)))
        matched = {d.id for d in found}
        found = [self._refined(d, matched) for d in found]
        found.sort(key=lambda d: (-d.score, d.pattern.id))
        return found

    def _applies(self, pattern: Pattern, platform: str | None) -> bool:
        if platform not in RUNTIME_PLATFORMS:
            return True
        runtimes = self._runtimes[pattern.id]
        return not runtimes or platform in runtimes

    @staticmethod
    def _refined(diagnosis: Diagnosis, matched: set[str]) -> Diagnosis:
        narrower = [refined for refined in diagnosis.pattern.refines if refined in matched]
        if not narrower:
            return diagnosis
        return Diagnosis(diagnosis.pattern, diagnosis.score + REFINES_BONUS,
                         (*diagnosis.reasons, f"refines {narrower[0]}"))


def pattern_files() -> list[Traversable]:
    """The pattern files shipped with faultlens, in name order."""
    folder = files("faultlens.knowledge") / "patterns"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


def load_catalogue(paths: Iterable[Traversable | Path] | None = None) -> Catalogue:
    """Read and check pattern files (the shipped ones by default); a bad file raises CatalogueError."""
    patterns: list[Pattern] = []
    for path in pattern_files() if paths is None else paths:
        name = f"knowledge/patterns/{path.name}" if paths is None else str(path)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError(f"not valid TOML: {exc}; fix the file", path=name) from exc
        unknown = set(document) - {"pattern"}
        if unknown:
            raise CatalogueError(f"unknown top-level keys {sorted(unknown)}; entries go in [[pattern]] tables",
                                 path=name)
        for position, table in enumerate(document.get("pattern", []), start=1):
            patterns.append(parse_pattern(table, name, position))
    return Catalogue(patterns)


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue()


def match(evidence: Evidence) -> list[Diagnosis]:
    """Diagnoses from the shipped catalogue for one issue's evidence, best first."""
    return default_catalogue().match(evidence)
