"""Token-level operations on templates: does a template token cover a message token, and what
is the most specific token that covers two.

A template token may hold ``<*>`` inside it (``uid=<*>``, ``node-<*>``); it then covers any token
that has its fixed text in the same places, so ``rhost=<*>`` covers ``rhost=example.org``.
"""

from __future__ import annotations

from faultlens.grouping.tokens import VARIABLE

_DELIMITERS = frozenset("=:,;()[]{}<>\"'|@#/")


def covers_token(template: str, token: str) -> bool:
    """Whether a template token fits a message token, each ``<*>`` standing for some text."""
    if template == VARIABLE:
        return True
    if VARIABLE not in template:
        return template == token
    pieces = template.split(VARIABLE)
    head, tail = pieces[0], pieces[-1]
    if len(token) < len(head) + len(tail) + len(pieces) - 1:
        return False
    if not token.startswith(head) or not token.endswith(tail):
        return False
    position = len(head) + 1
    end = len(token) - len(tail)
    for piece in pieces[1:-1]:
        found = token.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece) + 1
    return position <= end


def merge_tokens(first: str, second: str) -> str:
    """The most specific token covering both: their common text at field punctuation, ``<*>`` between.

    ``tty=NODEVssh`` and ``tty=:<*>`` give ``tty=<*>``; ``alpha`` and ``beta`` give ``<*>``.
    """
    if first == second:
        return first
    if first == VARIABLE or second == VARIABLE:
        return VARIABLE
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
    merged = first[:head] + VARIABLE + (first[len(first) - tail :] if tail else "")
    while VARIABLE + VARIABLE in merged:
        merged = merged.replace(VARIABLE + VARIABLE, VARIABLE)
    return merged
