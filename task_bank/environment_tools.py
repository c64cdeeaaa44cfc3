"""The tools of an environment, read from its source without running it: names, typed parameters, docstrings.

Why statically: the trusted side (validator, bank, web view, TRL adapter) must know an environment's tool
signatures without executing generated code, and dedup compares environments by these signatures. The rules the
spec fixes, checked here: a ``class Env`` at module level with ``reset`` and ``score``; every other public method
(except ``solve``) is a tool with a docstring and a type hint from :data:`JSON_TYPES` on every argument; no
``*args``/``**kwargs``; defaults are literals.

:func:`read_tools` raises :class:`ToolSpecError` (a ValueError) naming the line and the rule broken.
"""

from __future__ import annotations

import ast
import math
import re

from pydantic import BaseModel, ConfigDict, JsonValue

from task_bank.spec import MAX_NESTING, content_hash, nesting_depth

RESERVED = ("reset", "score", "solve")
"""Public methods of ``Env`` that are not tools."""
JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array",
              "dict": "object"}
"""Argument annotations a tool may use (bare, or subscripted as ``list[int]``, ``dict[str, float]``), and the
JSON schema type each becomes."""
_ARG_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


class ToolSpecError(ValueError):
    """The source breaks a rule of the environment spec; the message names the line."""


class ToolParam(BaseModel):
    """One argument of a tool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Argument name."""
    annotation: str
    """The type hint as written (``int``, ``list[str]``)."""
    json_type: str
    """JSON schema type of the outer annotation: string, integer, number, boolean, array or object."""
    description: str = ""
    """The argument's line under ``Args:`` in the docstring, when there is one."""
    required: bool = True
    """False when the argument has a default."""
    default: JsonValue = None
    """The literal default, when not required."""


class ToolSignature(BaseModel):
    """One tool: what the policy sees of it (name, arguments, docstring) and what the adapter proxies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Method name."""
    params: tuple[ToolParam, ...] = ()
    """Arguments after ``self``, in order."""
    doc: str
    """The full docstring, dedented."""
    returns: str = ""
    """The return annotation as written (may be empty)."""

    @property
    def summary(self) -> str:
        """The docstring up to its ``Args:``/``Returns:`` section: the tool's description."""
        return re.split(r"\n\s*(?:Args|Arguments|Returns|Raises):", self.doc, maxsplit=1)[0].strip()

    def render(self) -> str:
        """``name(a: int, b: str = 'x') -> dict`` for display."""
        parts = [f"{p.name}: {p.annotation}" + ("" if p.required else f" = {p.default!r}") for p in self.params]
        return f"{self.name}({', '.join(parts)})" + (f" -> {self.returns}" if self.returns else "")


class EnvInterface(BaseModel):
    """What the source declares: its tools, and whether it is a seeded family (defines ``solve``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tools: tuple[ToolSignature, ...]
    """Tools in source order."""
    has_solve: bool
    """True when ``Env`` defines ``solve``: a seeded family, validated and trained on many seeds."""

    @property
    def signature_key(self) -> str:
        """Hash of the tool names and argument types, sorted: two environments with equal keys offer the policy
        the same actions (dedup's 'same tool signatures')."""
        shape = sorted((t.name, [(p.name, p.annotation) for p in t.params]) for t in self.tools)
        return content_hash({"tools": shape, "solve": self.has_solve})[:20]


def read_tools(source: str) -> EnvInterface:
    """The interface of the ``Env`` class in ``source``; ToolSpecError for a rule broken, SyntaxError for bad
    Python."""
    tree = ast.parse(source)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Env"]
    if not classes:
        raise ToolSpecError("the source defines no module-level class Env")
    env = classes[-1]
    methods = {n.name: n for n in env.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for required in ("reset", "score"):
        if required not in methods:
            raise ToolSpecError(f"line {env.lineno}: class Env defines no {required}()")
    tools = []
    for name, node in methods.items():
        if name.startswith("_") or name in RESERVED:
            continue
        if isinstance(node, ast.AsyncFunctionDef):
            raise ToolSpecError(f"line {node.lineno}: tool {name} is async; tools are plain methods")
        tools.append(_signature(node))
    return EnvInterface(tools=tuple(tools), has_solve="solve" in methods)


def _signature(node: ast.FunctionDef) -> ToolSignature:
    doc = ast.get_docstring(node)
    if not doc or not doc.strip():
        raise ToolSpecError(f"line {node.lineno}: tool {node.name} has no docstring")
    args = node.args
    if args.vararg or args.kwarg or args.posonlyargs or args.kwonlyargs:
        raise ToolSpecError(f"line {node.lineno}: tool {node.name} must take plain named arguments only")
    positional = args.args[1:] if args.args and args.args[0].arg == "self" else None
    if positional is None:
        raise ToolSpecError(f"line {node.lineno}: tool {node.name} must be a method taking self first")
    descriptions = _arg_descriptions(doc)
    first_default = len(positional) - len(args.defaults)
    params = []
    for index, arg in enumerate(positional):
        annotation, json_type = _annotation(node.name, arg)
        required = index < first_default
        default = None
        if not required:
            try:
                default = ast.literal_eval(args.defaults[index - first_default])
            except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):  # {[]: 1} raises TypeError
                raise ToolSpecError(f"line {node.lineno}: tool {node.name}: the default of {arg.arg} is not a "
                                    f"literal") from None
            if not _plain(default):
                raise ToolSpecError(f"line {node.lineno}: tool {node.name}: the default of {arg.arg} is not a JSON "
                                    f"value (null, a bool, an int under 2**63, a finite float, a string, or a list "
                                    f"or str-keyed dict of those, nested at most {MAX_NESTING} levels)")
        params.append(ToolParam(name=arg.arg, annotation=annotation, json_type=json_type, required=required,
                                description=descriptions.get(arg.arg, ""), default=default))
    returns = ast.unparse(node.returns) if node.returns is not None else ""
    return ToolSignature(name=node.name, params=tuple(params), doc=doc, returns=returns)


def _plain(value: object) -> bool:
    """Whether a tool's default is a JSON value every part of the program can hold and show. Why: a set or a
    complex number passed validation's schema check and then broke every page listing environments, and a 5,000-digit
    hex integer was admitted and then could not be printed (Python converts at most 4,300 digits; red-team
    findings)."""
    if nesting_depth(value) > MAX_NESTING:
        return False
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, bool) or item is None or type(item) is str:
            continue
        if type(item) is int:
            if abs(item) >= 2 ** 63:
                return False
        elif type(item) is float:
            if not math.isfinite(item):
                return False
        elif type(item) is list:
            pending.extend(item)
        elif type(item) is dict:
            if not all(type(key) is str for key in item):
                return False
            pending.extend(item.values())
        else:
            return False
    return True


def _annotation(tool: str, arg: ast.arg) -> tuple[str, str]:
    if arg.annotation is None:
        raise ToolSpecError(f"line {arg.lineno}: tool {tool}: argument {arg.arg} has no type hint")
    text = ast.unparse(arg.annotation)
    outer = arg.annotation.value if isinstance(arg.annotation, ast.Subscript) else arg.annotation
    inner = arg.annotation.slice if isinstance(arg.annotation, ast.Subscript) else None
    names = [outer] + (list(inner.elts) if isinstance(inner, ast.Tuple) else [inner] if inner is not None else [])
    if not all(isinstance(n, ast.Name) and n.id in JSON_TYPES for n in names):
        raise ToolSpecError(f"line {arg.lineno}: tool {tool}: argument {arg.arg} is typed {text}; use str, int, "
                            f"float, bool, list or dict")
    if inner is not None and outer.id not in ("list", "dict"):
        raise ToolSpecError(f"line {arg.lineno}: tool {tool}: argument {arg.arg} is typed {text}; only list and "
                            f"dict take type arguments")
    return text, JSON_TYPES[outer.id]


def _arg_descriptions(doc: str) -> dict[str, str]:
    """``name: text`` lines of a Google-style ``Args:`` section."""
    found: dict[str, str] = {}
    inside = False
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped in ("Args:", "Arguments:"):
            inside = True
            continue
        if inside and re.match(r"^(Returns|Raises|Yields|Examples?):", stripped):
            break
        if inside:
            match = _ARG_LINE.match(line)
            if match:
                found[match.group(1)] = match.group(2).strip()
    return found
