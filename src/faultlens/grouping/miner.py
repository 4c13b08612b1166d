"""Online template miner for log messages without a stack trace.

A template is a message with its variable parts written ``<*>``. The miner learns templates from
a stream, one message at a time, with one configuration for every log: no per-system regexes or
thresholds. It works in three steps, each cheaper than the next and each skipped when the one
before it answers:

1. **Digit-blind cache.** Two messages that differ only in their digits belong to one template,
   so a message with its digits deleted (one C-level ``bytes.translate``) is looked up first.
   On a warm stream almost every message stops here.
2. **Masking.** The message is split on whitespace and each token masked by the hand-written
   scanner in :mod:`faultlens.grouping.tokens` (numbers, ids, addresses, paths become ``<*>``).
   A run of variables becomes one slot, so lists of any length share a template. The masked
   token tuple (the *skeleton*) is looked up exactly.
3. **Matching.** A new skeleton is compared with the templates of the same length and first
   token (the first word of a message is almost always fixed text). It joins a template whose
   variable slots cover it. A word that differs from a template where the template or the
   message has a variable is generalized at once. Two templates that differ in one word are kept
   apart until that position has shown enough distinct words to be a variable rather than a small
   set of fixed alternatives (``from NEW to RUNNING`` versus ``user alice``); then they merge.

Ids. A template's id is a hash of the first skeleton that founded it, so the same input gives
the same ids in every run and the id does not change when the template later generalizes. When
templates merge, the survivor is the oldest one and keeps its id; the others become aliases of
it (:meth:`TemplateMiner.canonical_id` resolves them), so an issue keyed on an old id can be
found again.

Memory is bounded by the number of templates: the lookup caches of steps 1 and 2 are cleared
when they pass a fixed size, which changes speed, never results.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from faultlens.grouping.tokens import VARIABLE, mask_token

__all__ = ["MinedTemplate", "TemplateMiner"]

_DIGITS = b"0123456789"
_CACHE_LIMIT = 1 << 16
#: Distinct words a position must show before its templates merge into one with a variable.
_DISTINCT_WORDS_FOR_VARIABLE = 4


@dataclass(frozen=True, slots=True)
class MinedTemplate:
    """A template as the miner knows it now: a stable id and the text with ``<*>`` slots."""

    id: str
    template: str


class _Template:
    """One learned template: its slot tokens, how it renders, and where it was merged to."""

    __slots__ = ("founder", "merged_into", "mined", "order", "runs", "size", "tokens")

    def __init__(self, tokens: tuple[str, ...], runs: tuple[int, ...], order: int) -> None:
        self.tokens = tokens
        self.runs = runs
        self.order = order
        self.size = 0
        self.merged_into: _Template | None = None
        founder = " ".join(tokens)
        self.founder = hashlib.blake2b(founder.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        self.mined = MinedTemplate(self.founder, self._render())

    def resolve(self) -> _Template:
        """The template this one now lives in (itself unless it was merged)."""
        target = self
        while target.merged_into is not None:
            target = target.merged_into
        if target is not self:
            self.merged_into = target
        return target

    def _render(self) -> str:
        words = []
        for token, run in zip(self.tokens, self.runs, strict=True):
            words.append(" ".join([VARIABLE] * run) if token == VARIABLE and run > 1 else token)
        return " ".join(words)

    def update(self, tokens: tuple[str, ...], runs: tuple[int, ...]) -> None:
        """Adopt generalized tokens or variable runs and refresh the rendered template."""
        self.tokens = tokens
        self.runs = runs
        self.mined = MinedTemplate(self.founder, self._render())


class TemplateMiner:
    """Learn log templates online; see the module docstring for the method and id stability."""

    def __init__(self) -> None:
        self._by_digitless: dict[bytes, _Template] = {}
        self._by_skeleton: dict[tuple[str, ...], _Template] = {}
        self._buckets: dict[tuple[int, str], list[_Template]] = {}
        self._siblings: dict[tuple[int, tuple[str, ...]], dict[str, _Template]] = {}
        self._aliases: dict[str, _Template] = {}
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
        found.size += 1
        return found.mined

    def match(self, message: str) -> MinedTemplate | None:
        """The template a message belongs to, without learning from it; None if none fits."""
        key = message.encode("utf-8", "surrogatepass").translate(None, _DIGITS)
        found = self._by_digitless.get(key)
        if found is not None:
            return found.resolve().mined
        tokens, _ = _skeleton(message)
        found = self._by_skeleton.get(tokens)
        if found is None:
            found = self._best_cover(tokens)
        return None if found is None else found.resolve().mined

    def canonical_id(self, template_id: str) -> str:
        """The id a template id lives under now: itself, or the template it was merged into."""
        found = self._aliases.get(template_id)
        return template_id if found is None else found.resolve().founder

    def templates(self) -> list[MinedTemplate]:
        """Every live template, oldest first."""
        live = {id(t.resolve()): t.resolve() for t in self._by_skeleton.values()}
        return [t.mined for t in sorted(live.values(), key=lambda t: t.order)]

    def _learn(self, message: str) -> _Template:
        tokens, runs = _skeleton(message)
        found = self._by_skeleton.get(tokens)
        if found is not None:
            found = found.resolve()
            self._widen_runs(found, runs)
            return found
        found = self._best_cover(tokens)
        if found is None:
            found = self._generalize_or_create(tokens, runs)
        else:
            self._widen_runs(found, runs)
        if len(self._by_skeleton) >= _CACHE_LIMIT:
            self._by_skeleton = {k: v for k, v in self._by_skeleton.items() if v.merged_into is None}
        self._by_skeleton[tokens] = found
        return found

    def _best_cover(self, tokens: tuple[str, ...]) -> _Template | None:
        """The most specific template whose fixed tokens equal the message's (slots cover the rest)."""
        best: _Template | None = None
        best_slots = 0
        for candidate in self._buckets.get(_bucket(tokens), ()):
            slots = 0
            for mine, theirs in zip(tokens, candidate.tokens, strict=True):
                if mine != theirs:
                    if theirs != VARIABLE:
                        break
                    slots += 1
            else:
                if best is None or slots < best_slots:
                    best, best_slots = candidate, slots
        return best

    def _generalize_or_create(self, tokens: tuple[str, ...], runs: tuple[int, ...]) -> _Template:
        bucket = self._buckets.setdefault(_bucket(tokens), [])
        for candidate in bucket:
            differ = _differences(tokens, candidate.tokens)
            if differ is None or len(differ) != 1:
                continue
            position = differ[0]
            mine, theirs = tokens[position], candidate.tokens[position]
            if VARIABLE in mine or VARIABLE in theirs:
                generalized = list(candidate.tokens)
                generalized[position] = _merge_token(mine, theirs)
                candidate.update(tuple(generalized), candidate.runs)
                return candidate
        created = _Template(tokens, runs, self._count)
        self._count += 1
        bucket.append(created)
        self._aliases[created.founder] = created
        self._note_siblings(created)
        return created.resolve()

    def _note_siblings(self, created: _Template) -> None:
        """File the new template under each one-word-wildcard signature; merge when a slot is proven."""
        tokens = created.tokens
        for position in range(1, len(tokens)):
            word = tokens[position]
            if VARIABLE in word:
                continue
            signature = (position, (*tokens[:position], VARIABLE, *tokens[position + 1 :]))
            family = self._siblings.setdefault(signature, {})
            family.setdefault(word, created)
            if len(family) >= _DISTINCT_WORDS_FOR_VARIABLE:
                self._merge_family(signature, family)
                return

    def _merge_family(self, signature: tuple[int, tuple[str, ...]], family: dict[str, _Template]) -> None:
        members = sorted({id(t.resolve()): t.resolve() for t in family.values()}.values(), key=lambda t: t.order)
        survivor = members[0]
        survivor.update(signature[1], survivor.runs)
        for member in members[1:]:
            member.merged_into = survivor
            survivor.size += member.size
            bucket = self._buckets[_bucket(member.tokens)]
            bucket.remove(member)
        family.clear()
        family[VARIABLE] = survivor

    def _widen_runs(self, found: _Template, runs: tuple[int, ...]) -> None:
        """A variable run whose length differs between messages renders as a single ``<*>``."""
        if runs != found.runs and len(runs) == len(found.runs):
            widened = tuple(a if a == b else 1 for a, b in zip(found.runs, runs, strict=True))
            if widened != found.runs:
                found.update(found.tokens, widened)


def _bucket(tokens: tuple[str, ...]) -> tuple[int, str]:
    return len(tokens), tokens[0] if tokens else ""


def _differences(tokens: tuple[str, ...], template: tuple[str, ...]) -> list[int] | None:
    """Positions where a message differs from a template's fixed tokens; None past one."""
    differ: list[int] = []
    for position, (mine, theirs) in enumerate(zip(tokens, template, strict=True)):
        if mine != theirs and theirs != VARIABLE:
            if position == 0 or len(differ) == 1:
                return None
            differ.append(position)
    return differ


def _merge_token(mine: str, theirs: str) -> str:
    return VARIABLE


def _skeleton(message: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Masked tokens with each run of whole-token variables folded into one slot, and run lengths."""
    tokens: list[str] = []
    runs: list[int] = []
    for raw in message.split():
        token = mask_token(raw)
        if token == VARIABLE and tokens and tokens[-1] == VARIABLE:
            runs[-1] += 1
            continue
        tokens.append(token)
        runs.append(1)
    return tuple(tokens), tuple(runs)
