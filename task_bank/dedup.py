"""Duplicate detection on admission: exact content, verifier code up to names, and near-duplicate prompts.

Three keys are computed per task, from cheapest and strictest to loosest:

- **exact**: the hash of the canonical content (prompt, verifier, reference, failure cases), i.e. the derived id.
- **verifier_ast**: a hash of the verifier's compiled code with every name that is local to it made positional
  and docstrings dropped, so renaming variables, editing comments or reformatting does not make a new verifier.
  It hashes CPython bytecode rather than an ``ast.dump`` because compiling is the only C-speed parse available;
  the hash is tagged with the Python minor version, so banks read under another Python simply miss old matches
  (never a false match).
- **near_prompt**: MinHash (datasketch, ``affine32`` scheme) over word 3-gram shingles of the prompt text, with the
  LSH bands stored in SQLite (table ``lsh_band``) so the index survives reopening and scales without RAM.

The SQL side (looking keys up among admitted tasks, indexing a stored task) lives here too, so ``store`` only
decides *when* to dedup, never *how*.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import sys
import zlib
from dataclasses import dataclass
from types import CodeType

import numpy as np
from datasketch import MinHash
from pydantic import BaseModel, ConfigDict, Field

from task_bank.records import DuplicateKind
from task_bank.spec import TaskSpec

_WORD = re.compile(r"\w+")
_MODULE_DOCSTRING = re.compile(
    r"\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*[rRuU]?(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"[^\"\n]*\"|'[^'\n]*')"
    r"[ \t]*(?:#[^\n]*)?(?=\n|\Z)")
_STORE_NAME = 90
_IMPORT_NAME = 108
_IMPORT_FROM = 109
_EXTENDED_ARG = 144
_COMPREHENSIONS = frozenset({"<listcomp>", "<genexpr>", "<setcomp>", "<dictcomp>"})
_PY_TAG = f"py{sys.version_info.major}{sys.version_info.minor}:"


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
    """The dedup keys of one task, computed once before it is stored."""

    content_hash: str
    """Exact key: hash of the canonical content."""
    verifier_hash: str | None
    """Verifier code key; None when the verifier does not compile."""
    signature: bytes
    """MinHash signature of the prompt shingles (uint32 little-endian, ``num_perm`` values)."""
    band_keys: tuple[int, ...]
    """One signed 64-bit key per LSH band."""


@dataclass(frozen=True, slots=True)
class Banding:
    """LSH banding: ``bands`` bands of ``rows`` signature values each."""

    bands: int
    rows: int


def optimal_banding(threshold: float, num_perm: int, false_positive_weight: float = 0.05) -> Banding:
    """Bands and rows minimising the weighted false-positive and false-negative mass around ``threshold``.

    Misses are weighted far above false candidates because every candidate is re-checked against its stored
    signature: at 64 permutations and 0.85 this gives 8 bands of 8 rows, finding 92% of pairs at exactly the
    threshold and 99% at 0.9.
    """
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            lo = np.linspace(0.0, threshold, 64)
            hi = np.linspace(threshold, 1.0, 64)
            fp = np.trapezoid(1 - (1 - lo ** rows) ** bands, lo)
            fn = np.trapezoid((1 - hi ** rows) ** bands, hi)
            err = float(false_positive_weight * fp + (1 - false_positive_weight) * fn)
            if best is None or err < best[0]:
                best = (err, bands, rows)
    if best is None:
        raise ValueError(f"no banding for num_perm={num_perm}")
    return Banding(bands=best[1], rows=best[2])


def _bound_module_names(code: CodeType) -> tuple[set[str], list[str]]:
    """Names the module binds (renamable) and the literal import targets (kept, they change behaviour)."""
    bound: set[str] = set()
    imports: list[str] = []
    raw = code.co_code
    ext = 0
    for i in range(0, len(raw), 2):
        op, arg = raw[i], raw[i + 1] | ext
        ext = arg << 8 if op == _EXTENDED_ARG else 0
        if op == _STORE_NAME:
            bound.add(code.co_names[arg])
        elif op in (_IMPORT_NAME, _IMPORT_FROM):
            imports.append(code.co_names[arg])
    return bound, imports


def _parameter_names(code: CodeType, into: set[str]) -> set[str]:
    """Every parameter name of every function in ``code`` (they reappear as annotation and keyword constants)."""
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    into.update(code.co_varnames[:count])
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _parameter_names(const, into)
    return into


def _label(value: object, bound: dict[str, int]) -> str:
    if isinstance(value, str) and value in bound:
        return f"@{bound[value]}"
    if isinstance(value, tuple):
        return "(" + ",".join(_label(v, bound) for v in value) + ")"
    return repr(value)


def _code_digest(code: CodeType, bound: dict[str, int], h: "hashlib._Hash") -> None:
    h.update(code.co_code)
    h.update(repr((code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
                   len(code.co_varnames), len(code.co_cellvars), len(code.co_freevars))).encode())
    h.update(repr(tuple(f"@{bound[n]}" if n in bound else n for n in code.co_names)).encode())
    consts = code.co_consts
    is_function = code.co_name not in _COMPREHENSIONS and code.co_name != "<module>"
    for index, const in enumerate(consts):
        if index == 0 and is_function:
            continue  # the docstring slot (None when there is none)
        if isinstance(const, CodeType):
            _code_digest(const, bound, h)
        else:
            h.update(_label(const, bound).encode())
        h.update(b"\x00")


def _number_names(code: CodeType, names: set[str], order: dict[str, int]) -> None:
    """Number renamable names by first appearance (names, then constants, depth first): a canonical renaming."""
    for name in code.co_names:
        if name in names:
            order.setdefault(name, len(order))
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _number_names(const, names, order)
        elif isinstance(const, str) and const in names:
            order.setdefault(const, len(order))
        elif isinstance(const, tuple):
            for item in const:
                if isinstance(item, str) and item in names:
                    order.setdefault(item, len(order))


def verifier_fingerprint(source: str) -> str | None:
    """Hash of the verifier's code, equal for sources that differ only in names, comments, docstrings, layout.

    Module-level bindings are renamed by first appearance; local names are positional in bytecode already.
    Attribute names, builtins and imported module names are kept. Returns None for code that does not compile.
    """
    stripped = _MODULE_DOCSTRING.sub("", source, count=1)
    try:
        code = compile(stripped, "<verifier>", "exec", dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    names, imports = _bound_module_names(code)
    names.update(_parameter_names(code, set()))
    names.discard("verify")
    order: dict[str, int] = {}
    _number_names(code, names, order)
    h = hashlib.sha256(repr(imports).encode())
    _code_digest(code, order, h)
    return _PY_TAG + h.hexdigest()


def prompt_shingles(text: str, words: int = 3) -> list[bytes]:
    """Lower-cased word n-grams of the prompt; a prompt shorter than ``words`` is one shingle."""
    tokens = _WORD.findall(text.lower())
    if len(tokens) <= words:
        return [" ".join(tokens).encode()]
    return [" ".join(tokens[i:i + words]).encode() for i in range(len(tokens) - words + 1)]


def _crc32(data: bytes) -> int:
    return zlib.crc32(data)


def signatures(texts: list[str], config: DedupConfig) -> np.ndarray:
    """MinHash signatures, one row of ``num_perm`` uint32 values per text (datasketch ``MinHash.bulk``)."""
    if not texts:
        return np.zeros((0, config.num_perm), dtype=np.uint32)
    shingles = [prompt_shingles(t, config.shingle_words) for t in texts]
    hashes = MinHash.bulk(shingles, num_perm=config.num_perm, hashfunc=_crc32, scheme="affine32")
    return np.stack([m.hashvalues for m in hashes]).astype(np.uint32)


def band_keys(signature: np.ndarray, banding: Banding) -> tuple[int, ...]:
    """One stable signed 64-bit key per band (band index mixed in, so bands never collide with each other)."""
    keys = []
    for band in range(banding.bands):
        chunk = signature[band * banding.rows:(band + 1) * banding.rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)


def compute_keys(specs: list[TaskSpec], config: DedupConfig, banding: Banding) -> list[DedupKeys]:
    """Dedup keys of a batch of specs (one bulk MinHash call for the whole batch)."""
    sigs = signatures([s.prompt_text for s in specs], config)
    return [DedupKeys(content_hash=spec.content_id, verifier_hash=verifier_fingerprint(spec.verifier),
                      signature=sig.astype("<u4").tobytes(), band_keys=band_keys(sig, banding))
            for spec, sig in zip(specs, sigs)]


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures (share of equal MinHash values)."""
    x = np.frombuffer(a, dtype="<u4")
    y = np.frombuffer(b, dtype="<u4")
    if len(x) != len(y) or len(x) == 0:
        return 0.0
    return float(np.count_nonzero(x == y)) / len(x)


def find_duplicate(conn: sqlite3.Connection, keys: DedupKeys, threshold: float,
                   exclude_id: str | None = None) -> tuple[str, DuplicateKind] | None:
    """The admitted task this one duplicates and how, checking exact, then verifier, then near prompt."""
    row = conn.execute("SELECT id FROM tasks WHERE content_hash = ? AND status = 'admitted' AND id IS NOT ? "
                       "ORDER BY pk LIMIT 1", (keys.content_hash, exclude_id)).fetchone()
    if row:
        return row[0], DuplicateKind.EXACT
    if keys.verifier_hash is not None:
        row = conn.execute("SELECT id FROM tasks WHERE verifier_hash = ? AND status = 'admitted' AND id IS NOT ? "
                           "ORDER BY pk LIMIT 1", (keys.verifier_hash, exclude_id)).fetchone()
        if row:
            return row[0], DuplicateKind.VERIFIER_AST
    if not keys.band_keys:
        return None
    marks = ",".join("?" * len(keys.band_keys))
    rows = conn.execute(
        f"SELECT t.id, t.minhash FROM tasks t WHERE t.pk IN "
        f"(SELECT DISTINCT task_pk FROM lsh_band WHERE key IN ({marks})) AND t.status = 'admitted' "
        f"AND t.id IS NOT ? ORDER BY t.pk", (*keys.band_keys, exclude_id)).fetchall()
    for task_id, sig in rows:
        if sig is not None and similarity(keys.signature, sig) >= threshold:
            return task_id, DuplicateKind.NEAR_PROMPT
    return None


def index_task(conn: sqlite3.Connection, pk: int, keys: DedupKeys, replace: bool = False) -> None:
    """Store the LSH bands of a stored task (replacing any it had when ``replace``), so later tasks find it."""
    if replace:
        conn.execute("DELETE FROM lsh_band WHERE task_pk = ?", (pk,))
    conn.executemany("INSERT OR IGNORE INTO lsh_band (key, task_pk) VALUES (?, ?)",
                     [(key, pk) for key in keys.band_keys])
