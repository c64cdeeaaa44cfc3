"""Environment validation: good environments admitted, broken ones rejected with the right reason."""

from __future__ import annotations

import pytest

from task_bank.environment import EnvironmentSpec
from task_bank.validation import Reason

from .conftest import CART, cart_spec, example_specs

FAMILY = CART + '''
    def solve(self) -> dict:
        return {"calls": [{"tool": "add", "args": {"name": "apple", "qty": 2}}], "response": str(2 * self.price)}
'''


@pytest.mark.parametrize("spec", example_specs(), ids=lambda s: s.metadata["skill"])
def test_every_shipped_example_is_admitted(validator, spec):
    verdict = validator.validate(spec)
    assert verdict.report.admitted, verdict.report.checks


def test_the_reference_replay_is_kept_with_each_observation(validator):
    verdict = validator.validate(cart_spec())
    reference = verdict.evidence.reference
    assert reference.observation.value.startswith("apples cost ")
    assert reference.steps[0].value == {"apple": 2} and reference.score.score == 1.0


def test_a_seeded_family_is_solved_on_eight_seeds(validator):
    verdict = validator.validate(cart_spec(FAMILY))
    assert verdict.report.admitted, verdict.report.checks
    assert [s.seed for s in verdict.evidence.seeds] == list(range(1, 9))
    assert all(s.score == 1.0 for s in verdict.evidence.seeds)


def test_unseeded_randomness_is_rejected_as_nondeterministic(validator):
    source = CART.replace("random.Random(seed).randrange(1, 9)", "random.randrange(1, 9)")
    assert Reason.NONDETERMINISTIC in validator.validate(cart_spec(source)).report.reasons


def test_state_shared_between_instances_is_rejected(validator):
    source = CART.replace("        self.items = {}\n", "").replace('    """A cart."""\n',
                                                                   '    """A cart."""\n    items = {}\n')
    assert Reason.SHARED_STATE in validator.validate(cart_spec(source)).report.reasons


def test_a_reference_that_fails_is_rejected_as_unsolvable(validator):
    spec = cart_spec(reference_calls=[{"tool": "add", "args": {"name": "apple", "qty": 3}}])
    assert validator.validate(spec).report.reasons == (Reason.UNSOLVABLE,)


def test_a_failure_case_that_passes_is_rejected(validator):
    reference = cart_spec().reference
    spec = cart_spec(failure_calls=[c.model_dump() for c in reference.calls], failure_response=reference.response
                     + " ")
    spec = spec.model_copy(update={"environment": spec.environment.replace("response ==", "response.strip() ==")})
    assert Reason.FAILURE_CASE_PASSES in validator.validate(EnvironmentSpec.model_validate(
        spec.model_dump() | {"id": ""})).report.reasons


def test_a_constant_score_is_rejected(validator):
    source = CART.replace('return 1.0 if self.items == {"apple": 2} and response == str(2 * self.price) else 0.0',
                          "return 1.0")
    reasons = validator.validate(cart_spec(source)).report.reasons
    assert Reason.CONSTANT_SCORE in reasons and Reason.TRIVIAL in reasons


def test_a_hanging_tool_is_rejected_as_tool_timeout(validator):
    source = CART.replace("        if name != \"apple\":", "        while qty > 1:\n            pass\n"
                                                            "        if name != \"apple\":")
    assert Reason.TOOL_TIMEOUT in validator.validate(cart_spec(source)).report.reasons


def test_a_reference_calling_a_missing_tool_is_a_schema_error(validator):
    spec = cart_spec(reference_calls=[{"tool": "buy", "args": {}}])
    assert validator.validate(spec).report.reasons == (Reason.SCHEMA,)


def test_a_source_that_does_not_parse_is_a_verifier_error(validator):
    assert validator.validate(cart_spec("class Env(:\n")).report.reasons == (Reason.VERIFIER_ERROR,)


def test_a_family_whose_seeds_all_look_alike_is_seed_insensitive(validator):
    source = FAMILY.replace('return f"apples cost {self.price}"', 'return "apples are for sale"')
    assert Reason.SEED_INSENSITIVE in validator.validate(cart_spec(source)).report.reasons


def test_a_family_whose_seeds_differ_only_in_what_a_tool_shows_is_admitted(validator):
    # Round 28: 14 of 50 honest families kept their seeded state behind tools and greeted every seed alike.
    source = FAMILY.replace('return f"apples cost {self.price}"', 'return "apples are for sale"') + \
        '\n    def price_list(self) -> dict:\n        """What an apple costs."""\n        return {"apple": self.price}\n'
    source = source.replace('return {"calls": [{"tool": "add"', 'return {"calls": [{"tool": "price_list", "args": {}}, {"tool": "add"')
    verdict = validator.validate(cart_spec(source))
    assert verdict.report.admitted, [c for c in verdict.report.checks if c.passed is False]


def test_a_family_whose_solve_is_wrong_is_unsolvable(validator):
    source = FAMILY.replace('"response": str(2 * self.price)', '"response": "0"')
    assert Reason.UNSOLVABLE in validator.validate(cart_spec(source)).report.reasons


def test_observations_that_depend_on_the_hash_seed_are_nondeterministic(validator):
    # hidden from the static pass behind getattr: only the fresh interpreters expose it
    source = CART.replace('return f"apples cost {self.price}"',
                          'return f"apples cost {self.price} " + str(getattr(__import__("builtins"), "ha" + "sh")("x") % 97)')
    report = validator.validate(cart_spec(source)).report
    assert Reason.NONDETERMINISTIC in report.reasons
    assert any(c.name == "determinism" and c.passed is False for c in report.checks)


def test_a_reference_longer_than_max_turns_is_a_schema_error(validator):
    one = {"tool": "add", "args": {"name": "apple", "qty": 1}}
    spec = cart_spec(reference_calls=[one, one]).model_copy(update={"metadata": {"max_turns": 1}})
    assert validator.validate(spec).report.reasons == (Reason.SCHEMA,)


def test_a_score_of_the_wrong_type_is_a_verifier_error_and_nothing_else(validator):
    """QA round 22: an int score made every replay invalid, and the shared-state probe then blamed shared state
    too ("score 0 vs 0"). The reference check says why; the detail says how to mend it."""
    source = CART.replace("return 1.0 if self.items", "return 1 if self.items").replace("else 0.0\n", "else 0\n")
    report = validator.validate(cart_spec(source)).report
    assert report.reasons == (Reason.VERIFIER_ERROR,)
    assert "return float(...)" in next(c.detail for c in report.checks if c.name == "reference")
