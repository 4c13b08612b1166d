"""Python traceback frame lines, shared by tracebacks and faulthandler dumps."""

from __future__ import annotations

import re

from faultlens.model import Frame

FRAME = re.compile(r'File "(?P<path>[^"]{1,1024})", line (?P<lineno>\d{1,9})(?:,? in (?P<func>\S.{0,512}))?$')
"""`File "path", line N, in func`; faulthandler writes it without the comma before `in`."""

_LIBRARY_ROOTS = re.compile(r"(?:site-packages|dist-packages|lib/python\d(?:\.\d+)?|Lib)[/\\]")


def parse_frame(match: re.Match[str]) -> Frame:
    """A frame from a FRAME match; library paths also give the module and import-relative path."""
    path = match.group("path")
    func = match.group("func")
    module, relative = _module_from_path(path)
    return Frame(
        function=func.strip() if func else None,
        module=module,
        filename=relative or path,
        abs_path=path,
        lineno=int(match.group("lineno")),
    )


def _module_from_path(path: str) -> tuple[str | None, str | None]:
    """Module and import-relative path for library and frozen code, where the root is known."""
    if path.startswith("<frozen ") and path.endswith(">"):
        return path[8:-1], None
    roots = list(_LIBRARY_ROOTS.finditer(path))
    if not roots:
        return None, None
    relative = path[roots[-1].end() :].replace("\\", "/")
    if not relative.endswith(".py"):
        return None, relative
    dotted = relative[:-3].replace("/", ".")
    if dotted.endswith(".__init__"):
        dotted = dotted[: -len(".__init__")]
    return dotted, relative
