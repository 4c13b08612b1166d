"""Online template miner for log messages without a stack trace.

A template is a message with its variable parts written ``<*>``. The miner learns templates from
a stream, one message at a time, with one configuration for every log: no per-system regexes or
thresholds. Each message goes through up to three steps, each skipped when the one before
answers:

1. **Digit-blind cache.** Two messages that differ only in their digits belong to one template,
   so the message with its digits deleted (one C-level ``bytes.translate``) is looked up first.
   On a warm stream almost every message stops here.
2. **Masking.** The message is split on whitespace and each token masked by the hand-written
   scanner in :mod:`faultlens.grouping.tokens` (numbers, ids, addresses, paths become ``<*>``).
   A run of variables becomes one slot, so lists of any length share a template, and variables
   separated only by spaces render as one ``<*>``. The masked tokens (the *skeleton*) are looked
   up exactly.
3. **Matching.** A new skeleton is compared with the templates of the same length and first
   token (the first word of a message is almost always fixed text), and with those of that length
   whose first token is a variable. It joins the most specific template whose fixed tokens it
   repeats and whose slots cover the rest. Otherwise:

   * a message that differs from a template in one token, where one side already holds a value
     there (``user 0`` against ``user admin``), generalizes that token at once;
   * templates that differ in one word only form a *family*, and stay apart until the position
     has shown enough distinct words to be a variable rather than a few fixed alternatives
     (``from NEW to RUNNING`` against ``user alice``). Then the family merges. Words proven to be
     values this way are remembered with the word or key before them (``user cyrus``,
     ``user=root``), and a family whose words are all known values of that kind merges at once.
   * the first word joins such a family only when at least three fixed words follow it, so a
     program name leading a long message can prove a variable (``chrome.exe - ... close``),
     while short statements that differ in their verb stay apart (``boot (command 7)``).

   Whenever a template generalizes, the templates it now covers merge into it.

Ids. A template's id is a hash of the skeleton that founded it, so the same input gives the same
ids in every run, and the id does not change when the template later generalizes. When templates
merge, the oldest survives with its id and the others become its aliases
(:meth:`TemplateMiner.canonical_id` resolves them), so an issue keyed on an absorbed id can still
be found.

Memory is bounded by the number of templates: the lookup caches of steps 1 and 2 are cleared
when they pass a fixed size, which costs speed, never correctness.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from faultlens.grouping.miner_tokens import covers_token, differing_parts, merge_tokens
from faultlens.grouping.tokens import VARIABLE, Skeletonizer

__all__ = ["MinedTemplate", "TemplateMiner"]

_DIGITS = b"0123456789"
_CACHE_LIMIT = 1 << 16
#: Distinct words a position must show before a family of templates merges into one variable.
_WORDS_FOR_VARIABLE = 4
_KNOWN_VALUES_LIMIT = 1 << 14
#: Fixed words a message needs after its first word before that first word may turn out a value.
_FIXED_WORDS_AFTER_FIRST = 3
_SPACED_VARIABLES = f"{VARIABLE} {VARIABLE}"


@dataclass(frozen=True, slots=True)
class MinedTemplate:
    """A template as the miner knows it now: a stable id and the text with ``<*>`` slots."""

    id: str
    template: str


class _Template:
    """One learned template: its slot tokens, its families, and where it was merged to."""

    __slots__ = ("families", "founder", "merged_into", "mined", "order", "tokens")

    def __init__(self, tokens: tuple[str, ...], order: int) -> None:
        self.tokens = tokens
        self.order = order
        self.merged_into: _Template | None = None
        self.families: dict[int, _Family] = {}
        digest = hashlib.blake2b(" ".join(tokens).encode("utf-8", "surrogatepass"), digest_size=8)
        self.founder = digest.hexdigest()
        self.mined = MinedTemplate(self.founder, self._render())

    def resolve(self) -> _Template:
        """The template this one now lives in: itself unless it was merged."""
        target = self
        while target.merged_into is not None:
            target = target.merged_into
        if target is not self:
            self.merged_into = target
        return target

    def covers(self, tokens: tuple[str, ...], empty: bool = False) -> int:
        """How many slots a skeleton needs to fit this template, or -1 if it does not fit; with
        ``empty``, a slot may also stand for no text."""
        slots = 0
        for mine, theirs in zip(tokens, self.tokens, strict=True):
            if mine != theirs:
                if not covers_token(theirs, mine, empty):
                    return -1
                slots += 1
        return slots

    def update(self, tokens: tuple[str, ...]) -> None:
        """Adopt generalized tokens and refresh the rendered template."""
        if tokens != self.tokens:
            self.tokens = tokens
            self.mined = MinedTemplate(self.founder, self._render())

    def _render(self) -> str:
        """Variables separated only by spaces render as one (a date, a list): the text of a value
        does not say how many words it has."""
        text = " ".join(self.tokens)
        while _SPACED_VARIABLES in text:
            text = text.replace(_SPACED_VARIABLES, VARIABLE)
        return text


class _Family:
    """Templates that differ from each other in the word at one position, keyed by that word."""

    __slots__ = ("members", "position")

    def __init__(self, position: int) -> None:
        self.position = position
        self.members: dict[str, _Template] = {}


class TemplateMiner:
    """Learn log templates online; the module docstring gives the method and why ids are stable."""

    def __init__(self) -> None:
        self._skeleton = Skeletonizer(_CACHE_LIMIT)
        self._by_digitless: dict[bytes, _Template] = {}
        self._by_skeleton: dict[tuple[str, ...], _Template] = {}
        self._buckets: dict[tuple[int, str], list[_Template]] = {}
        self._by_founder: dict[str, _Template] = {}
        self._by_tail: dict[tuple[str, ...], _Family] = {}
        self._known_values: set[tuple[str, str]] = set()
        self._count = 0

    def add(self, message: str) -> MinedTemplate:
        """Learn from one message and return the template it belongs to now."""
        key = message.encode("utf-8", "surrogatepass").translate(None, _DIGITS)
        found = self._by_digitless.get(key)
        if found is None:
            found = self._learn(message)
            if len(self._by_digitless) >= _CACHE_LIMIT:
                self._by_digitless.clear()
            self._by_digitless[key] = found
        elif found.merged_into is not None:
            found = found.resolve()
        return found.mined

    def match(self, message: str) -> MinedTemplate | None:
        """The template a message belongs to, without learning from it; None if none fits."""
        key = message.encode("utf-8", "surrogatepass").translate(None, _DIGITS)
        found = self._by_digitless.get(key)
        if found is None:
            tokens = self._skeleton(message)
            found = self._by_skeleton.get(tokens) or self._best_cover(tokens)
        return None if found is None else found.resolve().mined

    def canonical_id(self, template_id: str) -> str:
        """The id a template id lives under now: itself, or the template it was merged into."""
        found = self._by_founder.get(template_id)
        return template_id if found is None else found.resolve().founder

    def templates(self) -> list[MinedTemplate]:
        """Every live template, oldest first."""
        live = [t for bucket in self._buckets.values() for t in bucket]
        return [t.mined for t in sorted(live, key=lambda t: t.order)]

    def _learn(self, message: str) -> _Template:
        tokens = self._skeleton(message)
        found = self._by_skeleton.get(tokens)
        if found is not None:
            return found.resolve()
        found = self._best_cover(tokens) or self._place(tokens)
        if len(self._by_skeleton) >= _CACHE_LIMIT:
            self._by_skeleton.clear()
        self._by_skeleton[tokens] = found
        return found

    def _best_cover(self, tokens: tuple[str, ...]) -> _Template | None:
        """The most specific template that fits the skeleton, oldest first on ties."""
        best: _Template | None = None
        best_slots = len(tokens) + 1
        key = _bucket(tokens)
        candidates = self._buckets.get(key, [])
        if key[1] != VARIABLE:
            candidates = candidates + self._buckets.get((key[0], VARIABLE), [])
        for candidate in candidates:
            slots = candidate.covers(tokens)
            if 0 <= slots < best_slots or (slots == best_slots and best and candidate.order < best.order):
                best, best_slots = candidate, slots
        return best

    def _place(self, tokens: tuple[str, ...]) -> _Template:
        """Generalize a template the skeleton nearly fits, or found a new one."""
        bucket = self._buckets.setdefault(_bucket(tokens), [])
        near: list[tuple[_Template, int]] = []
        for candidate in bucket:
            position = _single_difference(tokens, candidate.tokens)
            if position is None:
                continue
            mine, theirs = tokens[position], candidate.tokens[position]
            merged = merge_tokens(mine, theirs)
            if _is_value_slot(mine, theirs) or self._both_known(tokens, candidate.tokens, position):
                generalized = list(candidate.tokens)
                generalized[position] = merged
                return self._generalize(candidate, tuple(generalized))
            near.append((candidate, position))
        created = _Template(tokens, self._count)
        self._count += 1
        bucket.append(created)
        self._by_founder[created.founder] = created
        if _leads_fixed_text(tokens):
            family = self._by_tail.setdefault(tokens[1:], _Family(0))
            family.members.setdefault(tokens[0], created)
            created.families[0] = family
            if len(family.members) >= _WORDS_FOR_VARIABLE:
                return self._merge_family(family, created)
        for candidate, position in near:
            family = candidate.families.get(position)
            if family is None:
                family = candidate.families[position] = _Family(position)
                family.members[candidate.tokens[position]] = candidate
            family.members.setdefault(tokens[position], created)
            created.families.setdefault(position, family)
            if len(family.members) >= _WORDS_FOR_VARIABLE:
                return self._merge_family(family, created)
        return created

    def _generalize(self, target: _Template, tokens: tuple[str, ...], members: Iterable[_Template] = ()) -> _Template:
        """Give a template more general tokens and merge in every template it now covers, empty
        values included (as a value meeting an empty one generalizes): those of its bucket and, for
        a first word turned variable, the family ``members`` from other buckets."""
        self._retoken(target, tokens)
        group = [target]
        for template in [*self._buckets[_bucket(tokens)], *(member.resolve() for member in members)]:
            if template not in group and target.covers(template.tokens, empty=True) >= 0:
                group.append(template)
        survivor = min(group, key=lambda t: t.order)
        self._retoken(survivor, tokens)
        for template in group:
            if template is not survivor:
                template.merged_into = survivor
                self._buckets[_bucket(template.tokens)].remove(template)
        return survivor

    def _retoken(self, template: _Template, tokens: tuple[str, ...]) -> None:
        """Update a template's tokens, moving it to the bucket its first token now selects."""
        old, new = _bucket(template.tokens), _bucket(tokens)
        template.update(tokens)
        if old != new:
            self._buckets[old].remove(template)
            self._buckets.setdefault(new, []).append(template)

    def _merge_family(self, family: _Family, newest: _Template) -> _Template:
        """A position proven variable: remember its words as values and merge the family."""
        position = family.position
        members = {id(t.resolve()): t.resolve() for t in family.members.values()}
        anchor = min(members.values(), key=lambda t: t.order)
        for word, template in family.members.items():
            self._remember_value(template.tokens, position, word)
        generalized = list(anchor.tokens)
        generalized[position] = VARIABLE if position == 0 else reduce(merge_tokens, family.members)
        survivor = self._generalize(anchor, tuple(generalized), members.values())
        self._merge_known_families()
        return newest.resolve() if newest.resolve() is survivor else survivor

    def _remember_value(self, tokens: tuple[str, ...], position: int, word: str) -> None:
        if len(self._known_values) < _KNOWN_VALUES_LIMIT:
            self._known_values.add(_value_context(tokens, position, word))

    def _both_known(self, tokens: tuple[str, ...], template: tuple[str, ...], position: int) -> bool:
        known = self._known_values
        return (
            bool(known)
            and _value_context(tokens, position, tokens[position]) in known
            and _value_context(template, position, template[position]) in known
        )

    def _merge_known_families(self) -> None:
        """Merge every family whose words are all values already proven in the same context."""
        seen: set[int] = set()
        for bucket in list(self._buckets.values()):
            for template in list(bucket):
                for family in list(template.families.values()):
                    if id(family) in seen:
                        continue
                    seen.add(id(family))
                    live = {id(t.resolve()) for t in family.members.values()}
                    if len(live) < 2:
                        continue
                    position = family.position
                    if all(
                        _value_context(t.tokens, position, word) in self._known_values
                        for word, t in family.members.items()
                    ):
                        members = [t.resolve() for t in family.members.values()]
                        anchor = min(members, key=lambda t: t.order)
                        generalized = list(anchor.tokens)
                        generalized[position] = VARIABLE if position == 0 else reduce(merge_tokens, family.members)
                        self._generalize(anchor, tuple(generalized), members)


def _bucket(tokens: tuple[str, ...]) -> tuple[int, str]:
    return len(tokens), tokens[0] if tokens else ""


def _single_difference(tokens: tuple[str, ...], template: tuple[str, ...]) -> int | None:
    """The one position (never the first) where a skeleton does not fit a template, else None."""
    found: int | None = None
    for position, (mine, theirs) in enumerate(zip(tokens, template, strict=True)):
        if mine != theirs and not covers_token(theirs, mine):
            if position == 0 or found is not None:
                return None
            found = position
    return found


def _is_value_slot(mine: str, theirs: str) -> bool:
    """Whether a value shows the position is a variable: where the two tokens differ, one holds a
    value (``<*>`` against ``admin``, ``tty=:<*>`` against ``tty=NODEVssh``), not just more words
    (``LOGIN(uid=<*>)`` against ``(uid=<*>)``)."""
    first, second = differing_parts(mine, theirs)
    return VARIABLE in first or VARIABLE in second


def _value_context(tokens: tuple[str, ...], position: int, word: str) -> tuple[str, str]:
    """A word with what introduces it: its key (``user=``) or else the token before it."""
    for index in range(len(word) - 1, 0, -1):
        if word[index - 1] in "=:" and index < len(word):
            return word[:index], word[index:]
    return (tokens[position - 1] if position else ""), word


def _leads_fixed_text(tokens: tuple[str, ...]) -> bool:
    """Whether a first word starts enough fixed text that other first words may prove it a value
    (``chrome.exe - proxy:80 close, ...``); short messages keep their first word (``boot``, ``halt``)."""
    if not tokens or VARIABLE in tokens[0]:
        return False
    return sum(VARIABLE not in token for token in tokens[1:]) >= _FIXED_WORDS_AFTER_FIRST
