"""``--help`` of the bank, verifier and trainer commands: every option explains itself and shows its default,
every subcommand has a description, and nothing in it is markup a terminal shows as noise."""

from __future__ import annotations

import argparse
import importlib

import pytest

PARSERS = ("task_bank.cli", "verifier.cli", "trainer.grpo", "trainer.tiny_model")


def _parsers(module: str) -> list[tuple[str, argparse.ArgumentParser]]:
    root = importlib.import_module(module).build_parser()
    found = [(root.prog, root)]
    for action in root._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [(f"{root.prog} {name}", parser) for name, parser in action.choices.items()]
    return found


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


@pytest.mark.parametrize("module", PARSERS)
def test_every_option_has_help_that_names_its_default(module):
    missing = [f"{prog} {'/'.join(a.option_strings)}" for prog, parser in _parsers(module) for a in _options(parser)
               if not a.help or not ("default" in a.help or "required" in a.help or a.required)]
    assert missing == []


@pytest.mark.parametrize("module", PARSERS)
def test_every_subcommand_has_a_description(module):
    bare = [prog for prog, parser in _parsers(module) if not parser.description]
    assert bare == []


@pytest.mark.parametrize("module", PARSERS)
def test_help_has_no_restructuredtext_markup(module):
    assert all("``" not in parser.format_help() for _, parser in _parsers(module))


def test_import_file_says_its_format():
    (importer,) = [p for prog, p in _parsers("task_bank.cli") if prog.endswith(" import")]
    (file_arg,) = [a for a in importer._actions if a.dest == "file"]
    assert "task spec v1" in file_arg.help and "per line" in file_arg.help
