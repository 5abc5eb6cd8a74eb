"""A small timing harness: warm-up, repeated runs, median and spread.

pyperf is the reference tool for single micro-benchmarks, but it runs each
benchmark in worker processes and does not fit a suite that starts servers and
peers; this harness does what the suite needs: one warm-up, ``repeat`` timed
runs with ``time.perf_counter``, median and inter-quartile spread, garbage
collection disabled while timing.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Result", "measure"]


@dataclass
class Result:
    name: str
    #: Seconds per run.
    median: float
    q1: float
    q3: float
    runs: int
    #: Work done per run (bytes, commands, messages), for per-unit costs.
    units: float = 1.0
    unit: str = "op"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_unit(self) -> float:
        return self.median / self.units if self.units else float("nan")

    @property
    def rate(self) -> float:
        return self.units / self.median if self.median else float("inf")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_unit"] = self.per_unit
        data["rate"] = self.rate
        return data


def measure(
    name: str,
    func: Callable[[], object],
    *,
    repeat: int = 5,
    units: float = 1.0,
    unit: str = "op",
    setup: Callable[[], object] | None = None,
    warmup: bool = True,
) -> Result:
    """Time ``func`` ``repeat`` times (after ``setup`` each time, untimed)."""
    if warmup:
        if setup is not None:
            setup()
        func()
    times: list[float] = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    times.sort()
    quartiles = statistics.quantiles(times, n=4) if len(times) >= 2 else [times[0]] * 3
    return Result(
        name=name,
        median=statistics.median(times),
        q1=quartiles[0],
        q3=quartiles[2],
        runs=repeat,
        units=units,
        unit=unit,
    )
