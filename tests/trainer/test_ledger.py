"""The score ledger tallies groups per task between two drains."""

from __future__ import annotations

from trainer.ledger import ScoreLedger


def test_tally_counts_attempts_passes_and_unscored():
    ledger = ScoreLedger(pass_threshold=1.0)
    ledger.record_group("t", [1.0, 0.0, None, 1.0])
    tally = ledger.drain()["t"]
    assert (tally.attempts, tally.unscored, tally.passes) == (3, 1, 2)
    assert tally.mean_score == 2 / 3 and tally.pass_rate == 2 / 3


def test_groups_of_equal_scores_are_counted():
    ledger = ScoreLedger(pass_threshold=1.0)
    ledger.record_group("t", [0.0, 0.0, 0.0, 0.0])
    ledger.record_group("t", [0.0, 0.5, 0.0, 0.0])
    tally = ledger.drain()["t"]
    assert (tally.groups, tally.equal_groups) == (2, 1)


def test_drain_empties_the_ledger():
    ledger = ScoreLedger(pass_threshold=0.5)
    ledger.record_group("t", [0.6, 0.4])
    assert ledger.drain()["t"].passes == 1
    assert ledger.drain() == {}
