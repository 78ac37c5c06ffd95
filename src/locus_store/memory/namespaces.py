"""Memory namespaces: tuples of labels, stored as one string that no label can break.

Labels are joined by ``/``; inside a label ``%`` is written ``%25`` and ``/`` is
written ``%2F``, so the separator never occurs inside an encoded label. Exact,
prefix (``ns = :p OR ns LIKE :p || '/%'``) and suffix matches then hold for any label
text: dots, ``%``, ``_``, ``*``, quotes, slashes (the ``LIKE`` patterns escape their own
wildcards, see `like_literal`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from locus_store.errors import InvalidNamespaceError, InvalidTypeError
from locus_store.schema.memory_tables import MAX_NAMESPACE_LENGTH
from locus_store.sql.like import LIKE_ESCAPE

Namespace = tuple[str, ...]
SEPARATOR = "/"
_ENCODE = {"%": "%25", "/": "%2F"}
_DECODE = re.compile("%25|%2F")
_UNSENDABLE = re.compile(r"[\x00\ud800-\udfff]")


def encode(namespace: Namespace) -> str:
    return SEPARATOR.join(label.replace("%", "%25").replace("/", "%2F") for label in namespace)


def decode(stored: str) -> Namespace:
    return tuple(
        _DECODE.sub(lambda m: "%" if m.group() == "%25" else "/", label)
        for label in stored.split(SEPARATOR)
    )


def require_namespace(value: object, what: str = "namespace") -> Namespace:
    """A non-empty tuple (or list) of non-empty string labels, short enough to store."""
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise InvalidTypeError(f"{what} must be a tuple of strings, not {type(value).__name__}")
    if not value:
        raise InvalidNamespaceError(f"{what} must have at least one label")
    for label in value:
        require_label(label, what)
    namespace = tuple(value)
    encoded = encode(namespace)
    size = len(encoded.encode("utf-8"))
    if len(encoded) > MAX_NAMESPACE_LENGTH or size > MAX_NAMESPACE_LENGTH:
        raise InvalidNamespaceError(
            f"{what} is {size} bytes long stored; the limit is {MAX_NAMESPACE_LENGTH}"
        )
    return namespace


def require_label(label: object, what: str = "namespace") -> str:
    if not isinstance(label, str):
        raise InvalidTypeError(f"{what} labels must be strings, not {type(label).__name__}")
    if not label:
        raise InvalidNamespaceError(f"{what} labels must not be empty")
    if _UNSENDABLE.search(label):
        raise InvalidNamespaceError(
            f"{what} labels must not contain NUL characters or lone surrogates"
        )
    return label


def require_namespaces(values: Sequence[object], what: str = "namespaces") -> list[Namespace]:
    if isinstance(values, str | tuple) and values and all(isinstance(v, str) for v in values):
        # A lone namespace tuple passed where a list of them is expected.
        raise InvalidTypeError(f"{what} must be a list of namespace tuples")
    return [require_namespace(v, what) for v in values]


def like_literal(text: str) -> str:
    """``text`` as a ``LIKE`` pattern matching only itself (escape: `LIKE_ESCAPE`)."""
    out = []
    for char in text:
        if char in (LIKE_ESCAPE, "%", "_"):
            out.append(LIKE_ESCAPE)
        out.append(char)
    return "".join(out)


def below(namespace: Namespace) -> str:
    """The ``LIKE`` pattern of every namespace strictly under ``namespace``."""
    return like_literal(encode(namespace) + SEPARATOR) + "%"


def ending_with(suffix: Namespace) -> str:
    """The ``LIKE`` pattern of every namespace longer than ``suffix`` that ends with it."""
    return "%" + like_literal(SEPARATOR + encode(suffix))
