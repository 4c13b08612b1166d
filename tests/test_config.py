"""`faultlens.toml`: rules read into the grouping config, and errors that name the file, line, key and expectation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faultlens.config import SETTINGS, Config, load_config
from faultlens.errors import ConfigError
from faultlens.grouping.rules import FingerprintRule, StackRule
from tests.conftest import REPO

EXAMPLE = """
[stacktrace]
app_packages = ["shop", "/srv/shop/"]

[[stacktrace.rules]]
path = "*/vendor/*"
in_app = false

[[stacktrace.rules]]
function = "fail"
ignore = true

[[fingerprint.rules]]
name = "database down"
type = "OperationalError"
message = "*could not connect*"
fingerprint = "database-unavailable"

[[fingerprint.rules]]
message_regex = "timed out after \\\\d+ ms"
tags = { region = "eu-*" }
extra = ["{service}", "{tags.region}"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "faultlens.toml"
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value


def test_rules_are_read(tmp_path: Path) -> None:
    """Every section of the documented example becomes grouping config, in file order."""
    config = load_config(write(tmp_path, EXAMPLE))
    grouping = config.grouping
    assert grouping.app_packages == ("shop", "/srv/shop/")
    assert grouping.stack_rules == (StackRule(path="*/vendor/*", in_app=False), StackRule(function="fail", ignore=True))
    assert grouping.fingerprint_rules[0] == FingerprintRule(
        "database down", type="OperationalError", message="*could not connect*", fingerprint="database-unavailable")
    second = grouping.fingerprint_rules[1]
    assert second.name == "fingerprint.rules[2]" and second.extra == ("{service}", "{tags.region}")
    assert second.message_regex == r"timed out after \d+ ms" and second.tags == (("region", "eu-*"),)


def test_working_directory_file_is_read_and_optional(tmp_path: Path) -> None:
    """Without --config, faultlens.toml in the working directory is used if present."""
    assert load_config(cwd=tmp_path) == Config()
    write(tmp_path, EXAMPLE)
    assert load_config(cwd=tmp_path).grouping.app_packages == ("shop", "/srv/shop/")


def test_missing_config_path_is_an_error(tmp_path: Path) -> None:
    """An explicit --config that does not exist is named, with exit code 2."""
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "nope.toml" in str(caught.value) and caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[stacktrace\n", [":1:", "not valid TOML"]),
        ("[grouping]\n", ["grouping: unknown key", "stacktrace, fingerprint"]),
        ("[stacktrace]\napp_packages = \"shop\"\n", ["stacktrace.app_packages", "list of module or path prefixes",
                                                     "found a string 'shop'"]),
        ("[[stacktrace.rules]]\npath = '*/x/*'\n", ["stacktrace.rules[1]", "in_app = true/false or ignore = true"]),
        ("[[stacktrace.rules]]\nin_app = true\n", ["stacktrace.rules[1]", "at least one of path, module or function"]),
        ("[[stacktrace.rules]]\nmodule = 'x'\nin_app = 'yes'\n", [":1:", "stacktrace.rules[1].in_app",
                                                                  "expected true or false, found a string 'yes'"]),
        ("[[stacktrace.rules]]\nmodul = 'x'\n", ["stacktrace.rules[1].modul: unknown key", "module"]),
        ("[[fingerprint.rules]]\ntype = 'E'\nfingerprint = 'a'\n\n[[fingerprint.rules]]\nmessage_regex = '('\n"
         "fingerprint = 'b'\n", [":5:", "fingerprint.rules[2].message_regex", "expected a regular expression",
                                 "does not compile"]),
        ("[[fingerprint.rules]]\nfingerprint = 'a'\n", ["fingerprint.rules[1]", "at least one condition"]),
        ("[[fingerprint.rules]]\ntype = 'E'\n", ["fingerprint.rules[1]", "either fingerprint", "or extra"]),
        ("[[fingerprint.rules]]\ntype = 'E'\nfingerprint = 'a'\nextra = ['b']\n", ["not both"]),
        ("[[fingerprint.rules]]\ntype = 'E'\nextra = ['{servce}']\n", ["fingerprint.rules[1].extra",
                                                                      "{servce} is not a field", "{tags.NAME}"]),
        ("[[fingerprint.rules]]\ntype = 3\nfingerprint = 'a'\n", ["fingerprint.rules[1].type",
                                                                 "expected a glob, found a number 3"]),
        ("[[fingerprint.rules]]\ntags = { region = 1 }\nfingerprint = 'a'\n", ["fingerprint.rules[1].tags",
                                                                               "table of tag name to glob"]),
        ("fingerprint = 'x'\n", ["fingerprint: expected a table"]),
    ],
)
def test_errors_name_file_line_key_and_expectation(tmp_path: Path, text: str, expected: list[str]) -> None:
    """Each mistake gives one ConfigError saying where, which key, what was expected and what was found."""
    error = error_for(tmp_path, text)
    message = str(error)
    assert message.startswith(str(tmp_path / "faultlens.toml"))
    for fragment in expected:
        assert fragment in message, (fragment, message)
    assert error.exit_code == 2


def test_every_setting_is_documented() -> None:
    """The docs name every key of faultlens.toml: docs/grouping.md the grouping ones, docs/server.md and
    docs/alerting.md those of [server], docs/input-formats.md those of [ingest]."""
    docs = "".join((REPO / "docs" / name).read_text()
                   for name in ("grouping.md", "server.md", "alerting.md", "input-formats.md"))
    for setting in SETTINGS:
        leaf = re.sub(r"^.*[.\]]", "", setting.key)
        section = setting.key.split(".")[0]
        assert f"`{leaf}`" in docs and f"[{section}" in docs, setting.key


def test_documented_example_loads(tmp_path: Path) -> None:
    """Every faultlens.toml example in docs/grouping.md is valid."""
    docs = (REPO / "docs" / "grouping.md").read_text()
    examples = re.findall(r"```toml\n(.*?)```", docs, re.S)
    assert examples
    for example in examples:
        load_config(write(tmp_path, example))


def test_every_server_setting_reaches_the_server() -> None:
    """Each key `[server]` accepts is a field of the server's config (or of its limits), and each such
    field can be set in `[server]`: a setting added on one side only fails here."""
    from faultlens.config import SERVER_KINDS
    from faultlens.server.config import Limits, ServerConfig

    fields = (set(ServerConfig.__dataclass_fields__) - {"limits", "grouping"}) | set(Limits.__dataclass_fields__)
    assert set(SERVER_KINDS) == fields
