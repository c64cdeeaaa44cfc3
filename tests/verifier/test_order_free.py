"""Loops and lists over a set that the static pass lets through because no visit order can change their outcome,
and the near misses it still flags (``verifier.order_free``). Helper review, round 28: the first two honest shapes
were rejected as nondeterministic."""

from __future__ import annotations

import pytest

from verifier.static_determinism import find_nondeterminism


def kinds(body: str) -> list[str]:
    source = "WORDS = {'apple', 'pear', 'plum'}\n\ndef verify(response):\n" + "".join(
        f"    {line}\n" for line in body.splitlines())
    return [f.kind for f in find_nondeterminism(source)]


ORDER_FREE = {
    "a loop that returns one constant on the first match": (
        "for word in WORDS:\n    if word in response.lower():\n        return 0.0\nreturn 1.0"),
    "a loop that sets a flag and stops": (
        "found = False\nfor word in WORDS:\n    if response.startswith(word):\n        found = True\n        break\n"
        "return 1.0 if found else 0.0"),
    "a loop that counts matches": (
        "hits = 0\nfor word in WORDS:\n    if word in response and len(word) > 3:\n        hits += 1\nreturn hits / 3"),
    "a list of the missing members read for emptiness": (
        "missing = [w for w in WORDS if w not in response]\nreturn 0.0 if missing else 1.0"),
    "a list of the missing members read for its length": (
        "missing = [w for w in WORDS if w not in response]\nreturn 1.0 - len(missing) / 3"),
}

ORDER_DEPENDENT = {
    "two different constants returned": (
        "for word in WORDS:\n    if word in response:\n        return 1.0\n    if word.startswith('p'):\n"
        "        return 0.0\nreturn 0.5"),
    "the loop variable read after the loop": (
        "for word in WORDS:\n    if word in response:\n        break\nreturn 1.0 if word == 'apple' else 0.0"),
    "a count that stops at a break": (
        "n = 0\nfor word in WORDS:\n    n += 1\n    if word in response:\n        break\nreturn n / 3"),
    "a helper called on each member": (
        "for word in WORDS:\n    if check(word):\n        return 0.0\nreturn 1.0"),
    "a conversion that raises for some members": (
        "for word in WORDS:\n    if int(word) > 0:\n        return 0.0\nreturn 1.0"),
    "the list printed": (
        "missing = [w for w in WORDS if w not in response]\nprint(missing)\nreturn 0.0 if missing else 1.0"),
    "the list indexed": (
        "missing = [w for w in WORDS if w not in response]\nreturn 1.0 if missing and missing[0] == 'a' else 0.0"),
    "a member searched for in the list": (
        "missing = [w for w in WORDS if w not in response]\nreturn 0.0 if SPY in missing else 1.0"),
    "the response rebound first": (
        "response = SPY\nfor word in WORDS:\n    if word in response:\n        return 0.0\nreturn 1.0"),
}

# Red-team round 28: a verifier recorded the order through code of its own run by a test that looked pure.
RECORDERS = {
    "a get method of its own class": (
        "class Recorder:\n    seen = []\n    def get(self, w):\n        self.seen.append(w)\n\nREC = Recorder()\n",
        "for w in WORDS:\n    if REC.get(w):\n        pass\nreturn 1.0 if REC.seen[0] == 'apple' else 0.0"),
    "an __eq__ that str comparison falls back to": (
        "class Spy:\n    seen = []\n    def __eq__(self, other):\n        Spy.seen.append(other)\n        return False\n"
        "SPY = Spy()\n",
        "for w in WORDS:\n    if w == SPY:\n        return 0.0\nreturn 1.0 if Spy.seen[0] == 'apple' else 0.0"),
    "a search method in a list of matches": (
        "class R:\n    seen = []\n    def search(self, w):\n        R.seen.append(w)\n        return True\n_r = R()\n",
        "hits = [_r.search(w) for w in WORDS if w in response]\nreturn 1.0 if len(hits) and R.seen[0] == 'apple' else 0.0"),
    "a set named once but rebuilt in a function": (
        "",
        "global WORDS\nWORDS = set(response.split())\nfor w in WORDS:\n    if w in response:\n        return 0.0\n"
        "return 1.0"),
    "builtins reached by name": (
        "import builtins\n",
        "for w in WORDS:\n    if len(w) > 3:\n        return 0.0\nreturn 1.0"),
}


@pytest.mark.parametrize("body", ORDER_FREE.values(), ids=ORDER_FREE.keys())
def test_a_set_visited_in_a_way_no_order_can_change_passes(body):
    assert kinds(body) == []


@pytest.mark.parametrize("body", ORDER_DEPENDENT.values(), ids=ORDER_DEPENDENT.keys())
def test_a_set_visited_in_a_way_its_order_can_change_is_flagged(body):
    assert "set_order" in kinds(body)


@pytest.mark.parametrize(("prelude", "body"), RECORDERS.values(), ids=RECORDERS.keys())
def test_a_test_that_could_run_the_verifiers_own_code_is_flagged(prelude, body):
    source = prelude + "WORDS = {'apple', 'pear', 'plum'}\n\ndef verify(response):\n" + "".join(
        f"    {line}\n" for line in body.splitlines())
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]


# Red-team round 58: honest tasks rejected because a regular expression (or a set of the response's own words) was
# taken for code of the verifier's.
REGEX_ORDER_FREE = {
    "a list of the missing members, words found by re.findall": (
        "import re\nREQUIRED = {'sunlight', 'carbon', 'oxygen'}\ndef verify(response):\n"
        "    words = re.findall(r\"[A-Za-z']+\", response.lower())\n"
        "    missing = [w for w in REQUIRED if w not in words]\n    return 0.0 if missing else 1.0\n"),
    "a loop that returns on the first member re.search finds": (
        "import re\nBANNED = {'cute', 'fluffy', 'adorable'}\ndef verify(response):\n    text = response.lower()\n"
        "    for word in BANNED:\n        if re.search(r'\\b' + word + r'\\b', text):\n            return 0.0\n"
        "    return 1.0\n"),
    "the same search as an f-string pattern": (
        "import re\nBANNED = {'cute', 'fluffy'}\ndef verify(response):\n    for word in BANNED:\n"
        "        if re.search(rf'\\b{word}\\b', response, re.IGNORECASE):\n            return 0.0\n    return 1.0\n"),
    "a search loop over set() of the response's words": (
        "import re\ndef verify(response):\n    words = re.findall(r'[A-Za-z]+', response)\n"
        "    for w in set(words):\n        if len(w) > 6:\n            return 0.0\n    return 1.0\n"),
    "a member of the response's words escaped into a pattern": (
        "import re\ndef verify(response):\n    for w in set(response.split()):\n"
        "        if re.search(re.escape(w) + r'\\s' + re.escape(w), response):\n            return 0.0\n"
        "    return 1.0\n"),
    "a module pattern compiled once, searched in the test": (
        "import re\nDIGITS = re.compile(r'\\d')\nWORDS = {'a1', 'b'}\ndef verify(response):\n"
        "    hits = [w for w in WORDS if DIGITS.search(w) and w in response]\n    return float(len(hits))\n"),
    "a dict of counts keyed by the members, read through all() of its values": (
        "WORDS = {'alpha', 'beta', 'gamma'}\ndef verify(response):\n    tokens = response.lower().split()\n"
        "    cleaned = [t.strip('.,;:!?') for t in tokens]\n    counts = {w: cleaned.count(w) for w in WORDS}\n"
        "    return 1.0 if all(v == 1 for v in counts.values()) else 0.0\n"),
}

REGEX_ORDER_DEPENDENT = {
    "a member that is not a valid pattern": (
        "import re\nBANNED = {'a(', 'b'}\ndef verify(response):\n    for w in BANNED:\n"
        "        if re.search(w, response):\n            return 0.0\n    return 1.0\n"),
    "a member inside a quantified group (it may backtrack for minutes)": (
        "import re\nBANNED = {'a+', 'b'}\ndef verify(response):\n    for w in BANNED:\n"
        "        if re.search('(' + w + ')+$', response):\n            return 0.0\n    return 1.0\n"),
    "an unescaped member of the response's words as a pattern": (
        "import re\ndef verify(response):\n    for w in set(response.split()):\n"
        "        if re.search(w, response):\n            return 0.0\n    return 1.0\n"),
    "re.sub in a test (its replacement can fail)": (
        "import re\nBANNED = {'a', 'b'}\ndef verify(response):\n    for w in BANNED:\n"
        "        if re.sub(w, '\\\\9', response):\n            return 0.0\n    return 1.0\n"),
    "re rebound to an object of the verifier's": (
        "import re\nclass Spy:\n    seen = []\n    def search(self, p, s):\n        Spy.seen.append(p)\n"
        "re = Spy()\nBANNED = {'a', 'b'}\ndef verify(response):\n    for w in BANNED:\n"
        "        if re.search(w, response):\n            return 0.0\n    return 1.0 if Spy.seen[0] == 'a' else 0.0\n"),
    "a set of words a helper of the verifier's made": (
        "def split(text):\n    return text.split()\ndef verify(response):\n    for w in set(split(response)):\n"
        "        if w == 'x':\n            return 0.0\n    return 1.0\n"),
    "a dict keyed by something other than the member": (
        "WORDS = {'A', 'a'}\ndef verify(response):\n    seen = {w.lower(): w for w in WORDS}\n"
        "    return 1.0 if all(v == 'a' for v in seen.values()) else 0.0\n"),
    "a dict of counts read in order": (
        "WORDS = {'a', 'b'}\ndef verify(response):\n    counts = {w: response.count(w) for w in WORDS}\n"
        "    return 1.0 if list(counts.values())[0] else 0.0\n"),
}


@pytest.mark.parametrize("source", REGEX_ORDER_FREE.values(), ids=REGEX_ORDER_FREE.keys())
def test_a_regex_or_a_set_of_the_responses_words_visited_in_an_order_free_way_passes(source):
    assert find_nondeterminism(source) == ()


@pytest.mark.parametrize("source", REGEX_ORDER_DEPENDENT.values(), ids=REGEX_ORDER_DEPENDENT.keys())
def test_a_regex_or_a_set_whose_visit_order_can_change_the_outcome_is_flagged(source):
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]


def test_a_parameter_named_like_a_module_constant_is_not_that_constant():
    """``def f(WORDS)`` may be handed a set of objects that record the order they are compared in."""
    source = ("WORDS = {'a', 'b'}\ndef check(WORDS):\n    for w in WORDS:\n        if w == 'a':\n"
              "            return 0.0\n    return 1.0\ndef verify(response):\n    return check(set(response))\n")
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]


def test_a_builtin_that_a_list_is_read_through_must_not_be_the_verifiers_own():
    source = ("def len(xs):\n    return float(list(xs)[0] == 'a')\nWORDS = {'a', 'b'}\ndef verify(response):\n"
              "    missing = [w for w in WORDS if w not in response]\n    return len(missing)\n")
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]


SPY = ("class Spy:\n    seen = []\n    def __hash__(self):\n        return 1\n    def __eq__(self, other):\n"
       "        Spy.seen.append(other)\n        return False\n")
FILLED = {
    "a local list filled by append": (
        "import re\n" + SPY + "def verify(response):\n    words = re.findall(r'\\w+', response)\n"
        "    words.append(Spy())\n    for w in set(words):\n        if w == 'x':\n            return 0.0\n"
        "    return 1.0 if Spy.seen[:1] == ['a'] else 0.0\n"),
    "a module list filled at module level": (
        SPY + "WORDS = ['a', 'b']\nWORDS.append(Spy())\ndef verify(response):\n    for w in set(WORDS):\n"
        "        if w == response:\n            return 0.0\n    return 1.0\n"),
    "a set filled by add": (
        SPY + "def verify(response):\n    S = set(response.split())\n    S.add(Spy())\n    for w in S:\n"
        "        if w == 'x':\n            return 0.0\n    return 1.0\n"),
    "a list filled through an alias": (
        SPY + "def verify(response):\n    words = response.split()\n    alias = words\n    alias.append(Spy())\n"
        "    for w in set(words):\n        if w == 'x':\n            return 0.0\n    return 1.0\n"),
    "a list filled by a library function": (
        "import heapq\n" + SPY + "def verify(response):\n    words = response.split()\n"
        "    heapq.heappush(words, Spy())\n    for w in set(words):\n        if w == 'x':\n            return 0.0\n"
        "    return 1.0\n"),
    "a list filled by a function of the module": (
        SPY + "def fill(xs):\n    xs.append(Spy())\ndef verify(response):\n    words = response.split()\n"
        "    fill(words)\n    for w in set(words):\n        if w == 'x':\n            return 0.0\n    return 1.0\n"),
    "a list filled by a lambda handed to map": (
        SPY + "def verify(response):\n    words = response.split()\n"
        "    list(map(lambda xs: xs.append(Spy()), [words]))\n    for w in set(words):\n        if w == 'x':\n"
        "            return 0.0\n    return 1.0\n"),
    "a list filled by a slice assignment": (
        SPY + "def verify(response):\n    words = response.split()\n    words[0:0] = [Spy()]\n"
        "    for w in set(words):\n        if w == 'x':\n            return 0.0\n    return 1.0\n"),
    "a stored member changed through the container": (
        SPY + "ROWS = [['a'], ['b']]\ndef verify(response):\n    box = []\n    box.append(ROWS[0])\n"
        "    for row in box:\n        row.append(Spy())\n    for w in set(ROWS[0]):\n        if w == 'x':\n"
        "            return 0.0\n    return 1.0\n"),
    "a module list filled through a function's result": (
        SPY + "WORDS = ['a', 'b']\ndef get():\n    return WORDS\ndef verify(response):\n    get().append(Spy())\n"
        "    for w in set(WORDS):\n        if w == response:\n            return 0.0\n    return 1.0\n"),
}


@pytest.mark.parametrize("source", FILLED.values(), ids=FILLED.keys())
def test_a_container_the_module_may_fill_with_its_own_objects_gives_no_exemption(source):
    """Red-team round 58: a trusted container filled with a recording object (``words.append(SPY)``) recorded the
    order a set of it was visited in, unflagged (validator 1.21: :mod:`verifier.changed_in_place`)."""
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]


UNCHANGED = {
    "a list handed to a helper that only reads it": (
        "REQUIRED = {'a', 'b'}\ndef count(xs):\n    return len(xs)\ndef verify(response):\n"
        "    words = response.split()\n    if count(words) > 50:\n        return 0.0\n"
        "    missing = [w for w in REQUIRED if w not in words]\n    return 0.0 if missing else 1.0\n"),
    "the response handed to json.loads": (
        "import json\nBANNED = {'a', 'b'}\ndef verify(response):\n    json.loads(response)\n"
        "    for w in BANNED:\n        if w in response:\n            return 0.0\n    return 1.0\n"),
    "lowered text handed to a library function": (
        "import textwrap\nBANNED = {'a', 'b'}\ndef verify(response):\n    text = response.lower()\n"
        "    textwrap.shorten(text, 10)\n    for w in BANNED:\n        if w in text:\n            return 0.0\n"
        "    return 1.0\n"),
    "a tuple constant handed to a library function": (
        "import json\nWORDS = ('a', 'b')\ndef verify(response):\n    json.dumps(WORDS)\n"
        "    for w in set(WORDS):\n        if w in response:\n            return 0.0\n    return 1.0\n"),
}


@pytest.mark.parametrize("source", UNCHANGED.values(), ids=UNCHANGED.keys())
def test_a_container_nothing_can_fill_keeps_its_exemption(source):
    assert find_nondeterminism(source) == ()


ROUND_59_ORDER_FREE = {
    "a list of missing members tested inside an or": (
        "REQUIRED = {'a', 'b'}\ndef verify(response):\n    words = response.split()\n"
        "    missing = [w for w in REQUIRED if w not in words]\n"
        "    if missing or not 2 <= len(words) <= 40:\n        return 0.0\n    return 1.0\n"),
    "a dict of counts tested inside an and": (
        "WORDS = {'alpha', 'beta'}\ndef verify(response):\n    counts = {w: response.count(w) for w in WORDS}\n"
        "    return 1.0 if counts and all(v <= 4 for v in counts.values()) else 0.0\n"),
    "a score taken down by one constant": (
        "BANNED = {'a', 'b'}\ndef verify(response):\n    score = 1.0\n    for w in BANNED:\n"
        "        if w in response:\n            score -= 0.5\n    return max(score, 0.0)\n"),
    "a loop whose variable shares its name with a comprehension's before it": (
        "REQUIRED = {'shell', 'tide'}\ndef verify(response):\n"
        "    words = [w.strip('.,') for w in response.lower().split()]\n    score = 1.0\n    for w in REQUIRED:\n"
        "        if w not in words:\n            score -= 0.5\n    return max(score, 0.0)\n"),
    "an integer total of lengths": (
        "import re\ndef verify(response):\n    total = 0\n    for w in set(re.findall(r'\\w+', response)):\n"
        "        total += len(w)\n    return 1.0 if total > 20 else 0.0\n"),
    "a loop that appends the missing members to a list read for emptiness": (
        "REQUIRED = {'shell', 'tide', 'gull'}\ndef verify(response):\n    words = response.lower().split()\n"
        "    missing = []\n    for w in REQUIRED:\n        if w not in words:\n            missing.append(w)\n"
        "    return 0.0 if missing else 1.0 - len(missing) / 3\n"),
    "the largest of a dict's integer counts": (
        "def verify(response):\n    letters = [c for c in response.lower() if c.isalpha()]\n"
        "    counts = {c: letters.count(c) for c in set(letters)}\n"
        "    return 1.0 if counts and max(counts.values()) <= 4 and sum(counts.values()) > 8 else 0.0\n"),
    "re.search with flags as a keyword": (
        "import re\nBANNED = {'cute', 'fluffy'}\ndef verify(response):\n"
        "    if any(re.search(r'\\b' + re.escape(b) + r'\\b', response, flags=re.I) for b in BANNED):\n"
        "        return 0.0\n    return 1.0\n"),
}
ROUND_59_ORDER_DEPENDENT = {
    "a list of missing members returned through an or": (
        "REQUIRED = {'a', 'b'}\ndef verify(response):\n    missing = [w for w in REQUIRED if w not in response]\n"
        "    first = missing or ['x']\n    return 1.0 if first[0] == 'a' else 0.0\n"),
    "floats of two sizes added in visit order": (
        "WORDS = {'a', 'b', 'c'}\ndef verify(response):\n    score = 0.0\n    for w in WORDS:\n"
        "        if w in response:\n            score += 0.1\n        else:\n            score += 0.2\n"
        "    return 1.0 if score == 0.6 else 0.0\n"),
    "re.split with flags as a keyword (read as its maxsplit)": (
        "import re\nWORDS = {'a', 'b'}\ndef verify(response):\n"
        "    return float(all(re.split(w, response, flags=re.I) for w in WORDS))\n"),
    "a list appended to in visit order, its first member read": (
        "REQUIRED = {'a', 'b'}\ndef verify(response):\n    missing = []\n    for w in REQUIRED:\n"
        "        if w not in response:\n            missing.append(w)\n    return 1.0 if missing[0] == 'a' else 0.0\n"),
    "a list appended to until a break": (
        "REQUIRED = {'a', 'b', 'c'}\ndef verify(response):\n    seen = []\n    for w in REQUIRED:\n"
        "        seen.append(w)\n        if w in response:\n            break\n    return len(seen) / 3\n"),
    "a list appended to that held members before": (
        "REQUIRED = {'a', 'b'}\ndef verify(response):\n    missing = ['z']\n    for w in REQUIRED:\n"
        "        missing.append(w)\n    return 1.0 if missing else 0.0\n"),
    "a list appended to outside the loop too": (
        "REQUIRED = {'a', 'b'}\ndef verify(response):\n    missing = []\n    for w in REQUIRED:\n"
        "        if w not in response:\n            missing.append(w)\n    missing.append('z')\n"
        "    return 1.0 if len(missing) > 1 else 0.0\n"),
    "a call of the verifier's own appended": (
        "SEEN = []\ndef note(w):\n    SEEN.append(w)\n    return w\nREQUIRED = {'a', 'b'}\n"
        "def verify(response):\n    missing = []\n    for w in REQUIRED:\n        missing.append(note(w))\n"
        "    return 1.0 if SEEN[0] == 'a' and missing else 0.0\n"),
    "the largest of a dict's float values (NaN and -0.0 tie in visit order)": (
        "def verify(response):\n    letters = [c for c in response.lower() if c.isalpha()]\n"
        "    counts = {c: letters.count(c) / 2 for c in set(letters)}\n"
        "    return 1.0 if max(counts.values()) <= 2 else 0.0\n"),
    "a keyword other than flags": (
        "import re\nWORDS = {'a', 'b'}\ndef verify(response):\n"
        "    return float(all(re.search(w, string=response) for w in WORDS))\n"),
}


@pytest.mark.parametrize("source", ROUND_59_ORDER_FREE.values(), ids=ROUND_59_ORDER_FREE.keys())
def test_round_59_s_honest_shapes_over_a_set_pass(source):
    """Red-team round 59 (D): each rejected as nondeterministic 3 of 3 times, while its plainer twin passed."""
    assert find_nondeterminism(source) == ()


@pytest.mark.parametrize("source", ROUND_59_ORDER_DEPENDENT.values(), ids=ROUND_59_ORDER_DEPENDENT.keys())
def test_the_near_misses_of_round_59_s_shapes_are_still_flagged(source):
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]
