"""Every entry's real sample is diagnosed as that entry, and as no other."""

from __future__ import annotations

from functools import cache

import pytest

from faultlens.knowledge import Diagnosis, default_catalogue, match
from tests.knowledge.samples import sample_evidence

PATTERNS = default_catalogue().patterns
IDS = [p.id for p in PATTERNS]


@cache
def diagnoses_for_sample(pattern_id: str) -> tuple[Diagnosis, ...]:
    return tuple(match(sample_evidence(default_catalogue().get(pattern_id))))


def best_for_sample(pattern_id: str) -> Diagnosis | None:
    diagnoses = diagnoses_for_sample(pattern_id)
    return diagnoses[0] if diagnoses else None


def describe(diagnoses: tuple[Diagnosis, ...]) -> str:
    return "; ".join(f"{d.id} {d.score} {list(d.reasons)}" for d in diagnoses[:4])


@pytest.mark.parametrize("pattern_id", IDS)
def test_sample_matches_its_entry_best(pattern_id: str) -> None:
    """An entry's own sample ranks that entry first, strictly above the runner-up."""
    diagnoses = diagnoses_for_sample(pattern_id)
    assert diagnoses, f"sample of {pattern_id} matched no entry"
    assert diagnoses[0].id == pattern_id, f"sample of {pattern_id} is best matched by {diagnoses[0].id}: {describe(diagnoses)}"
    if len(diagnoses) > 1:
        assert diagnoses[0].score > diagnoses[1].score, (
            f"sample of {pattern_id} ties with {diagnoses[1].id}: {describe(diagnoses)}")


@pytest.mark.parametrize("pattern_id", IDS)
def test_no_other_sample_prefers_this_entry(pattern_id: str) -> None:
    """No other entry's sample has this entry as its best match."""
    stolen = [other for other in IDS if other != pattern_id
              and (best := best_for_sample(other)) is not None and best.id == pattern_id]
    assert not stolen, f"{pattern_id} is the best match for the samples of {stolen}"
