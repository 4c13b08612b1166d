"""Source maps: minified frames from real esbuild bundles crashed in Node and Firefox, mapped back."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from faultlens.errors import ConfigError
from faultlens.model import ExceptionInfo, Frame
from faultlens.stacktrace import parse_trace
from faultlens.stacktrace.explain import explain
from faultlens.stacktrace.sourcemap_index import Bundle, mapping_url, path_parts
from faultlens.stacktrace.sourcemaps import SourceMapResolver, decode_data_url, display_name, source_location

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sourcemaps"
DIST = FIXTURES / "bundles"
SOURCE = FIXTURES / "_generate" / "src"
BUNDLE = "checkout.min.js"


def source_line(name: str, fragment: str) -> tuple[int, str]:
    """The 1-based number and text of the line of an original module that holds fragment."""
    for number, line in enumerate((SOURCE / name).read_text().splitlines(), 1):
        if fragment in line:
            return number, line
    raise AssertionError(f"{fragment!r} not in {name}")


def resolved(trace_name: str, directory: Path = DIST) -> tuple[list[ExceptionInfo], SourceMapResolver]:
    trace = parse_trace((FIXTURES / trace_name).read_text())
    assert trace is not None
    resolver = SourceMapResolver(directory)
    resolver.resolve_exceptions(trace.exceptions)
    return trace.exceptions, resolver


def minified_frame(path: str = f"/srv/shop/dist/{BUNDLE}", colno: int = 124) -> Frame:
    """The frame Node printed for the throw in applyDiscount (`at c (...checkout.min.js:1:124)`)."""
    return Frame(function="c", filename=path, abs_path=path, lineno=1, colno=colno, in_app=True)


class TestNodeTrace:
    def test_raising_frame_is_the_original_throw(self) -> None:
        """The root cause's last frame is the throw in applyDiscount, with its line from sourcesContent."""
        exceptions, resolver = resolved("node_trace.txt")
        frame = exceptions[0].frames[-1]
        lineno, line = source_line("pricing.js", "throw new PricingError")
        assert (frame.function, frame.filename, frame.lineno) == ("applyDiscount", "src/pricing.js", lineno)
        assert frame.context_line == line
        assert frame.abs_path == "/srv/shop/src/pricing.js"
        assert resolver.problems == []

    def test_callers_get_their_original_names(self) -> None:
        """Every bundle frame of the root cause names its original function, in call order."""
        exceptions, _ = resolved("node_trace.txt")
        in_bundle = [frame for frame in exceptions[0].frames if frame.filename and frame.filename.startswith("src/")]
        assert [frame.function for frame in in_bundle][-4:] == ["main", "checkout", "cartTotal", "applyDiscount"]
        lineno, _ = source_line("cart.js", "return applyDiscount(")
        assert (in_bundle[-2].filename, in_bundle[-2].lineno) == ("src/cart.js", lineno)

    def test_final_exception_raised_in_checkout(self) -> None:
        """The wrapping Error of the chain is mapped too: it was thrown in checkout's catch block."""
        exceptions, _ = resolved("node_trace.txt")
        frame = exceptions[-1].frames[-1]
        lineno, _ = source_line("main.js", "throw new Error(")
        assert (frame.function, frame.filename, frame.lineno) == ("checkout", "src/main.js", lineno)

    def test_runtime_frames_stay_as_they_are(self) -> None:
        """Frames of node:internal have no map and are returned unchanged."""
        trace = parse_trace((FIXTURES / "node_trace.txt").read_text())
        assert trace is not None
        internal = [frame for frame in trace.exceptions[0].frames if (frame.filename or "").startswith("node:")]
        resolver = SourceMapResolver(DIST)
        assert internal and all(resolver.resolve(frame) is frame for frame in internal)


class TestFirefoxTrace:
    def test_url_frames_map_by_path_suffix(self) -> None:
        """Gecko frames served from /assets/ match the bundle in the directory by file name."""
        exceptions, _ = resolved("firefox_trace.txt")
        frames = exceptions[-1].frames
        lineno, line = source_line("pricing.js", "throw new PricingError")
        thrower = frames[-2]
        assert (thrower.function, thrower.filename, thrower.lineno, thrower.context_line) == (
            "applyDiscount", "src/pricing.js", lineno, line)
        assert thrower.abs_path == "https://shop.example.com/src/pricing.js"

    def test_constructor_frame_is_named_after_the_class(self) -> None:
        """Firefox lists the error's constructor as the innermost frame; it maps to the class."""
        exceptions, _ = resolved("firefox_trace.txt")
        frame = exceptions[-1].frames[-1]
        lineno, _ = source_line("pricing.js", "super(message, options)")
        assert (frame.function, frame.filename, frame.lineno) == ("new PricingError", "src/pricing.js", lineno)

    def test_query_string_is_ignored(self) -> None:
        """A cache-busting query does not stop a URL from matching its bundle."""
        frame = SourceMapResolver(DIST).resolve(minified_frame(f"https://shop.example.com/assets/{BUNDLE}?v=3"))
        assert frame.function == "applyDiscount"


class TestFramesWithoutMap:
    def test_other_file_is_unchanged(self) -> None:
        """A frame of a file with no map is returned as the same object."""
        frame = minified_frame("https://cdn.example.com/vendor.js")
        assert SourceMapResolver(DIST).resolve(frame) is frame

    def test_frame_without_column_is_unchanged(self) -> None:
        """Without a column, a one-line bundle cannot be mapped; the frame stays."""
        frame = Frame(function="c", filename=BUNDLE, lineno=1)
        assert SourceMapResolver(DIST).resolve(frame) is frame

    def test_resolved_frame_leaves_in_app_to_be_decided(self) -> None:
        """in_app was decided on the bundle's path, so a resolved frame clears it."""
        assert SourceMapResolver(DIST).resolve(minified_frame()).in_app is None


class TestBrokenMaps:
    def test_corrupt_map_leaves_frames_and_is_reported_once(self, tmp_path: Path) -> None:
        """A truncated map does not raise: frames stay minified and one problem names the map."""
        shutil.copyfile(DIST / BUNDLE, tmp_path / BUNDLE)
        (tmp_path / f"{BUNDLE}.map").write_bytes((DIST / f"{BUNDLE}.map").read_bytes()[:300])
        resolver = SourceMapResolver(tmp_path)
        frames = [minified_frame(), minified_frame(colno=280)]
        assert [resolver.resolve(frame) for frame in frames] == frames
        assert len(resolver.problems) == 1
        assert f"{BUNDLE}.map" in resolver.problems[0]

    def test_missing_referenced_map_is_reported(self, tmp_path: Path) -> None:
        """A bundle naming a map that was not deployed is reported when indexing."""
        shutil.copyfile(DIST / BUNDLE, tmp_path / BUNDLE)
        resolver = SourceMapResolver(tmp_path)
        assert resolver.resolve(minified_frame()).function == "c"
        assert len(resolver.problems) == 1
        assert BUNDLE in resolver.problems[0]

    def test_bad_inline_map_is_reported(self, tmp_path: Path) -> None:
        """An inline data URL that is not base64 is reported, not raised."""
        script = (DIST / BUNDLE).read_text().replace(f"{BUNDLE}.map", "data:application/json;base64,%%%")
        (tmp_path / BUNDLE).write_text(script)
        resolver = SourceMapResolver(tmp_path)
        assert resolver.resolve(minified_frame()).function == "c"
        assert len(resolver.problems) == 1

    def test_missing_directory_is_a_config_error(self, tmp_path: Path) -> None:
        """A directory that does not exist is the user's to fix, named in the error."""
        with pytest.raises(ConfigError, match="not a directory"):
            SourceMapResolver(tmp_path / "missing")


class TestLayouts:
    def test_map_alone_gives_place_and_line(self, tmp_path: Path) -> None:
        """Without the minified file the map still gives file, line and context; the name stays minified."""
        shutil.copyfile(DIST / f"{BUNDLE}.map", tmp_path / f"{BUNDLE}.map")
        frame = SourceMapResolver(tmp_path).resolve(minified_frame())
        lineno, line = source_line("pricing.js", "throw new PricingError")
        assert (frame.function, frame.filename, frame.lineno, frame.context_line) == ("c", "src/pricing.js", lineno, line)

    def test_inline_map(self, tmp_path: Path) -> None:
        """A map carried in the bundle as a base64 data URL is read from there."""
        encoded = base64.b64encode((DIST / f"{BUNDLE}.map").read_bytes()).decode()
        script = (DIST / BUNDLE).read_text().replace(f"{BUNDLE}.map", f"data:application/json;base64,{encoded}")
        (tmp_path / BUNDLE).write_text(script)
        assert SourceMapResolver(tmp_path).resolve(minified_frame()).function == "applyDiscount"

    def test_map_in_another_folder(self, tmp_path: Path) -> None:
        """The sourceMappingURL comment is followed to a map kept elsewhere in the directory."""
        (tmp_path / "js").mkdir()
        (tmp_path / "maps").mkdir()
        script = (DIST / BUNDLE).read_text().replace(f"={BUNDLE}.map", "=../maps/app.map")
        (tmp_path / "js" / BUNDLE).write_text(script)
        shutil.copyfile(DIST / f"{BUNDLE}.map", tmp_path / "maps" / "app.map")
        resolver = SourceMapResolver(tmp_path)
        assert resolver.resolve(minified_frame()).function == "applyDiscount"
        assert resolver.problems == []

    def test_same_name_in_two_folders(self, tmp_path: Path) -> None:
        """Two bundles of one name are told apart by their folder; a bare name that fits both is reported."""
        for release in ("v1", "v2"):
            shutil.copytree(DIST, tmp_path / release / "assets")
        resolver = SourceMapResolver(tmp_path)
        assert resolver.resolve(minified_frame(f"https://shop.example.com/v2/assets/{BUNDLE}")).function == "applyDiscount"
        bare = minified_frame(BUNDLE)
        assert resolver.resolve(bare) is bare
        assert len(resolver.problems) == 1


class TestExplain:
    def test_origin_and_first_app_frame_use_original_source(self) -> None:
        """explain resolves before choosing the origin and the first application frame."""
        [result] = explain((FIXTURES / "node_trace.txt").read_text(), resolver=SourceMapResolver(DIST))
        lineno, _ = source_line("pricing.js", "throw new PricingError")
        for key in ("origin", "first_app_frame"):
            assert (result[key]["function"], result[key]["filename"], result[key]["lineno"]) == (
                "applyDiscount", "src/pricing.js", lineno)
        assert "src/pricing.js" in result["next_steps"][0]

    def test_fingerprint_survives_a_rebuild(self) -> None:
        """Resolved frames fingerprint by original names, not by the names a minifier happened to pick."""
        text = (FIXTURES / "node_trace.txt").read_text()
        renamed = text.replace("at c (", "at q (").replace("at e (", "at z (")
        with_maps = [explain(t, resolver=SourceMapResolver(DIST))[0]["fingerprint"] for t in (text, renamed)]
        without = [explain(t)[0]["fingerprint"] for t in (text, renamed)]
        assert with_maps[0] == with_maps[1]
        assert without[0] != without[1]

    def test_other_runtimes_are_not_resolved(self) -> None:
        """A Python trace naming a .js file is left alone: source maps are JavaScript's."""
        text = ('Traceback (most recent call last):\n'
                f'  File "/srv/shop/dist/{BUNDLE}", line 1, in c\n'
                'ValueError: boom\n')
        [result] = explain(text, resolver=SourceMapResolver(DIST))
        assert result["origin"]["function"] == "c"


class TestHelpers:
    @pytest.mark.parametrize(("source", "expected"), [
        ("../src/pricing.js", "src/pricing.js"),
        ("webpack://shop/./src/pricing.js", "src/pricing.js"),
        ("webpack:///./node_modules/react/index.js", "node_modules/react/index.js"),
        ("/home/ci/shop/src/main.ts", "home/ci/shop/src/main.ts"),
    ])
    def test_display_name(self, source: str, expected: str) -> None:
        """Sources print as project paths, without scheme, namespace or leading dots."""
        assert display_name(source) == expected

    def test_source_location_follows_the_map(self) -> None:
        """Sources sit relative to the map, which sits relative to the bundle; own schemes are kept."""
        bundle = Bundle(("checkout.min.js",), None, None, "maps/checkout.min.js.map")
        assert source_location("https://x.example/assets/checkout.min.js", bundle, "../src/a.js") == (
            "https://x.example/assets/src/a.js")
        assert source_location("/srv/dist/checkout.min.js", bundle, "webpack://shop/./src/a.js") == (
            "webpack://shop/./src/a.js")

    def test_path_parts_drop_host_and_query(self) -> None:
        """A URL's parts are its path's, without query or fragment."""
        assert path_parts("https://x.example/a/b%20c.js?v=1#top") == ("a", "b c.js")

    def test_mapping_url_is_the_last_comment(self) -> None:
        """Only a real `//# sourceMappingURL=` comment counts, the last one written."""
        assert mapping_url(b"x;\n//# sourceMappingURL=a.map\n//# sourceMappingURL=b.map\n") == "b.map"
        assert mapping_url(b'var s="sourceMappingURL=x.map";') is None

    def test_decode_data_url(self) -> None:
        """Base64 and plain data URLs decode; anything else is None."""
        assert decode_data_url("data:application/json;base64,e30=") == b"{}"
        assert decode_data_url("data:application/json,%7B%7D") == b"{}"
        assert decode_data_url("app.map") is None
