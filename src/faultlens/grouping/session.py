"""One run's grouping: the template miner carried over from earlier runs, the user's rules, and
the step that points each batch of events at the issues they belong to.

A fingerprint is a pure function of the event, the rules and the miner; which issue the event
lands in also depends on what the store already holds. Each batch asks the store once which
issues any of its events' keys (fingerprint, all-frames, crash-site, earlier template ids)
already belong to. An event joins the issue of its most specific known key, or founds one under
its own fingerprint, and every key it brought is remembered for that issue. So an event whose
in-app frames changed (new `--app-package`, a new rule) still lands where its trace went before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import orjson

from faultlens.errors import StoreError
from faultlens.grouping.fingerprint import Fingerprinter, hash_parts
from faultlens.grouping.miner import TemplateMiner
from faultlens.grouping.miner_state import dump_miner, load_miner
from faultlens.grouping.rules import GroupingConfig
from faultlens.model import Event

AliasLookup = Callable[[Sequence[str]], Mapping[str, str]]
"""Given key hashes, the issue fingerprint each known one belongs to (one store query)."""

STATE_NAME = "templates"
"""Name the miner's state is saved under in the store."""

JOINED_BY = "joined-by:"
"""Prefix of the note added to `event.grouping` when an event joined an issue by another key."""


class GroupingSession:
    """The miner, rules and per-batch issue joining of one run."""

    def __init__(self, config: GroupingConfig | None = None, state: str | None = None,
                 app_packages: Sequence[str] = ()) -> None:
        config = config or GroupingConfig()
        extra = tuple(p for p in app_packages if p not in config.app_packages)
        self.config = replace(config, app_packages=config.app_packages + extra) if extra else config
        self.miner = _restore(state) if state else TemplateMiner()
        self.fingerprinter = Fingerprinter(self.config, self.miner)

    def state(self) -> str:
        """The miner's state as JSON, for the store to hand back to the next run."""
        return orjson.dumps(dump_miner(self.miner)).decode()

    def assign_issues(self, events: Sequence[Event], lookup: AliasLookup) -> dict[str, str]:
        """Set each event's fingerprint to its issue's; return the keys newly seen (hash → issue)."""
        pending, self.fingerprinter.pending = self.fingerprinter.pending, {}
        candidates: dict[str, list[tuple[str, str]]] = {}
        own_parts: dict[str, list[str]] = {}
        for event in events:
            fingerprint = event.fingerprint
            if fingerprint is None or fingerprint in candidates:
                continue
            recorded = pending.get(fingerprint)
            if recorded is not None and recorded.template is not None:
                parts, candidates[fingerprint] = self._template_keys(recorded.template)
                if parts is not None:
                    own_parts[fingerprint] = parts
            else:
                candidates[fingerprint] = [("", fingerprint), *(recorded.others if recorded else [])]
        known = dict(lookup(sorted({key for ordered in candidates.values() for _, key in ordered})))
        new: dict[str, str] = {}
        issue_of: dict[str, tuple[str, str]] = {}
        for fingerprint, ordered in candidates.items():
            label, issue = next(((label, known[key]) for label, key in ordered if key in known), ("", ordered[0][1]))
            issue_of[fingerprint] = (label, issue)
            for _, key in ordered:
                if key not in known:
                    known[key] = new[key] = issue
        for event in events:
            if event.fingerprint not in issue_of:
                continue
            label, issue = issue_of[event.fingerprint]
            parts = own_parts.get(event.fingerprint)
            if parts is not None:
                event.grouping = list(parts)
            if label:
                event.grouping = [*event.grouping, JOINED_BY + label]
            event.fingerprint = issue
        return new

    def _template_keys(self, template: tuple[tuple[str, ...], str, tuple[str, ...]]
                       ) -> tuple[list[str] | None, list[tuple[str, str]]]:
        """Keys of a template event: the template's id now (it may have merged into an older
        template since the event was fingerprinted) first, then the id it had then."""
        prefix, then, extra = template
        now = self.miner.canonical_id(then)
        parts_then = [*prefix, f"template:{then}", *extra]
        if now == then:
            return None, [("", hash_parts(parts_then))]
        parts_now = [*prefix, f"template:{now}", *extra]
        return parts_now, [("", hash_parts(parts_now)), ("earlier-template", hash_parts(parts_then))]


def _restore(state: str) -> TemplateMiner:
    try:
        return load_miner(orjson.loads(state))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise StoreError(f"the saved template state cannot be read ({exc}); analyze into a new --db") from None


__all__ = ["JOINED_BY", "STATE_NAME", "AliasLookup", "GroupingSession"]
