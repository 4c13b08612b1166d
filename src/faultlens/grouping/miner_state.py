"""The template miner's state as plain data, so a later run goes on exactly where this one stopped.

Issues keyed on template ids must keep their ids across runs: a run that started from an empty
miner would found templates again in its own arrival order, and a message seen first in another
file would give its template another founder. So the whole state is kept: every template with
its founder id, tokens, age and merge target, the families still waiting to prove a variable,
the words proven to be values, the index order (ties go to the earlier entry), and the two lookup
caches, whose hits decide a few ``ssh2``/``ssh`` cases. Restoring it makes ``add`` answer what one
uninterrupted miner would have answered. It is JSON-ready (strings, numbers and lists only), never
a pickle: a store file must not be able to run code.

This module reads the miner's private fields on purpose: it is the miner's persistence, kept out
of :mod:`faultlens.grouping.miner` so that module stays about mining.
"""

from __future__ import annotations

from typing import Any

from faultlens.grouping.miner import MinedTemplate, TemplateMiner, _Family, _Template

__all__ = ["STATE_VERSION", "dump_miner", "load_miner"]

STATE_VERSION = 1


def dump_miner(miner: TemplateMiner) -> dict[str, Any]:
    """Everything a miner has learned, as JSON-ready data."""
    templates = _all_templates(miner)
    index = {id(t): n for n, t in enumerate(templates)}
    families = _all_families(miner, templates)
    family_index = {id(f): n for n, f in enumerate(families)}
    return {
        "version": STATE_VERSION,
        "count": miner._count,
        "templates": [
            [t.founder, list(t.tokens), t.order, None if t.merged_into is None else index[id(t.merged_into)],
             [[list(positions), family_index[id(f)]] for positions, f in t.families.items()]]
            for t in templates
        ],
        "families": [
            [list(f.positions), [[list(words), index[id(t)]] for words, t in f.members.items()]] for f in families
        ],
        "buckets": [[list(key), [index[id(t)] for t in bucket]] for key, bucket in miner._buckets.items() if bucket],
        "leaves": [[list(key), [index[id(t)] for t in leaf]] for key, leaf in miner._leaves.items() if leaf],
        "by_founder": [[founder, index[id(t)]] for founder, t in miner._by_founder.items()],
        "by_tail": [[list(tail), family_index[id(f)]] for tail, f in miner._by_tail.items()],
        "known_values": [list(pair) for pair in miner._known_values],
        "families_by_value": [
            [list(key), [family_index[id(f)] for f in found]] for key, found in miner._families_by_value.items()
        ],
        "by_skeleton": [[list(tokens), index[id(t)]] for tokens, t in miner._by_skeleton.items()],
        "by_digitless": [
            [key.decode(), index[id(t)]] for key, t in miner._by_digitless.items() if _is_utf8(key)
        ],
    }


def load_miner(state: dict[str, Any]) -> TemplateMiner:
    """A miner that continues from a state :func:`dump_miner` wrote.

    Raises ValueError when the state is not one this version wrote, so the caller can start afresh.
    """
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"template state version {state.get('version')!r} is not {STATE_VERSION}")
    try:
        return _rebuild(state)
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"template state is damaged: {exc!r}") from None


def _rebuild(state: dict[str, Any]) -> TemplateMiner:
    miner = TemplateMiner()
    miner._count = int(state["count"])
    templates: list[_Template] = []
    for founder, tokens, order, _merged, _families in state["templates"]:
        template = _Template(tuple(tokens), int(order))
        template.founder = str(founder)  # the id hashes the founding tokens, not the current ones
        template.mined = MinedTemplate(template.founder, template.mined.template)
        templates.append(template)
    families: list[_Family] = []
    for positions, members in state["families"]:
        family = _Family(tuple(positions))
        family.members = {tuple(words): templates[n] for words, n in members}
        families.append(family)
    for template, (_founder, _tokens, _order, merged, owned) in zip(templates, state["templates"], strict=True):
        template.merged_into = None if merged is None else templates[merged]
        template.families = {tuple(positions): families[n] for positions, n in owned}
    miner._by_founder = {str(founder): templates[n] for founder, n in state["by_founder"]}
    miner._buckets = {(int(key[0]), str(key[1])): [templates[n] for n in found] for key, found in state["buckets"]}
    miner._leaves = {(int(key[0]), str(key[1]), str(key[2])): [templates[n] for n in found]
                     for key, found in state["leaves"]}
    miner._by_tail = {tuple(tail): families[n] for tail, n in state["by_tail"]}
    miner._known_values = {(str(a), str(b)) for a, b in state["known_values"]}
    miner._families_by_value = {(str(key[0]), str(key[1])): [families[n] for n in found]
                                for key, found in state["families_by_value"]}
    miner._by_skeleton = {tuple(tokens): templates[n] for tokens, n in state["by_skeleton"]}
    miner._by_digitless = {key.encode(): templates[n] for key, n in state["by_digitless"]}
    return miner


def _all_templates(miner: TemplateMiner) -> list[_Template]:
    """Every template the miner can still reach, in a fixed order (by age, then by founder)."""
    seen: dict[int, _Template] = {}
    pending: list[_Template] = [*miner._by_founder.values(), *(t for b in miner._buckets.values() for t in b)]
    pending += [*miner._by_skeleton.values(), *miner._by_digitless.values()]
    families = [*miner._by_tail.values(), *(f for found in miner._families_by_value.values() for f in found)]
    pending += [t for f in families for t in f.members.values()]
    while pending:
        template = pending.pop()
        if id(template) in seen:
            continue
        seen[id(template)] = template
        if template.merged_into is not None:
            pending.append(template.merged_into)
        pending += [t for f in template.families.values() for t in f.members.values()]
    return sorted(seen.values(), key=lambda t: (t.order, t.founder))


def _all_families(miner: TemplateMiner, templates: list[_Template]) -> list[_Family]:
    found: dict[int, _Family] = {}
    for family in [*(f for t in templates for f in t.families.values()), *miner._by_tail.values(),
                   *(f for group in miner._families_by_value.values() for f in group)]:
        found.setdefault(id(family), family)
    return list(found.values())


def _is_utf8(key: bytes) -> bool:
    try:
        key.decode()
    except UnicodeDecodeError:
        return False
    return True
