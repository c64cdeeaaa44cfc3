"""Duplicate detection on admission: exact content, verifier code up to names, and near-duplicate prompts.

A new task is compared with the tasks the bank holds on purpose, strictest key first: admitted ones, and also
retired (mastered: a copy teaches nothing) and quarantined ones (set aside by a reviewer: a regenerated copy must not
slip back in). Candidates and rejected tasks are not matched.

- **exact**: the hash of the canonical content (prompt, verifier, reference, failure cases), i.e. the derived id.
- **verifier_ast**: verifier code equal up to names, comments, docstrings and layout (``task_bank.fingerprint``):
  a cheap skeleton finds candidates through an index, the exact bytecode fingerprint confirms them and is cached
  in the row, so most tasks are never compiled.
- **near_prompt**: MinHash of the prompt's word 3-grams (``task_bank.minhash``), with the LSH band keys stored in
  the table ``lsh_band``, so the index lives in the bank file, survives reopening and needs no RAM; candidates
  are confirmed against their stored signature.

The matching task's id and the kind are recorded on the duplicate; nothing is dropped.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field

from task_bank.fingerprint import verifier_fingerprint, verifier_skeleton
from task_bank.minhash import Banding, band_keys, signatures, similarity
from task_bank.records import ONCE_ADMITTED, DuplicateKind
from task_bank.spec import TaskSpec

MAX_VERIFIER_CANDIDATES = 50
"""Skeleton matches compiled per new task at most (bounds the cost of a pathological skeleton collision)."""


class DedupConfig(BaseModel):
    """Settings of near-duplicate detection; the banding is fixed when a bank is created."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    near_threshold: float = Field(default=0.85, gt=0.0, le=1.0)
    """Estimated Jaccard similarity of prompt shingles at or above which two prompts are near duplicates."""
    num_perm: int = Field(default=64, ge=8, le=512)
    """MinHash permutations; 64 keeps signatures at 256 bytes and hashing fast."""
    shingle_words: int = Field(default=3, ge=1, le=8)
    """Words per shingle."""


@dataclass(frozen=True, slots=True)
class DedupKeys:
    """The dedup keys of one task, computed before its write transaction starts."""

    content_hash: str
    """Exact key: hash of the canonical content."""
    verifier: str
    """The verifier source, for the exact fingerprint when a skeleton matches."""
    verifier_skeleton: str
    """Cheap verifier key (see ``task_bank.fingerprint``)."""
    verifier_hash: str | None
    """Exact verifier fingerprint, when it has been computed (None before, or for code that does not compile)."""
    signature: bytes
    """MinHash signature of the prompt shingles (uint32 little-endian, ``num_perm`` values)."""
    band_keys: tuple[int, ...]
    """One signed 64-bit key per LSH band."""


MATCHED_STATUSES = "(" + ", ".join(f"'{status.value}'" for status in sorted(ONCE_ADMITTED)) + ")"
"""Statuses a new task is compared against, :data:`~task_bank.records.ONCE_ADMITTED` (an SQL tuple literal built
from the enum; never user input)."""


@dataclass(frozen=True, slots=True)
class Match:
    """The task (admitted, retired or quarantined) a new one duplicates, and how."""

    task_id: str
    kind: DuplicateKind


def compute_keys(specs: list[TaskSpec], config: DedupConfig, banding: Banding) -> list[DedupKeys]:
    """Dedup keys of a batch of specs (one vectorised MinHash pass for the whole batch)."""
    sigs = signatures([s.prompt_text for s in specs], config.num_perm, config.shingle_words)
    return [DedupKeys(content_hash=spec.content_id, verifier=spec.verifier,
                      verifier_skeleton=verifier_skeleton(spec.verifier), verifier_hash=None,
                      signature=sig.astype("<u4").tobytes(), band_keys=band_keys(sig, banding))
            for spec, sig in zip(specs, sigs)]


def _verifier_match(conn: sqlite3.Connection, keys: DedupKeys, exclude_id: str | None) -> tuple[Match | None,
                                                                                                 DedupKeys]:
    rows = conn.execute("SELECT pk, id, verifier, verifier_hash FROM tasks WHERE verifier_skeleton = ? "
                        f"AND status IN {MATCHED_STATUSES} AND id IS NOT ? ORDER BY pk LIMIT ?",
                        (keys.verifier_skeleton, exclude_id, MAX_VERIFIER_CANDIDATES)).fetchall()
    if not rows:
        return None, keys
    mine = keys.verifier_hash or verifier_fingerprint(keys.verifier)
    keys = replace(keys, verifier_hash=mine)
    if mine is None:
        return None, keys
    for pk, task_id, source, theirs in rows:
        if theirs is None:
            theirs = verifier_fingerprint(source)
            if theirs is not None:
                conn.execute("UPDATE tasks SET verifier_hash = ? WHERE pk = ?", (theirs, pk))
        if theirs == mine:
            return Match(task_id, DuplicateKind.VERIFIER_AST), keys
    return None, keys


def find_duplicate(conn: sqlite3.Connection, keys: DedupKeys, threshold: float,
                   exclude_id: str | None = None) -> tuple[Match | None, DedupKeys]:
    """The task this one duplicates (exact, then verifier, then near prompt), and the keys to store.

    The returned keys carry the verifier fingerprint when it had to be computed, so it is stored with the task.
    """
    row = conn.execute(f"SELECT id FROM tasks WHERE content_hash = ? AND +status IN {MATCHED_STATUSES} "
                       "AND id IS NOT ? "
                       "ORDER BY pk LIMIT 1", (keys.content_hash, exclude_id)).fetchone()
    if row:
        return Match(row[0], DuplicateKind.EXACT), keys
    match, keys = _verifier_match(conn, keys, exclude_id)
    if match is not None or not keys.band_keys:
        return match, keys
    marks = ",".join("?" * len(keys.band_keys))
    rows = conn.execute(  # CROSS JOIN fixes the order: band keys first, then each candidate by primary key
        f"SELECT DISTINCT t.pk, t.id, t.minhash FROM lsh_band b CROSS JOIN tasks t ON t.pk = b.task_pk "
        f"WHERE b.key IN ({marks}) AND +t.status IN {MATCHED_STATUSES} AND t.id IS NOT ? ORDER BY t.pk",
        (*keys.band_keys, exclude_id)).fetchall()
    for _, task_id, sig in rows:
        if sig is not None and similarity(keys.signature, sig) >= threshold:
            return Match(task_id, DuplicateKind.NEAR_PROMPT), keys
    return None, keys


def index_task(conn: sqlite3.Connection, pk: int, keys: DedupKeys, replace_bands: bool = False) -> None:
    """Store the LSH bands of a stored task (replacing any it had when ``replace_bands``)."""
    if replace_bands:
        conn.execute("DELETE FROM lsh_band WHERE task_pk = ?", (pk,))
    conn.executemany("INSERT OR IGNORE INTO lsh_band (key, task_pk) VALUES (?, ?)",
                     [(key, pk) for key in keys.band_keys])
