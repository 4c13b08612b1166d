"""Token-level operations on templates: does a template token cover a message token, and what
is the most specific token that covers two.

A template token may hold ``<*>`` inside it (``uid=<*>``, ``node-<*>``); it then covers any token
that has its fixed text in the same places, so ``rhost=<*>`` covers ``rhost=example.org``.
"""

from __future__ import annotations

from faultlens.grouping.tokens import VARIABLE

_DELIMITERS = frozenset("=:,;()[]{}<>\"'|@#/")


def covers_token(template: str, token: str, empty: bool = False) -> bool:
    """Whether a template token fits a message token, each ``<*>`` standing for some text (or for
    none as well, with ``empty``: ``(<*>)`` then covers ``()``)."""
    if template == VARIABLE:
        return True
    if VARIABLE not in template:
        return template == token
    pieces = template.split(VARIABLE)
    head, tail = pieces[0], pieces[-1]
    gap = 0 if empty else 1
    if len(token) < len(head) + len(tail) + gap * (len(pieces) - 1):
        return False
    if not token.startswith(head) or not token.endswith(tail):
        return False
    position = len(head) + gap
    end = len(token) - len(tail)
    for piece in pieces[1:-1]:
        found = token.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece) + gap
    return position <= end


def merge_tokens(first: str, second: str) -> str:
    """The most specific token covering both: their common text at field punctuation, ``<*>`` between.

    ``tty=NODEVssh`` and ``tty=:<*>`` give ``tty=<*>``; ``alpha`` and ``beta`` give ``<*>``.
    """
    head, tail = _common_edges(first, second)
    merged = first[:head] + VARIABLE + first[len(first) - tail :]
    while VARIABLE + VARIABLE in merged:
        merged = merged.replace(VARIABLE + VARIABLE, VARIABLE)
    return merged


def differing_parts(first: str, second: str) -> tuple[str, str]:
    """What each token has between the text they share at field punctuation."""
    head, tail = _common_edges(first, second)
    return first[head : len(first) - tail], second[head : len(second) - tail]


def _common_edges(first: str, second: str) -> tuple[int, int]:
    """Lengths of the common head (ending at punctuation) and tail (starting at it) of two tokens."""
    if first == second:
        return len(first), 0
    limit = min(len(first), len(second))
    head = 0
    while head < limit and first[head] == second[head]:
        head += 1
    while head and first[head - 1] not in _DELIMITERS:
        head -= 1
    tail = 0
    while tail < limit - head and first[-1 - tail] == second[-1 - tail]:
        tail += 1
    while tail and first[-tail] not in _DELIMITERS:
        tail -= 1
    return head, tail
