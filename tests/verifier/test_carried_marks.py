"""The reference carrying a failure case's comments and docstrings (validator 1.45): the program validation scores
where a case that ended every call as the reference did was paid less than its copy without them. An honest verifier
that failed the case for its text fails this program too; one that failed it for what no run reports (its time) pays
its own reference in full."""

from __future__ import annotations

import ast

from verifier.carried_marks import carried, mark_texts
from verifier.unmarked import bare_code

REFERENCE = ("import re\n\n\ndef check_username(name):\n    \"\"\"Refuse a bad username.\"\"\"\n"
             "    if not re.fullmatch(r'[a-z]{3,12}', name):\n        raise ValueError('bad username: %r' % (name,))\n"
             "    return None\n")
CASE = ("# house rules v3\nimport re\n\n\ndef check_username(name):\n    \"\"\"Check it. TODO: digits.\"\"\"\n"
        "    # FIXME: unicode\n    if not re.fullmatch(r'[a-z]+', name):  # TODO: length\n"
        "        raise ValueError(name)\n")


def test_the_result_is_the_references_program():
    assert bare_code(carried(REFERENCE, CASE)) == bare_code(REFERENCE)


def test_a_functions_docstring_takes_the_place_of_the_references():
    tree = ast.parse(carried(REFERENCE, CASE))
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef))
    assert ast.get_docstring(function) == "Check it. TODO: digits."


def test_comments_keep_their_function_and_whether_they_trail_a_statement():
    lines = carried(REFERENCE, CASE).splitlines()
    assert lines[0] == "# house rules v3"
    assert "    # FIXME: unicode" in lines
    assert any(line.endswith("  # TODO: length") and line.strip().startswith("raise") for line in lines)


def test_marks_of_a_function_the_reference_lacks_close_the_module():
    case = CASE + "\n\ndef helper():\n    \"\"\"TODO: remove\"\"\"\n    return 1  # scratch\n"
    text = carried(REFERENCE, case)
    assert text.rstrip().endswith("# scratch") and '"""TODO: remove"""' in text
    assert bare_code(text) == bare_code(REFERENCE)


def test_prose_around_the_cases_code_stays_around_the_references():
    text = carried("```python\n" + REFERENCE + "```\n", "Here it is:\n```python\n" + CASE + "```\nTODO: tests.\n")
    assert text.startswith("Here it is:\n```python\n# house rules v3\n") and text.endswith("```\nTODO: tests.\n")


def test_a_case_without_marks_carries_nothing():
    assert carried(REFERENCE, "def check_username(name):\n    return None\n") is None


def test_a_reference_whose_docstring_shares_a_line_with_code_is_not_carried_onto():
    reference = "def check_username(name):\n    \"\"\"Refuse.\"\"\"; return None\n"
    assert carried(reference, CASE) is None


def test_prose_after_unfenced_code_keeps_the_whole_of_the_references_code():
    """The session-53 read: without a blank line before the prose, the reference's code was read up to its first
    blank line only (``_check``), and the carried text's call of ``f`` failed."""
    reference = "def _check(x):\n    if not x:\n        raise ValueError('bad')\n\n\ndef f(x):\n    _check(x)\n"
    text = carried(reference, "Here:\n" + reference.replace("_check(x)\n", "_check(x)  # TODO\n") + "\nThat is all.\n")
    assert bare_code(text) == bare_code(reference) and text.endswith("\n\nThat is all.\n")


def test_a_comment_is_not_anchored_to_a_line_inside_a_string():
    """The session-53 read: the case's line ``x = 1`` also stood in the reference's docstring, and the ``TODO`` went
    into it, where it is no comment."""
    reference = 'def f():\n    """Example:\n    x = 1\n    """\n    x = 1\n    return None\n'
    text = carried(reference, "def f():\n    # TODO: more\n    x = 1\n    return None\n")
    assert text.index("    # TODO: more\n") > text.index('    """\n')


def test_a_function_whose_body_shares_its_headers_line_is_not_carried_onto():
    assert carried("def f(x): return None\n", 'def f(x):\n    """TODO doc"""\n    return None\n') is None


def test_only_the_marks_kept_are_carried():
    """Since 1.46 (``verifier.sinking_marks``): marks numbered as ``mark_texts`` lists them, comments first."""
    texts = mark_texts(CASE)
    assert texts[2] == "# TODO: length"
    text = carried(REFERENCE, CASE, keep={2})
    assert "# TODO: length" in text and "FIXME" not in text and "house rules" not in text
    assert bare_code(text) == bare_code(REFERENCE)


def test_prose_is_left_out_where_asked():
    text = carried(REFERENCE, "Here it is:\n```python\n" + CASE + "```\nTODO: tests.\n", prose=False)
    assert text.startswith("```python\n# house rules v3\n") and "TODO: tests" not in text


def test_a_comment_trailing_a_one_line_header_goes_back_to_it():
    reference = "def f(xs):\n    for x in xs:\n        print(x)\n"
    text = carried(reference, "def f(xs):\n    for x in xs:  # TODO: sort\n        print(x)\n")
    assert "    for x in xs:  # TODO: sort\n" in text


def test_a_comment_trailing_a_header_over_several_lines_trails_the_first_statement():
    reference = "def f(xs):\n    for x in (1,\n              2):\n        print(x)\n"
    text = carried(reference, "def f(xs):\n    for x in (1,\n              2):  # TODO\n        print(x)\n")
    assert "        print(x)  # TODO\n" in text and bare_code(text) == bare_code(reference)


def test_a_comment_trailing_a_module_level_header_goes_back_to_it():
    reference = "import sys\n\nfor a in sys.argv:\n    print(a)\n"
    text = carried(reference, "import sys\n\nfor a in sys.argv:  # TODO: sort\n    print(a)\n")
    assert "for a in sys.argv:  # TODO: sort\n" in text


def test_without_its_prose_the_result_is_still_the_references_program():
    """The session-54 read's ``F3``: a reference fenced with four backticks, a line of three in its string, framed
    anew in three had no code left."""
    reference = "````python\ndef f():\n    return '''\n```\n'''\n````\n"
    text = carried(reference, "Here:\n```python\ndef f():\n    # TODO\n    return 1\n```\n", prose=False)
    assert text is None or bare_code(text) == bare_code(reference)
