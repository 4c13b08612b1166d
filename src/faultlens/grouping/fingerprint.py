"""Fingerprints: the keys that decide which events are one issue.

Precedence, first that applies: the producer's explicit fingerprint; a user rule's fixed
fingerprint; the stack trace (see :mod:`faultlens.grouping.stack`); and, with no usable stack,
the exception types, level, service and the message's mined template id. A rule with ``extra``
parts adds them to every key of the default.

Keys are scoped to the event's project: the same error in two projects is two issues (the default
project, the command line's, adds nothing, so its keys are what they always were).

An event carries one fingerprint, the hash of the parts in `event.grouping`, but may join an
issue by others: a stack trace also yields its all-frames and crash-site keys, and a template
whose id changed since (templates merge as the miner learns) keeps its earlier id as a key. The
Fingerprinter records these per batch in `pending`; :mod:`faultlens.grouping.session` resolves
them against the store's aliases.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from faultlens.grouping.miner import TemplateMiner
from faultlens.grouping.rules import GroupingConfig, first_matching_rule
from faultlens.grouping.stack import all_frame_parts, crash_site_parts, has_usable_stack, in_app_parts
from faultlens.model import Event

FINGERPRINT_HEX = 16
DEFAULT_PROJECT = "default"
MAX_TEMPLATE_SOURCE = 2000


def hash_parts(parts: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "replace"), digest_size=FINGERPRINT_HEX // 2).hexdigest()


def template_source(event: Event) -> str:
    """The text the miner learns from: the first line of the message, bounded."""
    return event.message.split("\n", 1)[0][:MAX_TEMPLATE_SOURCE]


def project_scope(project: str) -> list[str]:
    """The key part that keeps projects apart; none for the default project."""
    return [] if project == DEFAULT_PROJECT else [f"project:{project}"]


@dataclass(slots=True)
class GroupingKeys:
    """What events with one fingerprint may join an issue by, besides the fingerprint itself.

    `others` are further (label, hash) keys in order of preference; `template` is (parts before the template
    part, the template id when fingerprinted, extra parts), for events keyed on a template, so
    the id can be brought up to date when the batch is written.
    """

    others: list[tuple[str, str]]
    template: tuple[tuple[str, ...], str, tuple[str, ...]] | None = None


class Fingerprinter:
    """Sets `event.fingerprint` and `event.grouping`; records the other keys in `pending`."""

    def __init__(self, config: GroupingConfig | None = None, miner: TemplateMiner | None = None) -> None:
        self.config = config or GroupingConfig()
        self.miner = miner or TemplateMiner()
        self.pending: dict[str, GroupingKeys] = {}

    def __call__(self, event: Event) -> Event:
        scope = project_scope(event.project)
        if event.explicit_fingerprint:
            self._set(event, [*scope, f"explicit:{event.explicit_fingerprint}"], [])
            return event
        rule = first_matching_rule(event, self.config.fingerprint_rules)
        if rule is not None and rule.fingerprint is not None:
            self._set(event, [*scope, f"rule:{rule.name}", f"fixed:{rule.expand(rule.fingerprint, event)}"], [])
            return event
        lead = [*scope, *([f"rule:{rule.name}"] if rule is not None else [])]
        extra = [f"extra:{rule.expand(part, event)}" for part in rule.extra] if rule is not None else []
        stack_rules = self.config.stack_rules
        if has_usable_stack(event.exceptions, stack_rules):
            parts = lead + in_app_parts(event.exceptions, stack_rules) + extra
            others = [("all-frames", scope + all_frame_parts(event.exceptions) + extra),
                      ("crash-site", scope + crash_site_parts(event.exceptions, stack_rules) + extra)]
            self._set(event, parts, others)
            return event
        self._set_template(event, lead, extra)
        return event

    def _set(self, event: Event, parts: list[str], others: list[tuple[str, list[str]]]) -> None:
        event.grouping = parts
        fingerprint = event.fingerprint = hash_parts(parts)
        if others:
            keys = self.pending.setdefault(fingerprint, GroupingKeys([]))
            for label, other in others:
                key = hash_parts(other)
                if key != fingerprint and all(key != known for _, known in keys.others):
                    keys.others.append((label, key))

    def _set_template(self, event: Event, lead: list[str], extra: list[str]) -> None:
        source = template_source(event)
        mined = self.miner.match(source) or self.miner.add(source)
        template_id = self.miner.canonical_id(mined.id)
        prefix = (*lead, *(f"type:{exc.type}" for exc in event.exceptions),
                  f"level:{event.level}", f"service:{event.service or ''}")
        parts = [*prefix, f"template:{template_id}", *extra]
        event.grouping = parts
        event.fingerprint = hash_parts(parts)
        self.pending.setdefault(event.fingerprint, GroupingKeys([], (prefix, template_id, tuple(extra))))
