"""Which source map belongs to which minified file under a directory, and which file a frame names.

Kept apart from the resolver because it is pure file and path work: no map is parsed here.
A minified file names its map in a last-line `//# sourceMappingURL=` comment (a path relative
to the file, a URL, or the whole map as a `data:` URL); a map nobody names is matched by its
own name, `checkout.min.js.map` for `checkout.min.js`. Frames give a path or URL that shares
only its trailing parts with the directory's layout, so matching goes from the file name up.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

SCRIPT_SUFFIXES = frozenset({".js", ".mjs", ".cjs"})
_MAPPING_URL = re.compile(rb"(?://|/\*)[#@][ \t]sourceMappingURL=(?P<url>[^\s*]+)")


@dataclass(frozen=True, slots=True)
class Bundle:
    """A minified file as frames name it, with where its map is.

    `parts` is the minified file's path under the directory; `script` is None when only the
    map was deployed. `map_url` is the reference as the file writes it, so that sources can be
    placed relative to the map as the runtime saw it; a `data:` URL holds the map itself.
    """

    parts: tuple[str, ...]
    script: Path | None
    map_path: Path | None
    map_url: str | None = None


class SourceMapIndex:
    """The bundles under one directory, found by the name a frame gives."""

    def __init__(self, directory: Path, problems: list[str]) -> None:
        self._directory = Path(os.path.normpath(directory.absolute()))
        self._problems = problems
        self._ambiguous: set[str] = set()
        scripts: list[Path] = []
        maps: list[Path] = []
        for path in sorted(self._directory.rglob("*")):
            if path.suffix in SCRIPT_SUFFIXES and path.is_file():
                scripts.append(path)
            elif path.suffix == ".map" and path.is_file():
                maps.append(path)
        self._maps_by_name: dict[str, list[Path]] = {}
        for map_path in maps:
            self._maps_by_name.setdefault(map_path.name, []).append(map_path)
        self._by_name: dict[str, list[Bundle]] = {}
        claimed: set[Path] = set()
        for script in scripts:
            bundle = self._script_bundle(script)
            if bundle is not None:
                self._add(bundle)
                if bundle.map_path is not None:
                    claimed.add(bundle.map_path)
        for map_path in maps:
            if map_path not in claimed:
                self._add(Bundle(self._parts(_script_named_by(map_path)), None, map_path))

    def find(self, frame_path: str) -> Bundle | None:
        """The bundle whose path shares the most trailing parts with the frame's; None if none or a tie."""
        parts = path_parts(frame_path)
        if not parts:
            return None
        candidates = self._by_name.get(parts[-1])
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        ranked = sorted(candidates, key=lambda bundle: _shared_tail(bundle.parts, parts), reverse=True)
        if _shared_tail(ranked[0].parts, parts) > _shared_tail(ranked[1].parts, parts):
            return ranked[0]
        if frame_path not in self._ambiguous:
            self._ambiguous.add(frame_path)
            names = ", ".join("/".join(bundle.parts) for bundle in ranked)
            self._problems.append(f"{frame_path}: matches several bundles ({names}); its frames stay minified")
        return None

    def _add(self, bundle: Bundle) -> None:
        self._by_name.setdefault(bundle.parts[-1], []).append(bundle)

    def _parts(self, path: Path) -> tuple[str, ...]:
        return path.relative_to(self._directory).parts

    def _script_bundle(self, script: Path) -> Bundle | None:
        """The script's bundle if it has a map: the one its comment names, else `<name>.map` beside it."""
        try:
            url = mapping_url(script.read_bytes())
        except OSError as error:
            self._problems.append(f"{script}: cannot be read ({error.strerror or error})")
            return None
        parts = self._parts(script)
        if url is not None and url.startswith("data:"):
            return Bundle(parts, script, None, url)
        if url is not None:
            map_path = self._referenced_map(script, url)
            if map_path is not None:
                return Bundle(parts, script, map_path, url)
        beside = script.with_name(script.name + ".map")
        if beside.is_file():
            return Bundle(parts, script, beside)
        if url is not None:
            self._problems.append(f"{script}: its source map {url} is not under {self._directory}")
        return None

    def _referenced_map(self, script: Path, url: str) -> Path | None:
        """A relative reference is followed; a URL's map is looked for by its file name."""
        split = urlsplit(url)
        relative = unquote(split.path)
        if not split.scheme and not relative.startswith("/"):
            candidate = Path(os.path.normpath(script.parent / relative))
            if candidate.is_file() and candidate.is_relative_to(self._directory):
                return candidate
        named = self._maps_by_name.get(PurePosixPath(relative).name, [])
        beside = [path for path in named if path.parent == script.parent]
        if beside:
            return beside[0]
        return named[0] if len(named) == 1 else None


def mapping_url(script: bytes) -> str | None:
    """The last `sourceMappingURL` a minified file declares; bundlers write it on the last line."""
    at = script.rfind(b"sourceMappingURL=")
    match = _MAPPING_URL.match(script, at - 4) if at >= 4 else None
    return match.group("url").decode("utf-8", "replace") if match is not None else None


def path_parts(path: str) -> tuple[str, ...]:
    """A frame's path or URL split into parts, without scheme, host, query or fragment."""
    path = unquote(urlsplit(path).path) if "://" in path else path.split("?", 1)[0].split("#", 1)[0]
    return tuple(part for part in path.replace("\\", "/").split("/") if part and part != ".")


def _script_named_by(map_path: Path) -> Path:
    """`checkout.min.js.map` maps `checkout.min.js`; `checkout.map` is taken to map `checkout.js`."""
    script = map_path.with_suffix("")
    return script if script.suffix in SCRIPT_SUFFIXES else script.with_name(script.name + ".js")


def _shared_tail(left: tuple[str, ...], right: tuple[str, ...]) -> int:
    shared = 0
    for a, b in zip(reversed(left), reversed(right), strict=False):
        if a != b:
            break
        shared += 1
    return shared
