"""The `templates` command: one log message per line in, ``TEMPLATE_ID<TAB>TEMPLATE`` per line out.

Two passes: the miner first learns every line, then each line is written with the template it
ended up in, so early lines show the same, final template as late ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from faultlens.grouping.miner import TemplateMiner

__all__ = ["write_templates"]


def write_templates(lines: Iterable[str], out: TextIO) -> None:
    """Write exactly one ``id<TAB>template`` line per input line, in input order."""
    miner = TemplateMiner()
    add = miner.add
    mined = [add(line).id for line in lines]
    # Templates are tokens joined by single spaces, so no tab or line break can reach the output.
    rendered = {template.id: f"{template.id}\t{template.template}\n" for template in miner.templates()}
    for alias in set(mined).difference(rendered):
        rendered[alias] = rendered[miner.canonical_id(alias)]
    out.write("".join(map(rendered.__getitem__, mined)))
