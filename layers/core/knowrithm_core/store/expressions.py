"""Typed writes and conditions: what repositories ask of a table, in a form both tables understand.

The DynamoDB table renders them to expressions (:func:`render_condition`, :func:`render_update`); the in-memory
table (:mod:`.memory`) evaluates them directly. Only top-level attributes are addressed, every name goes
through a placeholder (no reserved-word surprises), and values stay plain Python until the table serializes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Key = tuple[str, str]
Comparator = Literal["=", "<>", "<", "<=", ">", ">="]


class Cond:
    """A condition on one item; combine with ``&`` and ``|``."""

    def __and__(self, other: Cond) -> Cond:
        return All((self, other))

    def __or__(self, other: Cond) -> Cond:
        return AnyOf((self, other))


@dataclass(frozen=True)
class Exists(Cond):
    name: str


@dataclass(frozen=True)
class Missing(Cond):
    name: str


@dataclass(frozen=True)
class Compare(Cond):
    name: str
    op: Comparator
    value: Any


@dataclass(frozen=True)
class All(Cond):
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf(Cond):
    parts: tuple[Cond, ...]


def exists(name: str = "PK") -> Cond:
    """The item (or the attribute ``name``) exists."""
    return Exists(name)


def missing(name: str = "PK") -> Cond:
    """The item (or the attribute ``name``) does not exist."""
    return Missing(name)


def eq(name: str, value: Any) -> Cond:
    return Compare(name, "=", value)


def ne(name: str, value: Any) -> Cond:
    return Compare(name, "<>", value)


def lt(name: str, value: Any) -> Cond:
    return Compare(name, "<", value)


def le(name: str, value: Any) -> Cond:
    return Compare(name, "<=", value)


def gt(name: str, value: Any) -> Cond:
    return Compare(name, ">", value)


def ge(name: str, value: Any) -> Cond:
    return Compare(name, ">=", value)


# --- writes -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Put:
    """Write the whole item (``None`` attributes are left out)."""

    item: Mapping[str, Any]
    when: Cond | None = None

    @property
    def key(self) -> Key:
        return str(self.item["PK"]), str(self.item["SK"])


@dataclass(frozen=True)
class Update:
    """Change some attributes of one item (created when missing, as UpdateItem does).

    ``set`` assigns; ``set_default`` assigns only where the attribute is missing; ``add`` adds numbers (a missing
    attribute counts as 0); ``append`` appends to a list (a missing one counts as empty); ``remove`` deletes.
    """

    key: Key
    set: Mapping[str, Any] = field(default_factory=dict)
    set_default: Mapping[str, Any] = field(default_factory=dict)
    add: Mapping[str, int | float] = field(default_factory=dict)
    append: Mapping[str, list[Any]] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    when: Cond | None = None

    def names(self) -> list[str]:
        return [*self.set, *self.set_default, *self.add, *self.append, *self.remove]


@dataclass(frozen=True)
class Delete:
    key: Key
    when: Cond | None = None


@dataclass(frozen=True)
class Check:
    """Only a condition: the write of the others happens if it holds (transactions only)."""

    key: Key
    when: Cond


WriteOp = Put | Update | Delete | Check


def key_of(op: WriteOp) -> Key:
    return op.key


# --- rendering for DynamoDB -------------------------------------------------------------------------------
class Placeholders:
    """Collects ``#n`` names and ``:v`` values while an expression is rendered."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._by_name: dict[str, str] = {}

    def name(self, attribute: str) -> str:
        if attribute not in self._by_name:
            placeholder = f"#n{len(self._by_name)}"
            self._by_name[attribute] = placeholder
            self.names[placeholder] = attribute
        return self._by_name[attribute]

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder


def render_condition(cond: Cond, ph: Placeholders) -> str:
    if isinstance(cond, Exists):
        return f"attribute_exists({ph.name(cond.name)})"
    if isinstance(cond, Missing):
        return f"attribute_not_exists({ph.name(cond.name)})"
    if isinstance(cond, Compare):
        return f"{ph.name(cond.name)} {cond.op} {ph.value(cond.value)}"
    if isinstance(cond, All):
        return " AND ".join(f"({render_condition(part, ph)})" for part in cond.parts)
    if isinstance(cond, AnyOf):
        return " OR ".join(f"({render_condition(part, ph)})" for part in cond.parts)
    raise TypeError(f"not a condition: {cond!r}")


def render_update(op: Update, ph: Placeholders) -> str:
    sets = [f"{ph.name(n)} = {ph.value(v)}" for n, v in op.set.items()]
    sets += [f"{ph.name(n)} = if_not_exists({ph.name(n)}, {ph.value(v)})" for n, v in op.set_default.items()]
    for n, values in op.append.items():
        sets.append(f"{ph.name(n)} = list_append(if_not_exists({ph.name(n)}, {ph.value([])}), {ph.value(values)})")
    clauses = [f"SET {', '.join(sets)}"] if sets else []
    if op.add:
        clauses.append("ADD " + ", ".join(f"{ph.name(n)} {ph.value(v)}" for n, v in op.add.items()))
    if op.remove:
        clauses.append("REMOVE " + ", ".join(ph.name(n) for n in op.remove))
    if not clauses:
        raise ValueError("an Update must change at least one attribute")
    return " ".join(clauses)
