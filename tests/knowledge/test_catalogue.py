"""The shipped catalogue loads, is complete and consistent, and bad files fail with errors that say where."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from faultlens.knowledge import CatalogueError, Pattern, default_catalogue, load_catalogue
from faultlens.knowledge.catalogue import pattern_files
from faultlens.knowledge.schema import CATEGORIES, PLATFORMS, ROOT_CAUSE_KINDS, SEVERITIES

PATTERNS = default_catalogue().patterns


def test_catalogue_has_at_least_sixty_entries() -> None:
    """The shipped catalogue holds at least 60 patterns."""
    assert len(PATTERNS) >= 60


def test_every_pattern_file_contributes_entries() -> None:
    """Each shipped TOML file holds at least one entry, so a file that fails to parse into entries is noticed."""
    files = {f.name for f in pattern_files()}
    assert files >= {"python.toml", "jvm.toml", "node.toml", "go.toml", "dotnet.toml", "ruby.toml", "php.toml",
                     "databases.toml", "http.toml", "cloud.toml", "native.toml", "security.toml"}
    used = {Path(p.file).name for p in PATTERNS}
    assert used == files


def test_ids_are_unique_kebab_case() -> None:
    """Entry ids are unique and kebab-case."""
    ids = [p.id for p in PATTERNS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_entry_fields_are_present_and_typed(pattern: Pattern) -> None:
    """Every deliverable of an entry is present, non-empty and of the right type."""
    for text in (pattern.title, pattern.severity_reason, pattern.explanation, pattern.fix.summary,
                 pattern.monitoring.summary, pattern.monitoring.alert, pattern.monitoring.watch,
                 pattern.sample.source, pattern.sample.text):
        assert isinstance(text, str) and text.strip()
    for items in (pattern.testing, pattern.prevention, pattern.runbook, pattern.platforms):
        assert isinstance(items, tuple) and items and all(isinstance(i, str) and i for i in items)
    assert pattern.rules and pattern.fix.code
    assert all(block.lang and block.code.strip() for block in pattern.fix.code)
    sentences = len(re.findall(r"[.!?](\s|$)", pattern.explanation))
    assert 2 <= sentences <= 5, f"{pattern.id}: explanation has {sentences} sentences"


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_entry_vocabulary_is_known(pattern: Pattern) -> None:
    """Category, severity, root-cause kind and platforms come from the declared vocabularies."""
    assert pattern.category in CATEGORIES
    assert pattern.severity in SEVERITIES
    assert pattern.root_cause_kind in ROOT_CAUSE_KINDS
    assert set(pattern.platforms) <= set(PLATFORMS)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_alert_counts_its_own_pattern(pattern: Pattern) -> None:
    """An alert over faultlens_events_total selects the entry's own pattern label."""
    alert = pattern.monitoring.alert
    if "faultlens_events_total" in alert:
        assert f'pattern="{pattern.id}"' in alert
    assert alert.count("(") == alert.count(")")


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_sample_says_where_it_came_from(pattern: Pattern) -> None:
    """A sample's source is a public URL or names the runtime (with its version) that produced it."""
    source = pattern.sample.source
    assert source.startswith("https://") or re.search(r"\d", source), source


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_sample_programs_named_in_sources_exist(pattern: Pattern) -> None:
    """A source that names a file of this repository (a program or a corpus trace) names one that exists."""
    repo = Path(__file__).resolve().parents[2]
    for path in re.findall(r"tests/[\w/.-]*\w", pattern.sample.source):
        assert (repo / path).exists(), path


def test_every_vocabulary_word_is_used() -> None:
    """No category or platform is declared without an entry using it."""
    assert {p.category for p in PATTERNS} == set(CATEGORIES)
    assert {platform for p in PATTERNS for platform in p.platforms} == set(PLATFORMS)


GOOD_ENTRY = '''
[[pattern]]
id = "demo-error"
title = "Demo"
category = "runtime"
severity = "low"
severity_reason = "Only a demo."
root_cause_kind = "unknown"
platforms = ["python"]
explanation = "It happens. It is a demo."
testing = ["Run it."]
prevention = ["Do not."]
runbook = ["Look."]

[[pattern.match]]
types = ["DemoError"]

[pattern.fix]
summary = "Fix it."

[[pattern.fix.code]]
lang = "python"
code = "pass"

[pattern.monitoring]
summary = "Watch it."
alert = 'sum(increase(faultlens_events_total{pattern="demo-error"}[5m])) > 0'
watch = "Nothing else."

[pattern.sample]
source = "python3 3.11"
text = "DemoError: demo"
'''


def write(tmp_path: Path, text: str, name: str = "demo.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    """A minimal complete entry loads."""
    catalogue = load_catalogue([write(tmp_path, GOOD_ENTRY)])
    assert [p.id for p in catalogue.patterns] == ["demo-error"]


@pytest.mark.parametrize(("old", "new", "field"), [
    ('category = "runtime"', 'category = "weird"', "category"),
    ('severity = "low"', 'severity = "urgent"', "severity"),
    ('platforms = ["python"]', 'platforms = ["cobol"]', "platforms"),
    ('types = ["DemoError"]', 'mesages = ["x"]', "match[0].mesages"),
    ('types = ["DemoError"]', 'messages = ["(unclosed"]', "match[0].messages"),
    ('types = ["DemoError"]', "status = [999]", "match[0].status"),
    ('testing = ["Run it."]', "testing = []", "testing"),
    ('lang = "python"', "", "fix.code[0].lang"),
    ("alert = 'sum(increase(faultlens_events_total{pattern=\"demo-error\"}[5m])) > 0'", 'alert = "up == 0"',
     "monitoring.alert"),
    ('id = "demo-error"', 'id = "Demo_Error"', "id"),
])
def test_a_bad_entry_names_file_entry_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    """A malformed entry raises a CatalogueError naming the file, the entry id and the field."""
    path = write(tmp_path, GOOD_ENTRY.replace(old, new, 1))
    with pytest.raises(CatalogueError) as info:
        load_catalogue([path])
    message = str(info.value)
    assert str(path) in message and f"'{field}'" in message
    assert "demo-error" in message or "Demo_Error" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    """A file that is not TOML fails with its path in the message."""
    path = write(tmp_path, "[[pattern]\nid = ")
    with pytest.raises(CatalogueError, match=re.escape(str(path))):
        load_catalogue([path])


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    """The same id in two files is an error naming the first file."""
    first = write(tmp_path, GOOD_ENTRY, "a.toml")
    second = write(tmp_path, GOOD_ENTRY, "b.toml")
    with pytest.raises(CatalogueError, match=r"already defined in .*a\.toml"):
        load_catalogue([first, second])


def test_refines_must_name_an_existing_entry(tmp_path: Path) -> None:
    """An entry may only refine an entry that exists."""
    path = write(tmp_path, GOOD_ENTRY.replace('runbook = ["Look."]', 'runbook = ["Look."]\nrefines = ["nope"]'))
    with pytest.raises(CatalogueError, match="refines"):
        load_catalogue([path])


def test_prose_is_unwrapped() -> None:
    """Explanations keep no hard line breaks from the TOML file; renderers wrap them."""
    assert all("\n" not in p.explanation for p in PATTERNS)


def test_alerts_pass_promtool(tmp_path: Path) -> None:
    """Every entry's alert expression is valid PromQL, as `promtool check rules` judges it."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    rules = [{"alert": p.id.replace("-", "_"), "expr": p.monitoring.alert} for p in PATTERNS]
    path = tmp_path / "rules.yml"
    path.write_text(json.dumps({"groups": [{"name": "faultlens-knowledge", "rules": rules}]}), encoding="utf-8")
    done = subprocess.run([found, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout
