"""What a run produces: latency rows, scaling figures, targets, and their JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.langgraph_bench import LangGraphRow

OURS = "locus_store"
FLOOR = "floor"
#: Our store with durability="normal" (next to OURS, the default "full"), on "save 4 KB".
RELAXED = "locus_store, normal"


@dataclass
class Row:
    """One implementation of one operation on one backend."""

    backend: str
    operation: str
    implementation: str
    median_us: float
    p95_us: float
    ops_per_s: float
    samples: int
    #: On our rows: our median / the floor's median.
    vs_floor: float | None = None
    #: On peer rows: our median / this peer's median (below 1.0: we are faster).
    ours_vs_this: float | None = None


@dataclass
class Scaling:
    """The same read on a short and a long history (index-bound reads stay flat)."""

    backend: str
    operation: str
    small: int
    large: int
    small_median_us: float
    large_median_us: float

    @property
    def ratio(self) -> float:
        return self.large_median_us / self.small_median_us


@dataclass
class Concurrency:
    """Throughput of one task against many tasks sharing a small pool."""

    backend: str
    workload: str
    tasks: int
    pool_size: int
    operations: int
    single_ops_per_s: float
    concurrent_ops_per_s: float
    #: Client CPU (``time.process_time``) per operation over the same rounds as the
    #: throughput, medians, in µs: with one task, and with ``tasks`` tasks.
    single_cpu_us_per_op: float | None = None
    concurrent_cpu_us_per_op: float | None = None

    @property
    def ratio(self) -> float:
        return self.concurrent_ops_per_s / self.single_ops_per_s

    @property
    def client_ceiling_ops_per_s(self) -> float | None:
        """Operations per second if the client's one core were the only limit (``tasks`` tasks).

        The client is one Python thread, so it can use at most one core whatever the
        server does: ``1e6 / concurrent_cpu_us_per_op``.
        """
        if not self.concurrent_cpu_us_per_op:
            return None
        return 1e6 / self.concurrent_cpu_us_per_op


@dataclass
class Memory:
    """tracemalloc peak while saving then loading one large state."""

    backend: str
    implementation: str
    payload_bytes: int
    save_peak_bytes: int
    load_peak_bytes: int

    @property
    def ratio(self) -> float:
        return max(self.save_peak_bytes, self.load_peak_bytes) / self.payload_bytes


@dataclass
class Target:
    """One target of the issue, as measured in this run."""

    name: str
    measured: float
    limit: float
    #: "max": measured must stay at or below the limit; "below": strictly below;
    #: "min": at or above.
    kind: str

    @property
    def met(self) -> bool:
        if self.kind == "max":
            return self.measured <= self.limit
        if self.kind == "below":
            return self.measured < self.limit
        return self.measured >= self.limit


@dataclass
class Report:
    mode: str
    machine: dict[str, Any] = field(default_factory=dict)
    #: The table prefix each backend ran under (all dropped at the end).
    prefixes: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    scaling: list[Scaling] = field(default_factory=list)
    concurrency: list[Concurrency] = field(default_factory=list)
    memory: list[Memory] = field(default_factory=list)
    langgraph: list[LangGraphRow] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0

    def find(self, backend: str, operation: str, implementation: str) -> Row | None:
        for row in self.rows:
            if (row.backend, row.operation, row.implementation) == (
                backend,
                operation,
                implementation,
            ):
                return row
        return None

    def to_json(self) -> dict[str, Any]:
        def with_ratio(item: Any) -> dict[str, Any]:
            data = asdict(item)
            if hasattr(item, "ratio"):
                data["ratio"] = item.ratio
            if hasattr(item, "met"):
                data["met"] = item.met
            return data

        return {
            "mode": self.mode,
            "seconds": round(self.seconds, 1),
            "machine": self.machine,
            "prefixes": self.prefixes,
            "rows": [asdict(r) for r in self.rows],
            "scaling": [with_ratio(s) for s in self.scaling],
            "concurrency": [
                {**with_ratio(c), "client_ceiling_ops_per_s": c.client_ceiling_ops_per_s}
                for c in self.concurrency
            ],
            "memory": [with_ratio(m) for m in self.memory],
            "langgraph": [asdict(r) for r in self.langgraph],
            "targets": [with_ratio(t) for t in self.targets],
        }
