"""Elixir `** (Type) message` reports and Erlang crash terms and shell exceptions.

Both print the raising frame first; frames are reversed here.
"""

from __future__ import annotations

import re

from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.logline import is_record_boundary
from faultlens.stacktrace.trace import MAX_LINE, ParsedTrace

LANGUAGE = "elixir"
MARKERS: tuple[str, ...] = ("** (", "** exception ", "terminating in do_boot", "{badarg", "{badarith", "{undef")

_ELIXIR_HEADER = re.compile(r"\*\* \((?P<type>[\w.]{1,256})(?: from (?P<origin>[^)]{0,256}))?\) ?(?P<value>.*)$")
_ELIXIR_FRAME = re.compile(
    r"\s*+(?:\((?P<app>[\w]{1,128})(?: [\w.+-]{1,64})?\) )?"
    r"(?P<path>[^\s:()]{1,1024}):(?P<line>\d{1,9}): (?P<func>\S.{0,1024})$"
)
_ELIXIR_CALL = re.compile(r"\s*+(?P<func>:?[\w.]{1,256}\.[^\s(]{1,256}\(.{0,2048}\))$")
_MFA = re.compile(r"(?P<module>:?[A-Za-z_][\w.]*?)\.(?P<function>(?:\"[^\"]{1,512}\"|[^.\s\"]{1,512})/\d{1,3})$")
_ERLANG_SHELL = re.compile(r"\*\* exception (?P<class>error|exit|throw): (?P<value>.*)$")
_ERLANG_SHELL_FRAME = re.compile(
    r"\s*+(?:in|in call from) (?:function|operator)\s++(?P<mfa>\S{1,512})"
    r"(?: \((?P<path>[^,()]{1,1024}), line (?P<line>\d{1,9})\))?\s*$"
)
_ERLANG_TERM = re.compile(r"\{\"?(?P<where>[^\"{,]{0,256})\"?,\s*\{(?P<type>\w{1,64}),\s*\[")
_ERLANG_TERM_FRAME = re.compile(
    r"\{(?P<module>'[^']{1,256}'|\w{1,256}),(?P<function>'[^']{1,256}'|[^,{}\[\]]{1,256}),"
    r"(?P<arity>\d{1,3}|\[[^\]]{0,1024}\]),"
    r"\[(?P<location>[^\]]{0,2048})\]\}"
)
_ERLANG_FILE = re.compile(r"\{file,\"(?P<path>[^\"]{1,1024})\"\},\{line,(?P<line>\d{1,9})\}")
_MAX_FRAMES = 1000


def find(lines: list[str]) -> list[ParsedTrace]:
    """Every Elixir or Erlang error report in the lines."""
    found: list[ParsedTrace] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        trace = None
        if len(line) <= MAX_LINE:
            if "** (" in line:
                trace = _parse_elixir(lines, i)
            elif "** exception " in line:
                trace = _parse_erlang_shell(lines, i)
            elif "{" in line and "[" in line:
                trace = _parse_erlang_term(lines, i)
        if trace is not None:
            found.append(trace)
            i = trace.end_line
            continue
        i += 1
    return found


def _split_type(full: str) -> tuple[str, str | None]:
    module, _, name = full.rpartition(".")
    return name, module or None


def _mfa_frame(text: str) -> Frame:
    """`Enum.map/2`, `anonymous fn/2 in Demo.run/1`, `:gen_server.call/3` → module and function."""
    target = text.rsplit(" in ", 1)[-1] if " in " in text else text
    match = _MFA.match(target)
    if match is None:
        return Frame(function=text)
    function = text if " in " in text else match.group("function")
    return Frame(function=function, module=match.group("module"))


def _parse_elixir(lines: list[str], i: int) -> ParsedTrace | None:
    header = _ELIXIR_HEADER.search(lines[i])
    if header is None:
        return None
    name, module = _split_type(header.group("type"))
    exception = ExceptionInfo(type=name, module=module, value=header.group("value").strip())
    j, n = _message_continuation(lines, i + 1, exception), len(lines)
    frames: list[Frame] = []
    while j < n and len(frames) < _MAX_FRAMES and len(lines[j]) <= MAX_LINE:
        line = lines[j]
        match = _ELIXIR_FRAME.match(line)
        if match is not None:
            frame = _mfa_frame(match.group("func").strip())
            frame.filename = frame.abs_path = match.group("path")
            frame.lineno = int(match.group("line"))
            frames.append(frame)
        elif (call := _ELIXIR_CALL.match(line)) is not None:
            frames.append(_mfa_frame(call.group("func").split("(", 1)[0] + "/0"))
            frames[-1].function = call.group("func").split("(", 1)[0].rpartition(".")[2]
        else:
            break
        j += 1
    frames.reverse()
    exception.frames = frames
    return ParsedTrace(LANGUAGE, [exception], i, j)


def _is_frame(line: str) -> bool:
    return len(line) <= MAX_LINE and (_ELIXIR_FRAME.match(line) is not None or _ELIXIR_CALL.match(line) is not None)


def _message_continuation(lines: list[str], i: int, exception: ExceptionInfo) -> int:
    """Lines up to the first frame continue the message (FunctionClauseError lists arguments)."""
    n = len(lines)
    for k in range(i, min(n, i + 40)):
        if _is_frame(lines[k]):
            extra = [text.strip() for text in lines[i:k] if text.strip()]
            if extra:
                exception.value = "\n".join([exception.value, *extra]) if exception.value else "\n".join(extra)
            return k
        if "** (" in lines[k] or is_record_boundary(lines[k]):
            break
    return i


def _parse_erlang_shell(lines: list[str], i: int) -> ParsedTrace | None:
    header = _ERLANG_SHELL.search(lines[i])
    if header is None:
        return None
    exception = ExceptionInfo(type=header.group("class"), value=header.group("value").strip())
    j, n = i + 1, len(lines)
    frames: list[Frame] = []
    while j < n and len(lines[j]) <= MAX_LINE:
        match = _ERLANG_SHELL_FRAME.match(lines[j])
        if match is not None:
            module, _, function = match.group("mfa").partition(":")
            frame = Frame(function=function or module, module=module if function else None)
            if match.group("path"):
                frame.filename = frame.abs_path = match.group("path")
                frame.lineno = int(match.group("line"))
            frames.append(frame)
        elif not lines[j].strip().startswith("called as"):
            break
        j += 1
    frames.reverse()
    exception.frames = frames
    return ParsedTrace(LANGUAGE, [exception], i, j)


def _parse_erlang_term(lines: list[str], i: int) -> ParsedTrace | None:
    """`{"init terminating in do_boot",{badarith,[{erlang,'+',[1,a],[...]},...]}}` on one line."""
    line = lines[i]
    header = _ERLANG_TERM.search(line)
    if header is None:
        return None
    frames: list[Frame] = []
    for match in _ERLANG_TERM_FRAME.finditer(line, header.end() - 1):
        arity = match.group("arity")
        function = match.group("function").strip("'")
        count = arity if arity.isdigit() else str(arity.count(",") + 1 if arity != "[]" else 0)
        frame = Frame(function=f"{function}/{count}", module=match.group("module").strip("'"))
        location = _ERLANG_FILE.search(match.group("location"))
        if location is not None:
            frame.filename = frame.abs_path = location.group("path")
            frame.lineno = int(location.group("line"))
        frames.append(frame)
        if len(frames) >= _MAX_FRAMES:
            break
    if not frames:
        return None
    frames.reverse()
    exception = ExceptionInfo(type=header.group("type"), value=header.group("where").strip(), frames=frames)
    end = i + 1
    if end < len(lines) and "terminating in do_boot" in lines[end]:
        end += 1
    return ParsedTrace(LANGUAGE, [exception], i, end)
