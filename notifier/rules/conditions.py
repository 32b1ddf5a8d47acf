"""``when`` and ``rearm_when`` conditions: a small, safe language checked at load.

A condition is parsed with :mod:`ast` and every node is checked against a
whitelist: field names, number and string literals, comparisons (chained too),
``and``/``or``/``not``, ``+``/``-`` on numbers and parentheses. Types are checked
too: a string is never compared with a number, and the whole condition must be
true or false. Anything else is refused with the column of the offending node.

The checked tree is then rebuilt as a *new* Python expression over the snapshot
(``s["likes"] > 1000``) and compiled; the user's text itself is never evaluated.
Two evaluators come out of it:

* ``fast(snapshot)``: plain Python, raises ``KeyError`` when a name has no
  known value yet;
* ``kleene(snapshot)``: three-valued (true, false, ``None`` for unknown), used
  only while some name is still unknown.

``Condition.__call__`` combines them: ``True``/``False``, or ``None`` when the
answer depends on a value nobody has seen yet.
"""

from __future__ import annotations

import ast
import copy
import difflib
import operator
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .condfix import mistakes_text, normalise, syntax_problem

__all__ = ["MAX_LENGTH", "Condition", "ConditionError", "compile_condition"]

MAX_LENGTH = 500

Snapshot = Mapping[str, object]

# Type labels, worded for error messages.
_NUM, _STR, _BOOL = "number", "text value", "true/false value"

_CMP_OPS: dict[type, tuple[str, Callable[[object, object], bool]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}

# What people call the constructs we refuse, so the error reads naturally.
_REFUSED = {
    ast.Attribute: "attribute access (a.b)",
    ast.Call: "function calls",
    ast.Subscript: "indexing (a[...])",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Lambda: "lambda",
    ast.IfExp: "'x if c else y'",
    ast.NamedExpr: "':='",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "'*'",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}
_BINOP_NAMES = {
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}


class ConditionError(ValueError):
    """A condition does not compile; ``problems`` are ``(offset, what, fix)``.

    ``offset`` is the character index in the condition text (0-based).
    """

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"column {offset + 1}: {what} — {fix}" for offset, what, fix in problems))


@dataclass(frozen=True, slots=True, eq=False)
class Condition:
    """A compiled condition. Equal when their canonical forms are equal."""

    source: str
    canonical: str
    names: frozenset[str]
    fast: Callable[[Snapshot], bool]
    kleene: Callable[[Snapshot], bool | None]

    def __call__(self, snapshot: Snapshot) -> bool | None:
        try:
            return self.fast(snapshot)
        except KeyError:
            return self.kleene(snapshot)

    def values(self, snapshot: Snapshot) -> dict[str, object]:
        """The values this condition reads, for explanations (None when unknown)."""
        return {name: snapshot.get(name) for name in sorted(self.names)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and other.canonical == self.canonical

    def __hash__(self) -> int:
        return hash(self.canonical)

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def compile_condition(
    text: str,
    names: Mapping[str, str],
    aliases: Mapping[str, str] | None = None,
    absent: Mapping[str, str] | None = None,
) -> Condition:
    """Check and compile ``text``.

    ``names`` maps each usable name to its type (``"number"`` or ``"text"``);
    ``aliases`` maps other spellings to those names; ``absent`` maps names
    people may expect but that do not exist to the reason why. Raises
    :class:`ConditionError` listing every problem.
    """
    aliases = aliases or {}
    if not isinstance(text, str) or not text.strip():
        raise ConditionError([(0, "the condition is empty", "write one such as: likes > 1000")])
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            [(MAX_LENGTH, f"the condition is {len(text)} characters long, over the limit of {MAX_LENGTH}",
              "split it into several rules")]
        )
    # A YAML block scalar may span lines; a condition is one expression.
    flat = text.replace("\r", " ").replace("\n", " ").rstrip()
    # Leading blanks would read as an indent; parse without them, report columns with them.
    lead = len(flat) - len(flat.lstrip())
    flat = flat[lead:]
    control = next((i for i, char in enumerate(flat) if unicodedata.category(char) == "Cc" and char != "\t"), None)
    if control is not None:
        raise ConditionError(
            [(lead + control, f"the condition contains an invisible control character (U+{ord(flat[control]):04X})",
              "type the condition again without it")]
        )
    scanned = normalise(flat)
    if scanned.mistakes:
        # Each mistake named, and the user's whole condition with all of them fixed.
        raise ConditionError(
            [(lead + scanned.mistakes[0][0], mistakes_text(scanned.mistakes), f"write it as: {scanned.corrected}")]
        )
    parsed = scanned.text
    try:
        with warnings.catch_warnings():  # "2if": Python's tokenizer would warn on stderr in its own words
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(parsed, mode="eval")
    except SyntaxError as exc:
        # Python's own wording ("invalid syntax. Perhaps you forgot a comma?") is never shown.
        where = _char_offset(parsed, exc.offset - 1) if exc.lineno == 1 and exc.offset else len(parsed)
        offset, what, fix = syntax_problem(parsed, where)
        raise ConditionError([(lead + scanned.original(offset), what, fix)]) from None
    except (ValueError, RecursionError, MemoryError):
        raise ConditionError([(lead, "the condition is nested too deeply", _FEWER_BRACKETS)]) from None
    checker = _Checker(parsed, names, aliases, absent or {})
    try:
        kind = checker.check(tree.body)
    except RecursionError:
        raise ConditionError([(lead, "the condition is nested too deeply", _FEWER_BRACKETS)]) from None
    if kind is not None and kind != _BOOL and not checker.problems:
        checker.problems.append(
            (0, f"the condition is a {kind}, not true or false", "compare it, such as likes > 1000")
        )
    if checker.problems:
        raise ConditionError(
            [(lead + scanned.original(offset), what, fix) for offset, what, fix in checker.problems]
        )
    # Each transform gets its own copy: NodeTransformer edits in place.
    try:
        rebuilt = _Rebuild(checker.renames).visit(copy.deepcopy(tree.body))
        canonical = ast.unparse(_Rebuild(checker.renames, for_text=True).visit(copy.deepcopy(tree.body)))
        fast = _compile_fast(rebuilt)
        kleene = _kleene(tree.body, checker.renames)
    except RecursionError:
        raise ConditionError([(lead, "the condition is nested too deeply", _FEWER_BRACKETS)]) from None
    return Condition(
        source=" ".join(text.split()),
        canonical=canonical,
        names=frozenset(checker.used),
        fast=fast,
        kleene=kleene,
    )


_FEWER_BRACKETS = "write it with fewer parentheses and signs"
def _char_offset(text: str, byte_offset: int) -> int:
    """ast reports UTF-8 byte columns; turn one into a character index."""
    return len(text.encode("utf-8")[: max(byte_offset, 0)].decode("utf-8", errors="ignore"))


class _Checker:
    """Walk the tree: refuse what is not whitelisted, infer and check types."""

    def __init__(
        self, text: str, names: Mapping[str, str], aliases: Mapping[str, str], absent: Mapping[str, str],
    ) -> None:
        self.text = text
        self.names = names
        self.aliases = aliases
        self.absent = absent
        self.problems: list[tuple[int, str, str]] = []
        self.used: set[str] = set()
        self.renames: dict[str, str] = {}

    def _at(self, node: ast.AST) -> int:
        return _char_offset(self.text, getattr(node, "col_offset", 0))

    def fail(self, node: ast.AST, what: str, fix: str) -> None:
        self.problems.append((self._at(node), what, fix))

    def check(self, node: ast.AST) -> str | None:
        """The node's type, or None after reporting a problem in it."""
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is not None:
            return method(node)
        refused = _REFUSED.get(type(node))
        if isinstance(node, ast.Tuple):
            # likes >= 1, 000: a comma with a blank after it is a list of values to Python.
            self.fail(node, "a comma here makes a list of values, which a condition cannot use",
                      "write numbers without commas or blanks inside, such as likes >= 1000")
        elif refused:
            self.fail(node, f"{refused} cannot be used in a condition",
                      "use field names, numbers, quoted text, comparisons, and/or/not, + and -")
        else:
            self.fail(node, f"'{ast.unparse(node)}' cannot be used in a condition",
                      "use field names, numbers, quoted text, comparisons, and/or/not, + and -")
        return None

    def _Name(self, node: ast.Name) -> str | None:
        name = node.id
        canonical = name if name in self.names else self.aliases.get(name)
        if canonical is None:
            if name in ("True", "False", "None", "true", "false", "null"):
                self.fail(node, f"'{name}' cannot be used in a condition",
                          "compare a field instead, such as likes > 0")
                return None
            if name in self.absent:
                self.fail(node, f"'{name}' is not a field: {self.absent[name]}",
                          f"use one of: {', '.join(sorted(self.names))}")
                return None
            known = sorted(set(self.names) | set(self.aliases))
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(self.names))}"
            self.fail(node, f"unknown name '{name}'", fix)
            return None
        self.used.add(canonical)
        self.renames[name] = canonical
        return _STR if self.names[canonical] == "text" else _NUM

    def _Constant(self, node: ast.Constant) -> str | None:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            self.fail(node, f"'{value!r}' cannot be used in a condition",
                      "compare a field instead, such as likes > 0")
            return None
        if isinstance(value, (int, float)):
            return _NUM
        if isinstance(value, str):
            return _STR
        self.fail(node, f"{type(value).__name__} literals cannot be used in a condition",
                  "use numbers or quoted text")
        return None

    def _BoolOp(self, node: ast.BoolOp) -> str | None:
        ok = True
        word = "and" if isinstance(node.op, ast.And) else "or"
        for value in node.values:
            kind = self.check(value)
            if kind is None:
                ok = False
            elif kind != _BOOL:
                ok = False
                self.fail(value, f"'{ast.unparse(value)}' is a {kind}, but '{word}' joins true/false parts",
                          f"compare it, such as {ast.unparse(value)} > 0")
        return _BOOL if ok else None

    def _UnaryOp(self, node: ast.UnaryOp) -> str | None:
        kind = self.check(node.operand)
        if isinstance(node.op, ast.Not):
            if kind is not None and kind != _BOOL:
                self.fail(node, f"'not' needs true/false, but '{ast.unparse(node.operand)}' is a {kind}",
                          "compare it first, such as not likes > 0")
                return None
            return _BOOL if kind else None
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if kind is not None and kind != _NUM:
                self.fail(node, f"a sign needs a number, but '{ast.unparse(node.operand)}' is a {kind}",
                          "use + and - with numbers only")
                return None
            return _NUM if kind else None
        self.fail(node, "'~' cannot be used in a condition", "use + and - with numbers only")
        return None

    def _BinOp(self, node: ast.BinOp) -> str | None:
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            symbol = _BINOP_NAMES.get(type(node.op), type(node.op).__name__)
            # Point at the operator itself, which sits between the operands.
            start = _char_offset(self.text, node.left.end_col_offset or 0)
            found = self.text.find(symbol, start)
            self.problems.append(
                (found if found >= 0 else self._at(node), f"'{symbol}' cannot be used in a condition",
                 "only + and - are allowed on numbers")
            )
            self.check(node.left)
            self.check(node.right)
            return None
        left, right = self.check(node.left), self.check(node.right)
        if left is None or right is None:
            return None
        if left != _NUM or right != _NUM:
            symbol = "+" if isinstance(node.op, ast.Add) else "-"
            self.fail(node, f"'{symbol}' needs numbers on both sides, not a {left} and a {right}",
                      "add and subtract counts only, such as likes + retweets")
            return None
        return _NUM

    def _Compare(self, node: ast.Compare) -> str | None:
        operands = [node.left, *node.comparators]
        ok = True
        for index, op in enumerate(node.ops):
            if type(op) not in _CMP_OPS:
                word = {ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}.get(type(op), "?")
                # The operator sits after the left operand.
                start = _char_offset(self.text, operands[index].end_col_offset or 0)
                found = self.text.find(word.split()[0], start)
                self.problems.append(
                    (found if found >= 0 else self._at(node), f"'{word}' cannot be used in a condition",
                     "use ==, !=, <, <=, > or >=")
                )
                ok = False
        if not ok:
            return None
        kinds = [self.check(operand) for operand in operands]
        ok = all(kind is not None for kind in kinds)
        for index, op in enumerate(node.ops):
            left, right = kinds[index], kinds[index + 1]
            if left is None or right is None:
                continue
            symbol = _CMP_OPS[type(op)][0]
            if left != right or left == _BOOL:
                ok = False
                self.fail(
                    operands[index + 1] if left == _NUM or left == _BOOL else operands[index],
                    f"{ast.unparse(operands[index])} {symbol} {ast.unparse(operands[index + 1])} "
                    f"compares a {left} with a {right}",
                    "compare counts with numbers (likes > 1000) and view_state with quoted text "
                    "(view_state == \"EnabledWithCount\")",
                )
            elif left == _STR and symbol not in ("==", "!="):
                ok = False
                self.fail(operands[index], f"text can only be compared with == or !=, not {symbol}",
                          "use == or !=")
        return _BOOL if ok else None


class _Rebuild(ast.NodeTransformer):
    """The checked tree over a snapshot: ``likes`` -> ``s["likes"]``.

    With ``for_text``, only aliases are renamed (the canonical text of a rule).
    """

    def __init__(self, renames: Mapping[str, str], for_text: bool = False) -> None:
        self.renames = renames
        self.for_text = for_text

    def visit_Name(self, node: ast.Name) -> ast.AST:
        name = self.renames[node.id]
        if self.for_text:
            return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)
        return ast.copy_location(
            ast.Subscript(
                value=ast.Name(id="s", ctx=ast.Load()),
                slice=ast.Constant(value=name),
                ctx=ast.Load(),
            ),
            node,
        )


def _compile_fast(body: ast.AST) -> Callable[[Snapshot], bool]:
    # The compiled tree contains only the checked node types, the snapshot
    # parameter ``s`` and constant subscripts of it; no builtins are reachable.
    tree = ast.Expression(
        body=ast.Lambda(
            args=ast.arguments(
                posonlyargs=[], args=[ast.arg(arg="s")], vararg=None, kwonlyargs=[],
                kw_defaults=[], kwarg=None, defaults=[],
            ),
            body=body,
        )
    )
    ast.fix_missing_locations(tree)
    code = compile(tree, "<condition>", "eval")
    return eval(code, {"__builtins__": {}}, {})  # noqa: S307 - our own checked tree, not user text


def _kleene(node: ast.AST, renames: Mapping[str, str]) -> Callable[[Snapshot], object]:
    """A three-valued evaluator of the checked tree: unknown values propagate as None."""
    if isinstance(node, ast.Name):
        name = renames[node.id]
        return lambda s: s.get(name)
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda s: value
    if isinstance(node, ast.UnaryOp):
        operand = _kleene(node.operand, renames)
        if isinstance(node.op, ast.Not):
            return lambda s: _not(operand(s))
        if isinstance(node.op, ast.USub):
            return lambda s: _neg(operand(s))
        return operand
    if isinstance(node, ast.BinOp):
        left, right = _kleene(node.left, renames), _kleene(node.right, renames)
        func = operator.add if isinstance(node.op, ast.Add) else operator.sub
        return lambda s: _arith(func, left(s), right(s))
    if isinstance(node, ast.BoolOp):
        parts = [_kleene(value, renames) for value in node.values]
        return (lambda s: _all(parts, s)) if isinstance(node.op, ast.And) else (lambda s: _any(parts, s))
    if isinstance(node, ast.Compare):
        operands = [_kleene(operand, renames) for operand in (node.left, *node.comparators)]
        funcs = [_CMP_OPS[type(op)][1] for op in node.ops]
        return lambda s: _chain(operands, funcs, s)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


def _not(value: object) -> bool | None:
    return None if value is None else not value


def _neg(value: object) -> object:
    return None if value is None else -value  # type: ignore[operator]


def _arith(func: Callable[[object, object], object], left: object, right: object) -> object:
    return None if left is None or right is None else func(left, right)


def _all(parts: list[Callable[[Snapshot], object]], s: Snapshot) -> bool | None:
    unknown = False
    for part in parts:
        value = part(s)
        if value is None:
            unknown = True
        elif not value:
            return False
    return None if unknown else True


def _any(parts: list[Callable[[Snapshot], object]], s: Snapshot) -> bool | None:
    unknown = False
    for part in parts:
        value = part(s)
        if value is None:
            unknown = True
        elif value:
            return True
    return None if unknown else False


def _chain(operands: list[Callable[[Snapshot], object]], funcs: list[Callable[..., bool]], s: Snapshot) -> bool | None:
    # a < b < c is (a < b) and (b < c), each part three-valued.
    values = [operand(s) for operand in operands]
    unknown = False
    for index, func in enumerate(funcs):
        left, right = values[index], values[index + 1]
        if left is None or right is None:
            unknown = True
        elif not func(left, right):
            return False
    return None if unknown else True
