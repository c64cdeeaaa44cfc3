"""Grouping: shared primary tags and near-duplicate user text make one group; ids are stable."""

from __future__ import annotations

from synth.grouping import group_failures, group_id
from task_bank.failure import FailureRecord


def _f(fid: str, text: str, tags: tuple[str, ...] = ()) -> FailureRecord:
    return FailureRecord(id=fid, conversation=[{"role": "user", "content": text}], response="x",
                         signal={"kind": "thumbs_down"}, tags=tags)


def test_near_duplicates_with_other_numbers_join_one_group() -> None:
    groups = group_failures([_f("a", "What is 17 km plus 250 m in metres?"),
                             _f("b", "What is 4 km plus 75 m in metres?"),
                             _f("c", "Write a haiku about the sea")])
    assert [g.member_ids for g in groups] == [("a", "b"), ("c",)]


def test_shared_primary_tag_joins_unrelated_text() -> None:
    groups = group_failures([_f("a", "Weekday of 2024-07-04?", ("dates",)), _f("b", "Days in Feb 2023", ("dates",)),
                             _f("c", "Weekday of 2024-07-04?", ())])
    assert groups[0].member_ids == ("a", "b", "c")
    assert groups[0].label == "dates"


def test_tags_can_be_ignored() -> None:
    groups = group_failures([_f("a", "alpha beta", ("t",)), _f("b", "gamma delta", ("t",))], use_tags=False)
    assert len(groups) == 2


def test_group_id_depends_only_on_members() -> None:
    assert group_id(["b", "a"]) == group_id(["a", "b"])
    groups = group_failures([_f("x", "one two three"), _f("y", "one two three")])
    assert groups[0].id == group_id(["x", "y"])


def test_a_threshold_of_one_joins_only_identical_text() -> None:
    groups = group_failures([_f("a", "Write a haiku about the sea"), _f("b", "Write a haiku about the sea"),
                             _f("c", "Write a haiku about the moon")], threshold=1.0)
    assert [g.member_ids for g in groups] == [("a", "b"), ("c",)]


def test_strict_thresholds_keep_exact_jaccard_pairs() -> None:
    text = "please list five ripe fruits in alphabetical order with one short note each"
    groups = group_failures([_f("a", text), _f("b", text + " today")], threshold=0.95)
    assert len(groups) == 2
