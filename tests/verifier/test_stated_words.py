"""The answer a reply states in words beside its code, and the reply with that answer changed (validator 1.21).

Red-team round 58 (D): an honest verifier that judged only a program of thought's stated weekday, choice letter or
yes/no paid every mutant of the reference, each still stating the right word, and was rejected as ``mutant_passes``.
"""

from __future__ import annotations

import random

import pytest

from verifier.stated_answers import answer_alternatives, stated_answer_changed, stated_words

CODE = "```python\nimport datetime\nprint(datetime.date(1969, 7, 20).strftime('%A'))\n```\n"


def words(reply: str, comments: bool = False) -> list[str]:
    return [reply[start:end] for start, end in stated_words(reply, comments)]


@pytest.mark.parametrize("stated, word", [("Answer: Sunday", "Sunday"), ("The answer is B.", "B"),
                                          ("**Final answer:** (C)", "C"), ("Result = yes", "yes"),
                                          ("So it is \\boxed{\\text{Paris}}.", "Paris"),
                                          ("answer: the letter D", "D")])
def test_a_word_after_an_answer_label_outside_the_code_is_stated(stated, word):
    assert words(CODE + stated) == [word]


@pytest.mark.parametrize("prose", ["I will answer the question now.", "The result shows Sunday.", "Sunday."])
def test_a_word_without_an_answer_label_is_not_stated(prose):
    assert words(CODE + prose) == []


def test_a_reply_without_code_states_no_word():
    reply = "It was a Sunday. Answer: Sunday"
    assert words(reply) == [] and stated_answer_changed(reply, random.Random(0)) is None


def test_a_reply_that_is_all_code_states_the_word_after_answer_on_its_last_line():
    assert words("import datetime\nprint(1)\nAnswer: Sunday\n\n") == ["Sunday"]
    assert words("x = 1\nAnswer: int = 3\n") == []


def test_a_word_in_a_comment_is_stated_only_when_comments_are_asked_for():
    reply = "```python\nprint(1)  # Answer: Tuesday\n```\n"
    assert words(reply) == [] and words(reply, comments=True) == ["Tuesday"]


@pytest.mark.parametrize("word, opposite", [("yes", "no"), ("No", "Yes"), ("TRUE", "FALSE"), ("false", "true")])
def test_yes_and_no_and_true_and_false_become_their_opposite(word, opposite):
    changed = stated_answer_changed(CODE + f"Answer: {word}", random.Random(0))
    assert changed == CODE + f"Answer: {opposite}"


def test_a_choice_letter_becomes_another_choice_the_prompt_offers():
    alternatives = answer_alternatives("Which is largest? (A) 2**30 (B) 3**19 (C) 10**9 (D) 5**13", ())
    drawn = {stated_answer_changed(CODE + "Answer: B", random.Random(seed), alternatives=alternatives)[-1]
             for seed in range(40)}
    assert drawn == {"A", "C", "D"}


def test_a_word_becomes_one_of_its_form_that_a_failure_case_states_or_the_prompt_spells():
    alternatives = answer_alternatives("Find the weekday; state it as 'answer: <weekday>'.",
                                       ("```python\nprint(6)\n```\nAnswer: Saturday", "Answer: 6"))
    drawn = {stated_answer_changed(CODE + "Answer: Sunday", random.Random(seed), alternatives=alternatives)
             .rsplit(" ", 1)[1] for seed in range(20)}
    assert alternatives[0] == "Saturday" and drawn == {"Saturday", "Find"}


def test_a_word_with_no_alternative_of_its_form_has_its_letters_shifted_keeping_their_case():
    changed = stated_answer_changed(CODE + "Answer: Sunday", random.Random(0), alternatives=("tuesday", "X"))
    [word] = words(changed)
    assert word != "Sunday" and len(word) == 6 and word[0].isupper() and word[1:].islower()


def test_only_limits_the_words_changed_as_it_limits_the_numbers():
    reply = CODE + "Answer: Sunday, 20 July"
    changed = stated_answer_changed(reply, random.Random(0), only={"20"})
    assert changed is not None and "Answer: Sunday" in changed and " 20 July" not in changed


def test_a_stated_word_and_a_stated_number_both_change():
    changed = stated_answer_changed(CODE + "Answer: yes, after 385 steps", random.Random(0))
    assert changed is not None and "Answer: no" in changed and "385" not in changed


@pytest.mark.parametrize("word", ["São", "東京", "ω", "a9993e36"])
def test_a_word_of_any_script_or_with_digits_after_its_first_letter_is_stated_and_changes(word):
    """Red-team round 59 (D): ASCII letters alone were words, and every mutant of these references kept them."""
    reply = CODE + f"Answer: {word}"
    assert words(reply) == [word]
    changed = stated_answer_changed(reply, random.Random(0))
    assert changed is not None and not changed.endswith(word)
