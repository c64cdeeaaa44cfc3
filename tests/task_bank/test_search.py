"""Full-text search (FTS5) over prompt text and verifier code."""

from __future__ import annotations

from task_bank.records import TaskStatus
from task_bank.store import Bank


def test_search_finds_words_of_the_prompt(bank, make_spec):
    hit = bank.admit(make_spec(1, prompt="Convert the temperature from Fahrenheit to Celsius."))
    bank.admit(make_spec(2))
    assert [r.id for r in bank.list(text="fahrenheit")] == [hit.id]


def test_search_finds_identifiers_of_the_verifier_code(bank, make_spec):
    code = "def verify(response):\n    return float(response.strip() == parse_iso_week('2024-W05'))\n"
    hit = bank.admit(make_spec(1, verifier=code))
    bank.admit(make_spec(2))
    assert [r.id for r in bank.list(text="parse_iso_week")] == [hit.id]


def test_every_word_must_match(bank, make_spec):
    hit = bank.admit(make_spec(1, prompt="alpha beta gamma"))
    bank.admit(make_spec(2, prompt="alpha delta"))
    assert [r.id for r in bank.list(text="alpha gamma")] == [hit.id]
    assert bank.count(text="alpha") == 2


def test_query_syntax_characters_are_searched_as_text_not_parsed(bank, make_spec):
    hit = bank.admit(make_spec(1, prompt='Quote "this" AND NOT that: col:umn * (x)'))
    for text in ['"this"', "AND NOT", "col:umn", "*", "(x)", 'unbalanced "quote', "NEAR(", "^start"]:
        bank.list(text=text)
    assert [r.id for r in bank.list(text='"this" col:umn')] == [hit.id]


def test_search_combines_with_filters_and_follows_status_changes(bank, make_spec):
    kept = bank.admit(make_spec(1, prompt="sorting algorithms compared"))
    retired = bank.admit(make_spec(2, prompt="sorting socks by colour"))
    bank.set_status(retired.id, TaskStatus.RETIRED, actor="t")
    assert [r.id for r in bank.list(text="sorting", status="admitted")] == [kept.id]


def test_search_sees_text_replaced_by_put(bank, make_spec):
    record = bank.admit(make_spec(1, prompt="original wording here"))
    new_spec = make_spec(1, prompt="replacement phrasing now", id=record.id)
    bank.put(record.model_copy(update={"spec": new_spec}))
    assert bank.count(text="original") == 0 and bank.count(text="replacement") == 1


def test_punctuation_only_search_matches_nothing(bank, make_spec):
    bank.admit(make_spec(1, prompt="What is 2 + 2 ?"))
    assert bank.list(text="+ ?") == [] and bank.count(text="???") == 0


def test_search_still_works_after_reopening_a_migrated_bank(bank_path, make_spec):
    with Bank.open(bank_path) as bank:
        hit = bank.admit(make_spec(1, prompt="zebra crossing rules"))
    with Bank.open(bank_path) as bank:
        assert [r.id for r in bank.list(text="zebra")] == [hit.id]
