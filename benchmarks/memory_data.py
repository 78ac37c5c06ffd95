"""The long-term memory corpus: items with a text, a searchable code and a 384-dim vector.

Everything is made with ``random`` and a fixed seed (numpy is not a dependency),
so every contender of a run stores the same items and every run the same corpus.

- **Text**: about 20 words of the benchmarks' vocabulary, an item id (``item123x``,
  so the embedder can find the item's vector from whatever text a store hands it)
  and one code out of ``count // 2`` (``zq45x``): a code names about two items of
  a namespace, so a one-word query for it is selective and answered alike by
  substring matching, FTS5 and PostgreSQL full-text search.
- **Vectors**: unit vectors, clustered the way text embeddings are rather than
  uniform on the sphere (where an approximate index does worst and real
  embeddings never are): each is one of 64 topic centres moved along that topic's
  own 8 random directions (Gaussian weights, sigma 0.3) and a little (sigma 0.1)
  along one of 512 shared ones, normalised: 64 clusters of intrinsic dimension
  about 8 in 384 dimensions. Queries come from the
  same distribution with another seed. Stored as ``array("f")`` (float32, what
  pgvector and the SQLite BLOBs store), one object shared by every contender.
"""

from __future__ import annotations

import math
import os
import random
import re
import sys
import tempfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.payloads import VOCABULARY

DIMS = 384
TOPICS = 64
#: Each topic's items vary along this many directions of their own (a low-dimensional
#: sheet around the topic's centre, as embeddings of related texts do) ...
SUBSPACE = 8
SPREAD = 0.3
#: ... plus a little noise along one of these shared directions.
DIRECTIONS = 512
NOISE = 0.1
#: The namespaces of a run: the big and the small corpus, the five of ``search_many``,
#: and where puts go. The first element is the tenant (``PgMemory`` wants one).
BIG = ("bench", "corpus", "big")
SMALL = ("bench", "corpus", "small")
PUTS = ("bench", "puts")
BATCHES = ("bench", "batches")
MANY = tuple(
    ("bench", "user", "u1", kind) for kind in ("facts", "prefs", "events", "notes", "todo")
)

_ITEM = re.compile(r"item(\d+)x")
_QUERY = re.compile(r"query(\d+)x")


@dataclass(frozen=True)
class Item:
    namespace: tuple[str, ...]
    key: str
    #: The stored value: ``{"text": ..., "kind": ..., "source": ..., "confidence": ...}``.
    value: dict[str, Any]
    #: Index into :attr:`Corpus.vectors`.
    vector: int

    @property
    def text(self) -> str:
        return str(self.value["text"])


@dataclass
class Corpus:
    items: list[Item]
    vectors: list[array[float]]
    queries: list[array[float]]
    dims: int

    def of(self, namespace: tuple[str, ...]) -> list[Item]:
        return [i for i in self.items if i.namespace == namespace]

    def vector_of(self, text: str) -> array[float]:
        """The vector of an item's text, or of a query's text (``query<n>x``)."""
        found = _ITEM.search(text)
        if found is not None:
            return self.vectors[int(found.group(1))]
        found = _QUERY.search(text)
        if found is not None:
            return self.queries[int(found.group(1))]
        raise KeyError(f"no item or query id in {text[:80]!r}")


def query_text(index: int) -> str:
    """The text a store embeds for query vector ``index`` (the embedder maps it back)."""
    return f"query{index}x"


def code(namespace_size: int, item: int) -> str:
    return f"zq{item % max(2, namespace_size // 2)}x"


def memory_value(rng: random.Random, item: int, code_word: str) -> dict[str, Any]:
    words = [rng.choice(VOCABULARY) for _ in range(20)]
    words.insert(rng.randrange(len(words)), code_word)
    words.append(f"item{item}x")
    return {
        "text": " ".join(words),
        "kind": rng.choice(("fact", "preference", "event", "note")),
        "source": "conversation",
        "confidence": round(rng.random(), 3),
    }


def _unit(values: Sequence[float]) -> list[float]:
    norm = math.hypot(*values)
    return [v / norm for v in values]


def _gaussian(rng: random.Random, dims: int) -> list[float]:
    return [rng.gauss(0.0, 1.0) for _ in range(dims)]


def vectors(count: int, dims: int = DIMS, *, seed: int = 11) -> list[array[float]]:
    """``count`` clustered unit vectors (see the module docstring), cached in the temp dir.

    Making 100,000 takes some 20 s of pure Python; the cache (float32, keyed by
    every parameter) makes the next run's set-up read them back instead.
    """
    cache = Path(tempfile.gettempdir()) / (
        f"locusbench-vectors-v2-{count}-{dims}-{seed}-{TOPICS}-{SUBSPACE}-{SPREAD}-{NOISE}.f32"
    )
    if cache.exists() and cache.stat().st_size == count * dims * 4:
        flat = array("f")
        flat.frombytes(cache.read_bytes())
        return [flat[i * dims : (i + 1) * dims] for i in range(count)]
    shape = random.Random(1)  # the same topics and directions for items and queries
    centres = [_unit(_gaussian(shape, dims)) for _ in range(TOPICS)]
    bases = [[_unit(_gaussian(shape, dims)) for _ in range(SUBSPACE)] for _ in range(TOPICS)]
    directions = [_unit(_gaussian(shape, dims)) for _ in range(DIRECTIONS)]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        topic = rng.randrange(TOPICS)
        mixed = list(centres[topic])
        for basis in bases[topic]:
            w = rng.gauss(0.0, SPREAD)
            mixed = [x + w * y for x, y in zip(mixed, basis)]  # noqa: B905
        w = rng.gauss(0.0, NOISE)
        noise = directions[rng.randrange(DIRECTIONS)]
        mixed = [x + w * y for x, y in zip(mixed, noise)]  # noqa: B905
        inverse = 1.0 / math.hypot(*mixed)
        out.append(array("f", [x * inverse for x in mixed]))
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as sink:
        for vector in out:
            vector.tofile(sink)
    partial.replace(cache)
    return out


def corpus(big: int, small: int, per_namespace: int, queries: int, dims: int = DIMS) -> Corpus:
    """``big`` + ``small`` items in two namespaces and ``per_namespace`` in each of ``MANY``."""
    rng = random.Random(7)
    items: list[Item] = []
    layout = [(BIG, big), (SMALL, small), *((ns, per_namespace) for ns in MANY)]
    for namespace, size in layout:
        for i in range(size):
            index = len(items)
            value = memory_value(rng, index, code(size, i))
            items.append(Item(namespace, f"m{i}", value, index))
    return Corpus(items, vectors(len(items), dims), vectors(queries, dims, seed=13), dims)


def selective_query(namespace_size: int, n: int = 7) -> str:
    """A one-word query naming about two items of a namespace of ``namespace_size``."""
    return f"zq{n % max(2, namespace_size // 2)}x"


def pgvector_binary(vector: Sequence[float]) -> bytes:
    """pgvector's binary input format: dims (int16), unused (int16), float4s, big-endian."""
    values = array("f", vector)
    if sys.byteorder == "little":
        values.byteswap()
    return len(values).to_bytes(2, "big") + b"\0\0" + values.tobytes()


def pgvector_from_binary(data: bytes) -> list[float]:
    values = array("f")
    values.frombytes(data[4:])
    if sys.byteorder == "little":
        values.byteswap()
    return values.tolist()


def pgvector_text(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def cosine_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """1 - cos(a, b); both unit vectors in this corpus, so 1 - a.b."""
    return 1.0 - math.fsum(x * y for x, y in zip(a, b, strict=True))


def recall_at(found: Sequence[str], truth: Sequence[str], k: int = 10) -> float:
    return len(set(found[:k]) & set(truth[:k])) / min(k, len(truth)) if truth else 1.0
