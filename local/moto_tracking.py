"""moto's model registry without the leak: it keeps a weak reference to each object it builds, not a strong one.

moto's ``BaseModel.__new__`` appends every instance of every model class to ``cls.instances_tracked`` (for its
``/moto-api/data.json`` dashboard) and never lets go. For DynamoDB that is every ``Item`` ever built: the deep
copies of each ``Query`` result, of each ``UpdateItem``'s old and new item, of each transaction's rollback
snapshot, plus every ``StreamRecord`` and ``ShardIterator`` and, for SQS, every ``Message``: under a write
load that is ~20 dead items per lead created, the bulk of the local stack's growth (issue 10).

:func:`install` wraps moto's public ``BaseModel.__new__`` so each class's ``instances_tracked`` is a
:class:`LiveInstances`: the dashboard still lists every object that is alive, and the rest are freed. It
survives moto's ``reset_model_data`` (which puts plain lists back): the next object built swaps it in again.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

_installed = False


class LiveInstances(list[Any]):
    """A list-shaped registry holding its objects weakly (objects that refuse weak references are held).

    Keyed by ``id``, not a ``WeakSet``: moto's models define ``__eq__`` and so are unhashable. An entry leaves
    when its object is freed (the weak reference's callback), before the ``id`` can be reused.
    """

    def __init__(self) -> None:
        super().__init__()
        self._live: dict[int, weakref.ref[Any]] = {}

    def append(self, instance: Any) -> None:
        key, live = id(instance), self._live
        try:
            live[key] = weakref.ref(instance, lambda _: live.pop(key, None))
        except TypeError:  # no __weakref__ slot: keep it like moto does
            super().append(instance)

    def __iter__(self) -> Iterator[Any]:
        alive = [instance for ref in self._live.copy().values() if (instance := ref()) is not None]
        return iter([*super().__iter__(), *alive])

    def __len__(self) -> int:
        return super().__len__() + len(self._live)

    def __bool__(self) -> bool:
        return len(self) > 0


def registry(cls: type) -> LiveInstances:
    """``cls``'s own weak registry, put in place of moto's list (and of what a reset put back)."""
    tracked = cls.__dict__.get("instances_tracked")
    if not isinstance(tracked, LiveInstances):
        tracked = LiveInstances()
        type.__setattr__(cls, "instances_tracked", tracked)
    return tracked


def _weakly_tracked(stock: Callable[..., Any]) -> Callable[..., Any]:
    def __new__(cls: type, *_args: Any, **_kwargs: Any) -> Any:  # noqa: N807 - it is the class's __new__
        instance: Any = object.__new__(cls)
        registry(cls).append(instance)
        return instance

    __new__.__wrapped__ = stock  # type: ignore[attr-defined]
    return __new__


def install() -> None:
    """Patch moto's public ``BaseModel`` (see the module). Idempotent."""
    global _installed
    if _installed:
        return
    from moto.core.common_models import BaseModel

    BaseModel.__new__ = _weakly_tracked(BaseModel.__new__)  # type: ignore[method-assign]
    _installed = True
