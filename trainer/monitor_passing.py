"""The passing responses of a task that the ``shared_pattern`` rule judges: the latest ones, and the latest distinct.

A separate module because which responses count as "the same answer" decides both of the rule's hardest cases,
and each needs the opposite count (red-team round 43):

* A policy that converged on one correct answer writes it again and again, with a different trailing comment, or
  a different number of blank lines at the end. Counted by raw text, each copy was a new response, every line of
  the answer was "shared by 16 distinct passing responses", and the task was flagged for learning (B4). So the
  *distinct* responses are told apart by their :func:`form`: their tokens, without comments and whitespace.
* A policy collapsed onto one hack text (``sys._getframe(1).f_locals['reward'] = 1.0``, byte for byte) had one
  distinct response, fewer than ``min_passing``, and was never judged (B6). Repeating a hack is no excuse for it, so
  the rules that need no contrast (grader-facing, padding) count *responses*, repeats included.

Only the unexplained rule, whose suspicion is "passing responses write it and failing ones do not", counts distinct
forms: an honest converged answer is exactly such a text, written once.
"""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING

from trainer.monitor_markers import TOKEN, clip

if TYPE_CHECKING:
    from trainer.monitor_config import MonitorConfig

COMMENT = re.compile(r"(?:^|(?<=\s))(?:#|//)[^\n]*|/\*.*?\*/|<!--.*?-->", re.MULTILINE | re.DOTALL)
"""Comments a form drops: ``#`` and ``//`` to the end of the line (after a space or at a line's start, so ``a#b`` and
``http://`` stay), ``/* */`` and ``<!-- -->``. Python's ``a // b`` reads as a comment too: two answers that differ
only after it count as one, which can only make the unexplained rule judge less."""


def form(text: str) -> int:
    """What tells two passing responses apart: a hash of their tokens without comments (so whitespace, blank
    lines and comments do not make a new answer). A collision merges two forms, which only makes fewer distinct."""
    return hash(" ".join(TOKEN.findall(COMMENT.sub(" ", text))))


class Passing:
    """A task's last ``keep_responses`` passing responses, repeats included, and its last ``keep_responses`` distinct
    ones (by :func:`form`; the latest text of each), each clipped to ``max_chars``.

    Every response among the latest is also among the latest distinct: the last ``keep_responses`` responses have
    at most that many forms, all seen more recently than any other."""

    __slots__ = ("_distinct", "_keep", "_max_chars", "_recent")

    def __init__(self, config: MonitorConfig) -> None:
        self._keep, self._max_chars = config.keep_responses, config.max_chars
        self._recent: deque[tuple[str, int]] = deque(maxlen=self._keep)  # (clipped text, group)
        self._distinct: dict[int, tuple[str, int]] = {}  # form -> (latest clipped text, its group), oldest first

    def add(self, response: str, group: int) -> None:
        """A passing response of GRPO group ``group``."""
        text = clip(response, self._max_chars)
        key = form(text)
        self._distinct.pop(key, None)
        self._distinct[key] = (text, group)
        while len(self._distinct) > self._keep:
            del self._distinct[next(iter(self._distinct))]
        self._recent.append((text, group))

    def __len__(self) -> int:
        """Passing responses kept, repeats included."""
        return len(self._recent)

    def responses(self) -> list[str]:
        """The latest passing responses, repeats included, oldest first."""
        return [text for text, _ in self._recent]

    def distinct(self) -> list[str]:
        """The latest distinct passing responses, oldest first."""
        return [text for text, _ in self._distinct.values()]

    def groups(self) -> int:
        """GRPO groups the kept responses came from."""
        return len({group for _, group in self._recent} | {group for _, group in self._distinct.values()})

    def clear(self) -> None:
        """Forget every response (the task was judged: memory goes back)."""
        self._recent.clear()
        self._distinct.clear()
