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
   * templates that differ in two or three words (never more than a third of the message) form a
     family too; it needs many templates before those positions become variables, since a few
     fixed combinations (state transitions) are common while free words keep adding templates.
   * the first word joins such a family only when at least three fixed words follow it, so a
     program name leading a long message can prove a variable (``chrome.exe - ... close``),
     while short statements that differ in their verb stay apart (``boot (command 7)``).

   Whenever a template generalizes, the templates it now covers merge into it.

Ids. A template's id is a hash of the skeleton that founded it (never a counter or a memory
address), so the same input gives the same ids in every run and in every process, however the
input is split into calls, and the id does not change when the template later generalizes. When
templates merge, the oldest survives with its id and the others become its aliases
(:meth:`TemplateMiner.canonical_id` resolves them), so an issue keyed on an absorbed id can still
be found. Whether templates merge is meant to depend on the set of messages seen, not on their
order, so interleaving unrelated statements differently does not change the groups (the
benchmark's ``--shuffle`` checks this on real logs); only which id survives a merge follows
arrival order.

Memory is bounded by the number of templates: the lookup caches of steps 1 and 2 are cleared
when they pass a fixed size. That costs speed; the only result it can change is which template a
message joins when its digits alone decide its masking (``ssh2`` against ``ssh``), which the
digit-blind cache otherwise settles by first arrival.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from itertools import repeat
from operator import ne

from faultlens.grouping.miner_tokens import covers_token, differing_parts, merge_tokens
from faultlens.grouping.tokens import VARIABLE, Skeletonizer

__all__ = ["MinedTemplate", "TemplateMiner"]

_DIGITS = b"0123456789"
_CACHE_LIMIT = 1 << 16
#: Distinct words a position must show before a family of templates merges into one variable.
_WORDS_FOR_VARIABLE = 4
#: Templates a family differing in several words must gather before those positions are variables.
_TEMPLATES_FOR_VARIABLES = _WORDS_FOR_VARIABLE**2
_MAX_FAMILY_POSITIONS = 3
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

    __slots__ = ("families", "founder", "merged_into", "mined", "order", "slots", "tokens")

    def __init__(self, tokens: tuple[str, ...], order: int) -> None:
        self.tokens = tokens
        self.slots = _count_slots(tokens)
        self.order = order
        self.merged_into: _Template | None = None
        self.families: dict[tuple[int, ...], _Family] = {}
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
        if sum(map(ne, tokens, self.tokens)) > self.slots:
            return -1
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
            self.slots = _count_slots(tokens)
            self.mined = MinedTemplate(self.founder, self._render())

    def _render(self) -> str:
        """Variables separated only by spaces render as one (a date, a list): the text of a value
        does not say how many words it has."""
        text = " ".join(self.tokens)
        while _SPACED_VARIABLES in text:
            text = text.replace(_SPACED_VARIABLES, VARIABLE)
        return text


class _Family:
    """Templates that differ from each other only in the words at some positions, keyed by them."""

    __slots__ = ("members", "positions")

    def __init__(self, positions: tuple[int, ...]) -> None:
        self.positions = positions
        self.members: dict[tuple[str, ...], _Template] = {}

    def add(self, template: _Template) -> None:
        self.members.setdefault(tuple(template.tokens[p] for p in self.positions), template)

    def proven(self) -> tuple[int, ...]:
        """The positions the family has proven variable, if any.

        One position needs a few distinct words. Several positions need many templates as well:
        fixed alternatives (``from NEW to RUNNING``, ``from RUNNING to DONE``) stay few, while free
        words (a user and a host) keep adding templates.
        """
        if len(self.positions) == 1:
            return self.positions if len(self.members) >= _WORDS_FOR_VARIABLE else ()
        if len(self.members) < _TEMPLATES_FOR_VARIABLES:
            return ()
        return tuple(
            position
            for index, position in enumerate(self.positions)
            if len({words[index] for words in self.members}) >= _WORDS_FOR_VARIABLE
        )


class TemplateMiner:
    """Learn log templates online; the module docstring gives the method and why ids are stable."""

    def __init__(self) -> None:
        self._skeleton = Skeletonizer(_CACHE_LIMIT)
        self._by_digitless: dict[bytes, _Template] = {}
        self._by_skeleton: dict[tuple[str, ...], _Template] = {}
        self._buckets: dict[tuple[int, str], list[_Template]] = {}
        self._leaves: dict[tuple[int, str, str], list[_Template]] = {}
        self._by_founder: dict[str, _Template] = {}
        self._by_tail: dict[tuple[str, ...], _Family] = {}
        self._known_values: set[tuple[str, str]] = set()
        self._families_by_value: dict[tuple[str, str], list[_Family]] = {}
        self._count = 0

    def add(self, message: str) -> MinedTemplate:
        """Learn from one message and return the template it belongs to now."""
        try:
            key = message.encode().translate(None, _DIGITS)
        except UnicodeEncodeError:
            key = _digitless(message)
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
        key = _digitless(message)
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
        length, first, second = _leaf(tokens)
        leaves = self._leaves
        groups = [leaves.get((length, first, second))]
        if second != VARIABLE:
            groups.append(leaves.get((length, first, VARIABLE)))
        if first != VARIABLE:
            groups.append(leaves.get((length, VARIABLE, second)))
            if second != VARIABLE:
                groups.append(leaves.get((length, VARIABLE, VARIABLE)))
        for group in groups:
            for candidate in group or ():
                slots = candidate.covers(tokens)
                if 0 <= slots < best_slots or (slots == best_slots and best and candidate.order < best.order):
                    best, best_slots = candidate, slots
        return best

    def _place(self, tokens: tuple[str, ...]) -> _Template:
        """Generalize a template the skeleton nearly fits, or found a new one and file it in the
        families of the templates it differs from in a few words."""
        near: list[tuple[_Template, tuple[int, ...]]] = []
        limit = _family_limit(tokens)
        for candidate in self._buckets.get(_bucket(tokens), ()):
            if sum(map(ne, tokens, candidate.tokens)) - candidate.slots > limit:
                continue
            positions = _differences(tokens, candidate.tokens, limit)
            if positions is None:
                continue
            if len(positions) == 1:
                position = positions[0]
                mine, theirs = tokens[position], candidate.tokens[position]
                if _is_value_slot(mine, theirs) or self._both_known(tokens, candidate.tokens, position):
                    generalized = list(candidate.tokens)
                    generalized[position] = merge_tokens(mine, theirs)
                    return self._generalize(candidate, tuple(generalized))
            near.append((candidate, positions))
        created = _Template(tokens, self._count)
        self._count += 1
        self._file(created)
        self._by_founder[created.founder] = created
        if _leads_fixed_text(created):
            family = self._by_tail.setdefault(tokens[1:], _Family((0,)))
            family.add(created)
            created.families[(0,)] = family
            if family.proven():
                return self._merge_family(family, family.proven(), created)
        for candidate, positions in near:
            joined = candidate.families.get(positions)
            if joined is None:
                joined = candidate.families[positions] = _Family(positions)
                self._join(joined, candidate)
            self._join(joined, created)
            created.families.setdefault(positions, joined)
            proven = joined.proven()
            if proven:
                return self._merge_family(joined, proven, created)
        return created

    def _join(self, family: _Family, template: _Template) -> None:
        """Add a template to a family, indexed by its word so proven values can find the family."""
        family.add(template)
        if len(family.positions) == 1:
            position = family.positions[0]
            key = _value_context(template.tokens, position, template.tokens[position])
            self._families_by_value.setdefault(key, []).append(family)

    def _generalize(self, target: _Template, tokens: tuple[str, ...], members: Iterable[_Template] = ()) -> _Template:
        """Give a template more general tokens and merge in every template it now covers, empty
        values included (as a value meeting an empty one generalizes): those of its bucket and, for
        a first word turned variable, the family ``members`` from other buckets."""
        self._retoken(target, tokens)
        group = [target]
        for template in [*self._buckets.get(_bucket(tokens), ()), *(member.resolve() for member in members)]:
            if template not in group and target.covers(template.tokens, empty=True) >= 0:
                group.append(template)
        survivor = min(group, key=lambda t: t.order)
        self._retoken(survivor, tokens)
        for template in group:
            if template is not survivor:
                template.merged_into = survivor
                self._unfile(template)
        return survivor

    def _retoken(self, template: _Template, tokens: tuple[str, ...]) -> None:
        """Update a template's tokens, moving it to the bucket and leaf they now select."""
        if _leaf(tokens) != _leaf(template.tokens):
            self._unfile(template)
            template.update(tokens)
            self._file(template)
        else:
            template.update(tokens)

    def _file(self, template: _Template) -> None:
        """Index a template by length and first token (to find near misses) and by its first two
        tokens (to find covering templates quickly, as a prefix tree would)."""
        self._buckets.setdefault(_bucket(template.tokens), []).append(template)
        self._leaves.setdefault(_leaf(template.tokens), []).append(template)

    def _unfile(self, template: _Template) -> None:
        self._buckets[_bucket(template.tokens)].remove(template)
        self._leaves[_leaf(template.tokens)].remove(template)

    def _merge_family(self, family: _Family, positions: tuple[int, ...], newest: _Template) -> _Template:
        """Positions proven variable: remember their words as values and merge the family."""
        members = list({id(t.resolve()): t.resolve() for t in family.members.values()}.values())
        anchor = min(members, key=lambda t: t.order)
        generalized = list(anchor.tokens)
        learned: list[tuple[str, str]] = []
        for position in positions:
            index = family.positions.index(position)
            words = [key[index] for key in family.members]
            generalized[position] = VARIABLE if position == 0 else reduce(merge_tokens, words)
            for key, template in family.members.items():
                learned.append(_value_context(template.tokens, position, key[index]))
        survivor = self._generalize(anchor, tuple(generalized), members)
        self._learn_values(learned)
        return newest.resolve() if newest.resolve() is survivor else survivor

    def _both_known(self, tokens: tuple[str, ...], template: tuple[str, ...], position: int) -> bool:
        known = self._known_values
        return (
            bool(known)
            and _value_context(tokens, position, tokens[position]) in known
            and _value_context(template, position, template[position]) in known
        )

    def _learn_values(self, values: list[tuple[str, str]]) -> None:
        """Remember words proven to be values, then merge every one-word family whose words are
        now all known values in their context."""
        fresh = [value for value in values if value not in self._known_values]
        if len(self._known_values) + len(fresh) > _KNOWN_VALUES_LIMIT:
            return
        self._known_values.update(fresh)
        for value in fresh:
            for family in self._families_by_value.pop(value, ()):
                members = list({id(t.resolve()): t.resolve() for t in family.members.values()}.values())
                if len(members) < 2:
                    continue
                position = family.positions[0]
                if all(
                    _value_context(t.tokens, position, words[0]) in self._known_values
                    for words, t in family.members.items()
                ):
                    anchor = min(members, key=lambda t: t.order)
                    generalized = list(anchor.tokens)
                    generalized[position] = (
                        VARIABLE if position == 0 else reduce(merge_tokens, [w[0] for w in family.members])
                    )
                    self._generalize(anchor, tuple(generalized), members)


def _digitless(message: str) -> bytes:
    """The message without its digits: the key of the digit-blind cache."""
    try:
        return message.encode().translate(None, _DIGITS)
    except UnicodeEncodeError:
        return message.encode("utf-8", "surrogatepass").translate(None, _DIGITS)


def _bucket(tokens: tuple[str, ...]) -> tuple[int, str]:
    return len(tokens), tokens[0] if tokens else ""


def _leaf(tokens: tuple[str, ...]) -> tuple[int, str, str]:
    """Length, first token and second token, a token holding a variable standing as ``<*>``."""
    first = tokens[0] if tokens else ""
    second = tokens[1] if len(tokens) > 1 else ""
    return (
        len(tokens),
        VARIABLE if VARIABLE in first else first,
        VARIABLE if VARIABLE in second else second,
    )


def _differences(tokens: tuple[str, ...], template: tuple[str, ...], limit: int) -> tuple[int, ...] | None:
    """Positions where a skeleton does not fit a template, when they are few enough for a family
    (at most ``limit``) and do not include the first word."""
    found: list[int] = []
    for position, (mine, theirs) in enumerate(zip(tokens, template, strict=True)):
        if mine != theirs and not covers_token(theirs, mine):
            if position == 0 or len(found) == limit:
                return None
            found.append(position)
    return tuple(found) if found else None


def _family_limit(tokens: tuple[str, ...]) -> int:
    """How many words a family may differ in: at most three, and at most a third of the message."""
    return min(_MAX_FAMILY_POSITIONS, max(1, len(tokens) // 3))


def _count_slots(tokens: tuple[str, ...]) -> int:
    return sum(map(str.__contains__, tokens, repeat(VARIABLE)))


def _is_value_slot(mine: str, theirs: str) -> bool:
    """Whether a value shows the position is a variable: where the two tokens differ, one holds a
    value (``<*>`` against ``admin``, ``tty=:<*>`` against ``tty=NODEVssh``), not just more words
    (``LOGIN(uid=<*>)`` against ``(uid=<*>)``)."""
    first, second = differing_parts(mine, theirs)
    return VARIABLE in first or VARIABLE in second


def _value_context(tokens: tuple[str, ...], position: int, word: str) -> tuple[str, str]:
    """A word with what introduces it: its key (``user=``) or else the token before it."""
    key = max(word.rfind("=", 0, len(word) - 1), word.rfind(":", 0, len(word) - 1))
    if key >= 0:
        return word[: key + 1], word[key + 1 :]
    return (tokens[position - 1] if position else ""), word


def _leads_fixed_text(template: _Template) -> bool:
    """Whether a first word starts enough fixed text that other first words may prove it a value
    (``chrome.exe - proxy:80 close, ...``); short messages keep their first word (``boot``, ``halt``)."""
    tokens = template.tokens
    if len(tokens) <= _FIXED_WORDS_AFTER_FIRST or VARIABLE in tokens[0]:
        return False
    return len(tokens) - 1 - template.slots >= _FIXED_WORDS_AFTER_FIRST
