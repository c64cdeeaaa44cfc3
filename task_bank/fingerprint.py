"""Fingerprints of verifier code that ignore names, comments, docstrings and layout.

Two keys, because compiling is the only exact way and it costs about a millisecond per verifier:

- :func:`verifier_skeleton` is cheap (three C-level passes, tens of microseconds): comments, triple-quoted
  strings, identifiers and whitespace removed. Code equal up to names has an equal skeleton; different code
  usually has a different one (numbers, operators and the letters-free rest of string literals stay in it).
  Known misses: a one-line ``"docstring"`` present in only one version, and renamed non-ASCII identifiers.
- :func:`verifier_fingerprint` is exact: a hash of the compiled CPython bytecode with every name the module binds
  numbered by first appearance (local names are positional in bytecode already) and docstring slots skipped.
  Attribute names, builtins and imported module names are kept, so ``re.match`` and ``re.search`` differ.

The bank computes the fingerprint only when skeletons collide, and caches it. The fingerprint is tagged with the
Python minor version, so a bank read under another Python misses old matches and never makes a false one.
"""

from __future__ import annotations

import hashlib
import re
import sys
from types import CodeType

_MODULE_DOCSTRING = re.compile(
    r"\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*[rRuU]?(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"[^\"\n]*\"|'[^'\n]*')"
    r"[ \t]*(?:#[^\n]*)?(?=\n|\Z)")
_NOISE = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|#[^\n]*')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHITESPACE = b" \t\n\r\x0b\x0c\\"
_STORE_NAME = 90
_IMPORT_NAME = 108
_IMPORT_FROM = 109
_EXTENDED_ARG = 144
_COMPREHENSIONS = frozenset({"<listcomp>", "<genexpr>", "<setcomp>", "<dictcomp>"})
_PY_TAG = f"py{sys.version_info.major}{sys.version_info.minor}:"


def verifier_skeleton(source: str) -> str:
    """A cheap key, equal for code equal up to names, comments, docstrings and layout (and for some other code).

    Triple-quoted strings (docstrings) and comments go, then identifiers and whitespace; what is left is the
    code's punctuation, numbers and one-line string literals. Each step is one C-level pass.
    """
    text = _IDENTIFIER.sub("", _NOISE.sub("", source))
    data = text.encode("utf-8", "surrogatepass").translate(None, _WHITESPACE)
    return hashlib.blake2b(data, digest_size=12).hexdigest()


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


