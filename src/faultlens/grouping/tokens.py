"""Split a log message into tokens and mask the parts that are plainly variable.

The miner sees a message as whitespace-separated tokens. Each token is cut into *segments* at
field punctuation (``= : , ; ( ) [ ] { } < > " ' | @ # /``) and every segment that is plainly a
value becomes ``<*>``; the punctuation stays, so ``uid=0`` becomes ``uid=<*>`` and
``10.0.0.1:8080`` becomes ``<*>:<*>``. One rule set serves every log, with no per-system regexes:

* a segment that starts with a digit (numbers, IPs, hex, sizes like ``10ms``, ids) is a value;
* a segment led by letters is a value when it holds three digits or more, or as many digits as
  letters (``storage234``, ``R02``, ``an14``), or when one part of a snake_case name is such a
  value (``rdd_2_0``), but a word with a short number glued on stays a word (``ssh2``, ``eth0``,
  ``jk2_init``): such names are usually part of the statement;
* ``word-<values>`` keeps the word (``node-129`` becomes ``node-<*>``), and a segment with a
  value in any other hyphenated part is one value (``blk_-42``, ``msra-sa-41``);
* ``true``, ``false`` and ``null`` are values;
* paths (``/var/log``), URLs after their scheme (``hdfs://<*>``), MAC and IPv6 addresses,
  backslashed text and month or weekday names are values.

Word-like variables (user names, host names without digits) cannot be told from constant words
by their shape; the miner finds those from how values vary across messages.

Masking runs in a hand-written scanner over ``str`` methods rather than a chain of regexes:
regex passes are where log parsers spend their time.
"""

from __future__ import annotations

VARIABLE = "<*>"

_DELIMITERS = frozenset("=:,;()[]{}<>\"'|@#/")
_CLOSERS = frozenset(")]}>\"',;")
_TRAILING = ".,;:!?"
_PATH_TRAILING = ",;:!?"
_DATE_WORDS = frozenset(
    [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
)
_DIGITS = frozenset("0123456789")
#: Literal values of any language's logs (Khan et al.'s guideline counts booleans and null as values).
_LITERALS = frozenset(["true", "false", "null"])
#: A token led by a digit and free of these is one plain value (``0x7f``, ``42``, ``3.5.``).
_PLAIN_VALUE_SAFE = _DELIMITERS | frozenset("-\\")
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")
_EDGES = "()[]{}<>\"',;.!?"


def mask_token(token: str) -> str:
    """Return the token with its value segments replaced by ``<*>``."""
    if not token:
        return token  # what is left after a bare scheme such as ``0://``
    if token.isalpha():
        return VARIABLE if token in _DATE_WORDS or token.lower() in _LITERALS else token
    if token.isalnum():
        return _mask_core(token)
    if token[0].isdigit() and _PLAIN_VALUE_SAFE.isdisjoint(token):
        core = token.rstrip(_TRAILING)
        return VARIABLE + token[len(core) :]
    if "\\" in token[:-1]:
        return _keep_edges(token)
    scheme = token.find("://")
    if scheme > 0:
        rest = token[scheme + 3 :]
        if "/" in rest or "@" in rest:
            return token[: scheme + 3] + VARIABLE + _closing_tail(rest)
        return token[: scheme + 3] + mask_token(rest)
    if token.count(":") >= 5 and _HEX_COLON.issuperset(token.strip(_EDGES)):
        return _keep_edges(token)
    if _DIGITS.isdisjoint(token) and "/" not in token:
        lowered = token.lower()
        if "true" not in lowered and "false" not in lowered and "null" not in lowered:
            return token
    parts: list[str] = []
    start = 0
    length = len(token)
    index = 0
    while index < length:
        char = token[index]
        if char == "/" and index == start and index + 1 < length:
            follower = token[index + 1]
            if follower.isdigit():
                index += 1
                continue
            if follower not in _DELIMITERS:
                end = _path_end(token, index)
                parts.append(VARIABLE)
                index = start = end
                continue
        if char in _DELIMITERS:
            if index > start:
                parts.append(_mask_segment(token[start:index]))
            parts.append(char)
            start = index + 1
        index += 1
    if start < length:
        parts.append(_mask_segment(token[start:]))
    return "".join(parts)


def _path_end(token: str, start: int) -> int:
    """Index just past a path that begins at ``start``: it runs to a closing mark or the end."""
    end = start
    length = len(token)
    while end < length and token[end] not in _CLOSERS:
        end += 1
    while end > start + 1 and token[end - 1] in _PATH_TRAILING:
        end -= 1
    return end


def _closing_tail(rest: str) -> str:
    """The closing punctuation that ends a URL or path token, kept outside the variable."""
    end = len(rest)
    while end > 0 and (rest[end - 1] in _CLOSERS or rest[end - 1] in _TRAILING):
        end -= 1
    return rest[end:]


def _keep_edges(token: str) -> str:
    """Mask the body of a token, keeping brackets and trailing punctuation around it."""
    start = 0
    while start < len(token) and token[start] in "([{<\"'":
        start += 1
    tail = _closing_tail(token[start:])
    return token[:start] + VARIABLE + tail


def _mask_segment(segment: str) -> str:
    """Mask one segment cut at field punctuation; trailing sentence marks stay outside."""
    end = len(segment)
    while end > 0 and segment[end - 1] in _TRAILING:
        end -= 1
    if end < len(segment):
        return _mask_core(segment[:end]) + segment[end:] if end else segment
    return _mask_core(segment)


def _mask_core(segment: str) -> str:
    if _DIGITS.isdisjoint(segment):
        return VARIABLE if segment.lower() in _LITERALS else segment
    first = segment[0]
    if first.isdigit() or (first in "-+./" and len(segment) > 1 and segment[1].isdigit()):
        if "-" in segment and all(part.isdigit() for part in segment.split("-")):
            return "-".join(VARIABLE for _ in segment.split("-"))
        return VARIABLE
    dot = _dot_before_number(segment)
    if dot:
        return _mask_core(segment[:dot]) + "." + VARIABLE
    if "-" in segment:
        head, *rest = segment.split("-")
        if head.isalpha() and rest and all(part and _is_value(part) for part in rest):
            return head + "-" + VARIABLE
        return VARIABLE if any(_is_value(part) for part in rest if part) or _is_value(head) else segment
    return VARIABLE if _is_value(segment) else segment


def _dot_before_number(segment: str) -> int:
    """Index of a dot that ends a word and starts a number (``core.42``, ``fetch....0``), or 0."""
    index = segment.find(".")
    while 0 < index < len(segment) - 1:
        before = segment[index - 1]
        if segment[index + 1].isdigit() and (before.isalpha() or before == "."):
            return index
        index = segment.find(".", index + 1)
    return 0


def _is_value(part: str) -> bool:
    """Whether a hyphen-free piece is a value rather than a name with a short number glued on.

    A snake_case name with two digits, or one numeric part, is a value (``root14_local``,
    ``broadcast_9``), while ``jk2_init`` stays a name.
    """
    if _DIGITS.isdisjoint(part):
        return False
    if part[0].isdigit():
        return True
    digits = sum(map(str.isdigit, part))
    if "_" in part and (digits > 1 or any(_is_value(piece) for piece in part.split("_") if piece)):
        return True
    return digits >= 3 or digits >= sum(map(str.isalpha, part))


#: Byte-size units a formatter picks at run time (``5.2 KB``, ``93.0 B``): part of the value before them.
_SIZE_UNITS = frozenset(["B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kB"])
_UNIT_END = _TRAILING + ")]}"


class Skeletonizer:
    """Turn a message into its *skeleton*: masked tokens, each run of whole-token variables
    folded into one slot, so a list of any length fills one slot.

    A byte-size unit after a number joins the number's slot, since the formatter chose it.
    Masked tokens are cached (the fixed words of a log repeat endlessly); the cache is cleared
    when it passes ``limit`` entries, so memory stays bounded.
    """

    def __init__(self, limit: int = 1 << 16) -> None:
        self.limit = limit
        self._masked: dict[str, str] = {}

    def __call__(self, message: str) -> tuple[str, ...]:
        masked = self._masked
        tokens: list[str] = []
        after_value = False
        for raw in message.split():
            token = masked.get(raw)
            if token is None:
                if raw.isdigit():
                    token = VARIABLE
                else:
                    token = mask_token(raw)
                    if len(masked) >= self.limit:
                        masked.clear()
                    masked[raw] = token
            if after_value:
                if token == VARIABLE:
                    continue
                unit = token.rstrip(_UNIT_END)
                if unit in _SIZE_UNITS:
                    tokens[-1] = VARIABLE + token[len(unit) :]
                    after_value = tokens[-1] == VARIABLE
                    continue
            after_value = token == VARIABLE
            tokens.append(token)
        return tuple(tokens)


def skeleton(message: str) -> tuple[str, ...]:
    """The skeleton of one message, without a cache (see :class:`Skeletonizer`)."""
    return Skeletonizer(limit=0)(message)
