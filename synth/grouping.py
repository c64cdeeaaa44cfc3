"""Grouping: failures that share a weakness become one group, so one weakness yields diverse tasks, not copies.

Two failures join the same group when either holds:

* they carry the same primary tag (the first entry of ``tags``; loaders and users put the skill there), or
* their user text is a near-duplicate: MinHash over word 1- and 2-grams with every number read as ``#`` (the
  same question with other numbers is the same weakness), estimated Jaccard similarity at or above
  ``threshold`` (datasketch ``MinHashLSH``).

Joining is transitive (union-find). Groups come out in the order of their first member in the input, members in
input order; a group's id hashes its sorted member ids, so the same failures always give the same group id.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH
from pydantic import BaseModel, ConfigDict, Field

from task_bank.errors import ConfigError
from task_bank.failure import FailureRecord
from task_bank.spec import content_hash

_WORD = re.compile(r"[a-z0-9]+")


class FailureGroup(BaseModel):
    """Failures that share one weakness."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """``g_`` + 12 hex digits of the hash of the sorted member ids."""
    member_ids: tuple[str, ...] = Field(min_length=1)
    """Failure ids in input order; the first is the group's representative."""
    tags: tuple[str, ...] = ()
    """Tags carried by any member, most common first."""
    label: str = ""
    """Short human label: the most common tag, else the start of the representative's user text."""


def group_id(member_ids: Sequence[str]) -> str:
    """The stable id of a group with these members."""
    return "g_" + content_hash(sorted(member_ids))[:12]


def _shingles(text: str) -> set[str]:
    words = ["#" if w.isdigit() else w for w in _WORD.findall(text.lower())]
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


def _minhash(text: str, num_perm: int) -> MinHash:
    mh = MinHash(num_perm=num_perm, seed=1)
    for shingle in sorted(_shingles(text)):
        mh.update(shingle.encode("utf-8"))
    return mh


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


LSH_CANDIDATE_CEILING = 0.9
"""The highest threshold datasketch's LSH is asked for; stricter grouping filters its candidates exactly."""


def group_failures(failures: Sequence[FailureRecord], *, threshold: float = 0.5, num_perm: int = 128,
                   use_tags: bool = True) -> list[FailureGroup]:
    """Cluster ``failures`` into weakness groups (see the module docstring for the rule)."""
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"group threshold must be in (0, 1], got {threshold}", field="group_threshold")
    uf = _UnionFind(len(failures))
    if use_tags:
        first_with_tag: dict[str, int] = {}
        for i, f in enumerate(failures):
            if f.tags:
                uf.union(first_with_tag.setdefault(f.tags[0], i), i)
    # datasketch cannot pick bands above ~0.9 ("b < 2"); LSH only proposes candidates and the exact Jaccard test
    # below decides, so a lower candidate threshold keeps every pair a stricter one would join.
    lsh = MinHashLSH(threshold=min(threshold, LSH_CANDIDATE_CEILING), num_perm=num_perm)
    hashes = [_minhash(f.user_text, num_perm) for f in failures]
    for i, mh in enumerate(hashes):
        if not _shingles(failures[i].user_text):
            continue
        for j in lsh.query(mh):
            if mh.jaccard(hashes[j]) >= threshold:
                uf.union(i, j)
        lsh.insert(i, mh)
    members: dict[int, list[int]] = {}
    for i in range(len(failures)):
        members.setdefault(uf.find(i), []).append(i)
    groups = []
    for root in sorted(members):
        idx = members[root]
        tag_counts = Counter(t for i in idx for t in failures[i].tags)
        tags = tuple(t for t, _ in sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0])))
        label = tags[0] if tags else " ".join(failures[idx[0]].user_text.split()[:6])
        ids = tuple(failures[i].id for i in idx)
        groups.append(FailureGroup(id=group_id(ids), member_ids=ids, tags=tags, label=label))
    return groups
