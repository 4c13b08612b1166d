"""Suspect commits: the changes to an issue's failing code that came shortly before the issue began.

An issue's in-app frames (file and line) are mapped into a git clone by the longest common path
suffix (`/srv/payment/app/db/repository.py` → `app/db/repository.py`; a JVM frame's package
gives its directories), then read at the code that ran: the tag of the issue's release when the
repository has one, else the last commit before the issue was first seen. Each commit is
suspected for what it touched, most for the line that raised:

- the raising line's last change (`git blame`) and earlier changes to it (`git log -L`);
- the last change to the other in-app lines on the failing path;
- other changes to those files;
- being in the release where the issue began (between the previous tag and the release's), or
  being that release's tagged commit.

Recent changes weigh most: a change within SUSPECT_DAYS of the first event keeps its full
weight, an older one fades with age. Commits after the first event are never suspects.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from faultlens.errors import SourceError
from faultlens.model import Frame, Issue, SuspectCommit
from faultlens.times import parse_timestamp

SUSPECT_DAYS = 30
MAX_FRAMES = 8
MAX_SUSPECTS = 5
RAISING_LINE, LINE_HISTORY, PATH_LINE, FILE_CHANGE, IN_RELEASE, RELEASE_TAG = 1.0, 0.5, 0.6, 0.3, 0.3, 0.2
"""How much each reason weighs: the raising line most, being the release's tagged commit least."""
OTHER_REASONS = 0.25
_FIELD = "\x1f"
_LOG_FORMAT = f"%H{_FIELD}%an{_FIELD}%aI{_FIELD}%s"


@dataclass(slots=True)
class CommitInfo:
    sha: str
    author: str
    date: datetime
    message: str


@dataclass(slots=True)
class _Suspect:
    commit: CommitInfo
    weights: list[float] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The strongest reason, plus a quarter of the others: a first commit that wrote every line on the
        path must not outweigh the one that changed the raising line."""
        best = max(self.weights, default=0.0)
        return best + OTHER_REASONS * (sum(self.weights) - best)

    def add(self, weight: float, reason: str, path: str | None) -> None:
        self.weights.append(weight)
        if reason not in self.reasons:
            self.reasons.append(reason)
        if path and path not in self.files:
            self.files.append(path)


class GitRepo:
    """A git clone, read through the `git` command; answers are cached per revision."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = self._git("rev-parse", "--show-toplevel").strip()

    def _git(self, *args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True, timeout=60,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SourceError(f"cannot run git: {exc}", path=str(self.path)) from None
        if done.returncode != 0:
            if "not a git repository" in done.stderr:
                raise SourceError("not a git repository; pass --repo a clone", path=str(self.path))
            return ""
        return done.stdout

    @cache  # noqa: B019 - one GitRepo per analysis; the cache dies with it
    def files(self, rev: str) -> tuple[str, ...]:
        return tuple(self._git("ls-tree", "-r", "--name-only", rev).splitlines())

    @cache  # noqa: B019
    def tags(self) -> dict[str, str]:
        """Tag name → the commit it points at (annotated tags peeled)."""
        out = self._git("for-each-ref", "refs/tags", "--format=%(refname:short) %(objectname) %(*objectname)")
        found = {}
        for line in out.splitlines():
            name, sha, *peeled = line.split(" ")
            found[name] = peeled[0] if peeled and peeled[0] else sha
        return found

    def rev_before(self, moment: datetime) -> str | None:
        sha = self._git("rev-list", "-1", f"--before={moment.isoformat()}", "HEAD").strip()
        return sha or None

    def commit(self, rev: str) -> CommitInfo | None:
        found = _parse_log(self._git("log", "-1", f"--format={_LOG_FORMAT}", rev))
        return found[0] if found else None

    def blame(self, rev: str, path: str, lines: Sequence[int]) -> dict[int, CommitInfo]:
        """The commit that last changed each line, as of `rev`."""
        ranges = [arg for line in sorted(set(lines)) for arg in ("-L", f"{line},{line}")]
        out = self._git("blame", "--porcelain", *ranges, rev, "--", path)
        found: dict[int, CommitInfo] = {}
        commits: dict[str, dict[str, str]] = {}
        current: tuple[str, int] | None = None
        for row in out.splitlines():
            header = re.match(r"([0-9a-f]{40}) \d+ (\d+)", row)
            if header:
                current = (header.group(1), int(header.group(2)))
                commits.setdefault(current[0], {})
            elif current is not None and row.startswith(("author ", "author-time ", "summary ")):
                key, _, value = row.partition(" ")
                commits[current[0]][key] = value
            elif current is not None and row.startswith("\t"):
                info = commits[current[0]]
                date = _porcelain_date(info.get("author-time"))
                if date is not None:
                    found[current[1]] = CommitInfo(current[0], info.get("author", ""), date, info.get("summary", ""))
        return found

    def line_history(self, rev: str, path: str, line: int, since: datetime) -> list[CommitInfo]:
        return _parse_log(self._git("log", "-s", f"--format={_LOG_FORMAT}", f"--since={since.isoformat()}",
                                    "-L", f"{line},{line}:{path}", rev))

    def file_history(self, rev: str, path: str, since: datetime) -> list[CommitInfo]:
        return _parse_log(self._git("log", f"--format={_LOG_FORMAT}", f"--since={since.isoformat()}", rev, "--",
                                    path))

    def previous_tag(self, tag: str) -> str | None:
        described = self._git("describe", "--tags", "--abbrev=0", f"{self.tags()[tag]}^").strip()
        return described if described in self.tags() else None

    def between(self, older: str, newer: str, paths: Sequence[str]) -> list[CommitInfo]:
        return _parse_log(self._git("log", f"--format={_LOG_FORMAT}", f"{older}..{newer}", "--", *paths))


def suspect_commits(issue: Issue, repo: GitRepo, limit: int = MAX_SUSPECTS) -> list[SuspectCommit]:
    """The commits most likely to have introduced the issue, best first, each with why."""
    sample = issue.sample
    if sample is None or not sample.exceptions:
        return []
    began = issue.first_seen_ever or issue.first_seen
    release_tag, previous_tag = _release_tags(issue, repo, began)
    tags = repo.tags()
    rev = tags[release_tag] if release_tag else repo.rev_before(began)
    if rev is None:
        return []
    files = repo.files(rev)
    raising = _raising_frames(issue)
    frames = _in_app_frames(issue)
    suspects: dict[str, _Suspect] = {}
    since = began - timedelta(days=SUSPECT_DAYS * 4)

    def suspect(commit: CommitInfo, weight: float, reason: str, path: str | None) -> None:
        if commit.date > began:
            return
        entry = suspects.setdefault(commit.sha, _Suspect(commit))
        if weight == FILE_CHANGE and path in entry.files:
            return  # the commit is already suspected for lines of this file
        entry.add(weight * _recency(commit.date, began), reason, path)

    mapped: dict[str, list[Frame]] = {}
    for frame in frames:
        path = map_frame(frame, files)
        if path is not None and frame.lineno:
            mapped.setdefault(path, []).append(frame)
    for path, on_path in mapped.items():
        blamed = repo.blame(rev, path, [f.lineno for f in on_path if f.lineno])
        for frame in on_path:
            commit = blamed.get(frame.lineno or 0)
            if commit is None:
                continue
            where = f"{path}:{frame.lineno}"
            if _same(frame, raising):
                suspect(commit, RAISING_LINE, f"last changed the raising line {where}", path)
                for older in repo.line_history(rev, path, frame.lineno or 0, since)[1:]:
                    suspect(older, LINE_HISTORY, f"changed the raising line {where} earlier", path)
            else:
                suspect(commit, PATH_LINE, f"last changed {where} on the failing path", path)
        for commit in repo.file_history(rev, path, since):
            suspect(commit, FILE_CHANGE, f"changed {path}", path)
    if release_tag and previous_tag and mapped:
        for commit in repo.between(tags[previous_tag], tags[release_tag], list(mapped)):
            suspect(commit, IN_RELEASE, f"shipped in {release_tag}, the release the issue began in (since "
                    f"{previous_tag})", None)
    if release_tag:
        tagged = repo.commit(tags[release_tag])
        if tagged is not None:
            suspect(tagged, RELEASE_TAG, f"is {release_tag}'s tagged commit", None)
    ranked = sorted(suspects.values(), key=lambda s: (-s.score, -s.commit.date.timestamp()))[:limit]
    return [SuspectCommit(sha=s.commit.sha, author=s.commit.author, date=s.commit.date, message=s.commit.message,
                          files=s.files, reason=f"{'; '.join(s.reasons)} ({_age(s.commit.date, began)} before the "
                          "issue was first seen)", score=round(s.score, 3)) for s in ranked]


def map_frame(frame: Frame, files: Sequence[str]) -> str | None:
    """The repository file a frame's file is, by the longest common path suffix; None when unclear."""
    parts = _frame_parts(frame)
    if not parts:
        return None
    best: list[str] = []
    length = 0
    for candidate in _by_basename(tuple(files)).get(parts[-1], ()):
        common = _common_suffix(parts, candidate.split("/"))
        if common > length:
            best, length = [candidate], common
        elif common == length:
            best.append(candidate)
    return best[0] if len(best) == 1 else None


@cache
def _by_basename(files: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for path in files:
        index.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    return {name: tuple(paths) for name, paths in index.items()}


def _frame_parts(frame: Frame) -> list[str]:
    name = frame.abs_path or frame.filename or ""
    parts = [p for p in re.split(r"[/\\]", name) if p and p != "."]
    if len(parts) == 1 and frame.module and "." in frame.module:
        package = frame.module.split(".")[:-1]  # a JVM class: its package is its directory
        parts = [*package, parts[0]]
    return parts


def _common_suffix(a: Sequence[str], b: Sequence[str]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


def _in_app_frames(issue: Issue) -> list[Frame]:
    """In-app frames of the whole chain, the raising ones first, each file and line once."""
    sample = issue.sample
    assert sample is not None
    seen: set[tuple[str | None, int | None]] = set()
    ordered = []
    for exc in [*sample.exceptions[:1], *reversed(sample.exceptions[1:])]:
        for frame in reversed(exc.frames):
            key = (frame.abs_path or frame.filename, frame.lineno)
            if frame.in_app and key not in seen:
                seen.add(key)
                ordered.append(frame)
    return ordered[:MAX_FRAMES]


def _raising_frames(issue: Issue) -> list[Frame]:
    """The deepest in-app frame of each exception in the chain: where the application raised."""
    sample = issue.sample
    assert sample is not None
    found = []
    for exc in sample.exceptions:
        own = [f for f in exc.frames if f.in_app]
        if own:
            found.append(own[-1])
    return found


def _same(frame: Frame, among: Sequence[Frame]) -> bool:
    return any((f.abs_path or f.filename, f.lineno) == (frame.abs_path or frame.filename, frame.lineno) for f in among)


def _release_tags(issue: Issue, repo: GitRepo, began: datetime) -> tuple[str | None, str | None]:
    """The tag of the release the issue began in, and the tag before it, if the repository has them.

    The issue's sample is its latest event, perhaps after a rollback, so of the releases its events
    carry, the one whose tagged commit is the newest not after the first event is taken.
    """
    tags = repo.tags()
    matching = [tag for name in issue.releases for tag in tags
                if tag == name or tag.endswith(("/" + name, "@" + name))]
    dated = [(commit.date, tag) for tag in matching for commit in [repo.commit(tags[tag])] if commit is not None]
    if not dated:
        return None, None
    before = [item for item in dated if item[0] <= began]
    tag = max(before)[1] if before else min(dated)[1]
    return tag, repo.previous_tag(tag)


def _recency(date: datetime, began: datetime) -> float:
    days = max((began - date).total_seconds() / 86400.0, 0.0)
    return 1.0 if days <= SUSPECT_DAYS else SUSPECT_DAYS / days


def _age(date: datetime, began: datetime) -> str:
    seconds = int((began - date).total_seconds())
    if seconds < 3600:
        return f"{max(seconds // 60, 0)} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _porcelain_date(epoch: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(epoch), tz=UTC) if epoch and epoch.isdigit() else None


def _parse_log(out: str) -> list[CommitInfo]:
    found = []
    for line in out.splitlines():
        parts = line.split(_FIELD)
        if len(parts) != 4:
            continue
        date = parse_timestamp(parts[2])
        if date is not None:
            found.append(CommitInfo(parts[0], parts[1], date, parts[3]))
    return found
