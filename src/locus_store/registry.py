"""The ``"sqlalchemy"`` provider of Locus's checkpointer registry.

After ``import locus_store``::

    from locus.memory import get_checkpointer

    checkpointer = get_checkpointer("sqlalchemy", url="postgresql://app@db/agents")
    checkpointer = get_checkpointer("sqlalchemy:sqlite:///agents.db", versioned=True)

Registering costs nothing at import time: when ``locus.memory.registry`` is already
imported the provider is added at once, otherwise a finder on ``sys.meta_path``
adds it right after Locus's registry module runs, and then removes itself. The
factory imports the repositories (and Locus) only when it is called.
"""

from __future__ import annotations

import datetime as dt
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from locus_store.errors import InvalidInputError
from locus_store.validation import require_ttl

if TYPE_CHECKING:
    from locus.memory.checkpointer import BaseCheckpointer
    from sqlalchemy.ext.asyncio import AsyncEngine

    from locus_store.store import Store

#: The provider name given to ``locus.memory.get_checkpointer``.
PROVIDER = "sqlalchemy"
_REGISTRY_MODULE = "locus.memory.registry"


def checkpointer_factory(
    config_hint: str | None = None,
    *,
    url: str | None = None,
    versioned: bool = False,
    table_prefix: str | None = None,
    ttl: dt.timedelta | float | None = None,
    checkpoint_ns: str = "default",
    store: Store | None = None,
    engine: AsyncEngine | None = None,
    **engine_options: Any,
) -> BaseCheckpointer:
    """A Locus checkpointer on a locus_store store, for ``get_checkpointer("sqlalchemy", ...)``.

    The database is ``url`` (or the text after ``"sqlalchemy:"``), an existing
    ``store`` or ``engine``, else `Store.from_env`. ``versioned=True`` gives the
    checkpointer that keeps every version (``store.versioned().as_checkpointer()``),
    else the single-row one (``store.latest(ttl=...)``; ``ttl`` in seconds or a
    ``timedelta``). Other keywords go to ``create_async_engine``. The tables must
    exist: run ``locus-store upgrade`` (or ``await store.upgrade()``) once.
    """
    from locus_store.schema.tables import DEFAULT_PREFIX
    from locus_store.store import Store

    url = url or config_hint
    if sum(x is not None for x in (url, store, engine)) > 1:
        raise InvalidInputError("give one of url, store and engine")
    if store is None:
        if engine is not None:
            store = Store(engine, table_prefix=table_prefix or DEFAULT_PREFIX)
        elif url is not None:
            store = Store.from_url(
                url, table_prefix=table_prefix or DEFAULT_PREFIX, **engine_options
            )
        else:
            store = Store.from_env(table_prefix=table_prefix, **engine_options)
    elif table_prefix is not None and table_prefix != store.table_prefix:
        raise InvalidInputError(
            f"table_prefix {table_prefix!r} differs from the store's {store.table_prefix!r}"
        )
    if versioned:
        if require_ttl(ttl) is not None:
            raise InvalidInputError("ttl applies to the single-row checkpointer only")
        return store.versioned().as_checkpointer(checkpoint_ns=checkpoint_ns)
    return store.latest(ttl=ttl)


def _add_to(module: ModuleType) -> None:
    module.register_checkpointer(PROVIDER, checkpointer_factory)


class _AfterLocusRegistry(importlib.abc.MetaPathFinder):
    """Adds the provider right after ``locus.memory.registry`` is executed."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _REGISTRY_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _RegisteringLoader(spec.loader)
                _uninstall()
                return spec
        return None


class _RegisteringLoader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _add_to(module)


_finder = _AfterLocusRegistry()


def _uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def register() -> None:
    """Make ``locus.memory.get_checkpointer("sqlalchemy", ...)`` return our checkpointers.

    Idempotent; called by ``import locus_store``.
    """
    module = sys.modules.get(_REGISTRY_MODULE)
    if module is not None:
        _add_to(module)
    elif _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
