"""The collector tuning the server and the preparing process apply once started."""

from __future__ import annotations

import gc

from faultlens.server.gc_tuning import GC_THRESHOLDS, tune_collector


def test_start_up_objects_are_frozen_and_collections_rarer() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > before[0]
        assert gc.get_freeze_count() > 1000, "what start-up built is out of every collection"
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
