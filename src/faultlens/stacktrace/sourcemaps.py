"""Map frames of minified JavaScript back to the original file, line, function and source line.

A bundler renames functions and squeezes a program onto one line, so a trace from production
says `c at checkout.min.js:1:124`. A source map records where each token came from. Reading maps
is left to Sentry's `symbolic`, which also recovers the enclosing function's original name from
the scopes of the minified file, something the map alone cannot give. Frames without a map,
and frames of a map that cannot be read, stay as they were: a broken upload must not cost the
trace, and each unreadable map is reported once in `SourceMapResolver.problems`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

from faultlens.errors import ConfigError
from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace.sourcemap_index import Bundle, SourceMapIndex

if TYPE_CHECKING:
    from symbolic.sourcemap import SourceMapView
    from symbolic.sourcemapcache import SourceMapCache

__all__ = ["SourceMapResolver"]

_MAX_POSITION = 2**32 - 1
"""Lines and columns are unsigned 32-bit in source maps; larger numbers in a trace are noise."""
_NO_FUNCTION = frozenset({"<unknown>", ""})
"""What `symbolic` answers when it found no enclosing function; the runtime's name is kept then."""


@dataclass(frozen=True, slots=True)
class _Original:
    """Where a minified position came from."""

    source: str
    lineno: int
    colno: int
    function: str | None
    context_line: str | None


class SourceMapResolver:
    """Resolves minified frames through the source maps found under one directory.

    Maps and the minified files that name them are indexed once; each map is parsed on the
    first frame that needs it and kept, so a directory of many bundles costs only what the
    traces use. A frame matches a minified file by the trailing parts of its path or URL.
    """

    def __init__(self, directory: Path) -> None:
        try:
            import symbolic.sourcemapcache  # noqa: F401  (a missing optional dependency is a setup error)
        except ImportError as error:
            raise ConfigError(
                "source maps need the symbolic package: pip install 'faultlens[sourcemaps]'", path=str(directory)
            ) from error
        if not directory.is_dir():
            raise ConfigError("is not a directory: pass the folder holding the .map files", path=str(directory))
        self.problems: list[str] = []
        """One line per map or bundle that could not be used, each naming its file."""
        self._index = SourceMapIndex(directory, self.problems)
        self._loaded: dict[Bundle, SourceMapCache | SourceMapView | None] = {}

    def resolve(self, frame: Frame) -> Frame:
        """The frame at its original place, or the same frame when no map covers it.

        `in_app` is cleared on a resolved frame: it was decided from the bundle's path, and the
        original source may be a library's; mark in-app frames after resolving.
        """
        path = frame.abs_path or frame.filename
        if path is None or frame.lineno is None or frame.colno is None:
            return frame
        if not (1 <= frame.lineno <= _MAX_POSITION and 1 <= frame.colno <= _MAX_POSITION):
            return frame
        bundle = self._index.find(path)
        if bundle is None:
            return frame
        original = self._lookup(bundle, frame.lineno, frame.colno)
        if original is None:
            return frame
        return Frame(
            function=original.function or frame.function,
            module=frame.module,
            filename=display_name(original.source),
            abs_path=source_location(path, bundle, original.source),
            lineno=original.lineno,
            colno=original.colno,
            context_line=original.context_line,
        )

    def resolve_exceptions(self, exceptions: Iterable[ExceptionInfo]) -> None:
        """Resolve every frame of a chain in place."""
        for exception in exceptions:
            exception.frames = [self.resolve(frame) for frame in exception.frames]

    def _lookup(self, bundle: Bundle, lineno: int, colno: int) -> _Original | None:
        from symbolic.exceptions import SymbolicError
        from symbolic.sourcemapcache import SourceMapCache

        sourcemap = self._load(bundle)
        if sourcemap is None:
            return None
        try:
            if isinstance(sourcemap, SourceMapCache):
                token = sourcemap.lookup(lineno, colno, 0)
                if token is None or token.src is None:
                    return None
                function = None if token.function_name in _NO_FUNCTION else token.function_name
                return _Original(token.src, token.line, token.col, function, _strip(token.context_line))
            match = sourcemap.lookup(lineno - 1, colno - 1)
            if match is None or match.src is None:
                return None
            view = sourcemap.get_sourceview(match.src_id) if match.src_id is not None else None
            context = view[match.src_line] if view is not None and match.src_line < len(view) else None
            return _Original(match.src, match.src_line + 1, match.src_col + 1, None, _strip(context))
        except SymbolicError as error:
            self._report(bundle, f"lookup failed ({_first_line(error)})")
            self._loaded[bundle] = None
            return None

    def _load(self, bundle: Bundle) -> SourceMapCache | SourceMapView | None:
        """The parsed map of a bundle, None if it cannot be read; each bundle is tried once."""
        if bundle in self._loaded:
            return self._loaded[bundle]
        from symbolic.exceptions import SymbolicError
        from symbolic.sourcemap import SourceMapView
        from symbolic.sourcemapcache import SourceMapCache

        loaded: SourceMapCache | SourceMapView | None = None
        try:
            map_bytes = self._map_bytes(bundle)
            if map_bytes is not None:
                if bundle.script is not None:
                    loaded = SourceMapCache.from_bytes(bundle.script.read_bytes(), map_bytes)
                else:
                    loaded = SourceMapView.from_json_bytes(map_bytes)
        except (OSError, SymbolicError) as error:
            self._report(bundle, f"is not a readable source map ({_first_line(error)}); its frames stay minified")
        self._loaded[bundle] = loaded
        return loaded

    def _map_bytes(self, bundle: Bundle) -> bytes | None:
        if bundle.map_path is not None:
            return bundle.map_path.read_bytes()
        if bundle.map_url is None or not bundle.map_url.startswith("data:"):
            return None
        decoded = decode_data_url(bundle.map_url)
        if decoded is None:
            self._report(bundle, "has an inline source map that cannot be decoded; its frames stay minified")
        return decoded

    def _report(self, bundle: Bundle, problem: str) -> None:
        self.problems.append(f"{bundle.map_path or bundle.script}: {problem}")


def decode_data_url(url: str) -> bytes | None:
    """The map inside a `data:application/json;base64,...` URL, None if it is not one."""
    header, comma, payload = url.partition(",")
    if not comma or not header.startswith("data:"):
        return None
    if not header.endswith(";base64"):
        return unquote(payload).encode("utf-8")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def source_location(frame_path: str, bundle: Bundle, source: str) -> str:
    """A map's source placed as the spec says: relative to the map, itself relative to the minified file.

    `../src/a.js` in the map of `/srv/shop/dist/app.min.js` is `/srv/shop/src/a.js`; sources with
    a scheme of their own (`webpack://`) are kept as they are.
    """
    map_url = bundle.map_url if bundle.map_url and not bundle.map_url.startswith("data:") else None
    base = urljoin(frame_path, map_url) if map_url else frame_path
    return urljoin(base, source)


def display_name(source: str) -> str:
    """A map's source as a project path: `webpack://shop/./src/a.js` and `../src/a.js` become `src/a.js`."""
    path = urlsplit(source).path if "://" in source else source
    while path.startswith(("/", "./", "../")):
        path = path.lstrip("/").removeprefix("./").removeprefix("../")
    return path or source


def _strip(line: str | None) -> str | None:
    return line.rstrip("\r\n") if line else None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
