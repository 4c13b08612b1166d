"""Every entry's real sample is diagnosed as that entry, and as no other."""

from __future__ import annotations

from functools import cache

import pytest

from faultlens.knowledge import Diagnosis, default_catalogue, match
from tests.knowledge.samples import sample_evidence

PATTERNS = default_catalogue().patterns
IDS = [p.id for p in PATTERNS]


@cache
def best_for_sample(pattern_id: str) -> Diagnosis | None:
    diagnoses = match(sample_evidence(default_catalogue().get(pattern_id)))
    return diagnoses[0] if diagnoses else None


@pytest.mark.parametrize("pattern_id", IDS)
def test_sample_matches_its_entry_best(pattern_id: str) -> None:
    """An entry's own sample ranks that entry first."""
    best = best_for_sample(pattern_id)
    assert best is not None, f"sample of {pattern_id} matched no entry"
    assert best.id == pattern_id, (
        f"sample of {pattern_id} is best matched by {best.id} (score {best.score}, {best.reasons}); "
        f"{pattern_id} got {[(d.score, d.reasons) for d in match(sample_evidence(default_catalogue().get(pattern_id))) if d.id == pattern_id]}"
    )


@pytest.mark.parametrize("pattern_id", IDS)
def test_no_other_sample_prefers_this_entry(pattern_id: str) -> None:
    """No other entry's sample has this entry as its best match."""
    stolen = [other for other in IDS if other != pattern_id
              and (best := best_for_sample(other)) is not None and best.id == pattern_id]
    assert not stolen, f"{pattern_id} is the best match for the samples of {stolen}"
