"""A small timing harness: warm-up, repeated runs, median and spread.

pyperf is the reference tool for single micro-benchmarks, but it runs each
benchmark in worker processes and does not fit a suite that starts servers and
peers; this harness does what the suite needs:

- CPU time of this process (``time.process_time``), not wall clock, so that
  another process on a busy machine does not move the numbers;
- garbage collection left on while timing (a collection before each run
  starts every run from the same heap), because a real server pays for it;
- :func:`compare` runs the sides of a comparison interleaved, one run of each
  per round, so that a machine that slows down or speeds up mid-run moves both
  sides alike instead of skewing the ratio.

Each result is the median of the runs, with the inter-quartile spread.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Result", "compare", "measure"]

#: The clock every in-process row uses: CPU seconds of this process.
CLOCK = time.process_time


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


def _result(name: str, times: list[float], units: float, unit: str) -> Result:
    times = sorted(times)
    quartiles = statistics.quantiles(times, n=4) if len(times) >= 2 else [times[0]] * 3
    return Result(
        name=name,
        median=statistics.median(times),
        q1=quartiles[0],
        q3=quartiles[2],
        runs=len(times),
        units=units,
        unit=unit,
    )


def _timed(func: Callable[[], object], setup: Callable[[], object] | None) -> float:
    if setup is not None:
        setup()
    gc.collect()
    start = CLOCK()
    func()
    return CLOCK() - start


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
    """CPU time of ``func``, ``repeat`` times (after ``setup`` each time, untimed)."""
    if warmup:
        if setup is not None:
            setup()
        func()
    times = [_timed(func, setup) for _ in range(repeat)]
    return _result(name, times, units, unit)


def compare(
    sides: Sequence[tuple[str, Callable[[], object]]],
    *,
    rounds: int = 7,
    units: float = 1.0,
    unit: str = "op",
    warmup: bool = True,
) -> list[Result]:
    """Time several sides of one comparison interleaved: each round runs every
    side once, in an order that rotates from round to round."""
    if warmup:
        for _, func in sides:
            func()
    times: list[list[float]] = [[] for _ in sides]
    for round_ in range(rounds):
        for offset in range(len(sides)):
            index = (round_ + offset) % len(sides)
            times[index].append(_timed(sides[index][1], None))
    return [_result(name, t, units, unit) for (name, _), t in zip(sides, times, strict=True)]
