"""The benchmark report: a run of some suites replaces their rows in
``results/latest.json`` and keeps the others', each with when it ran."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks._harness import Result


def _suite(monkeypatch: pytest.MonkeyPatch, name: str, median: float) -> None:
    module = types.ModuleType(f"fake_suite_{name}")
    module.run = lambda quick: [  # type: ignore[attr-defined]
        Result(name=f"{name}: one row", median=median, q1=median, q3=median, runs=3)
    ]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(run.SUITES, name, module.__name__)


def test_a_run_of_one_suite_keeps_the_other_suites_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _suite(monkeypatch, "alpha", 0.5)
    _suite(monkeypatch, "beta", 2.0)
    assert run.main(["--only", "alpha,beta", "--output", str(tmp_path)]) == 0
    first = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert set(first["runs"]) == {"alpha", "beta"}
    _suite(monkeypatch, "beta", 4.0)
    assert run.main(["--only", "beta", "--output", str(tmp_path)]) == 0
    payload = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert [(k, [r["median"] for r in v]) for k, v in payload["results"].items()] == [
        ("alpha", [0.5]),
        ("beta", [4.0]),
    ]
    assert payload["runs"]["alpha"] == first["runs"]["alpha"]
    report = (tmp_path / "RESULTS.md").read_text()
    assert "| alpha: one row | 500.00 ms |" in report
    assert "| beta: one row | 4.00 s |" in report
    # The header says when each suite ran, with the load average then.
    date, load = payload["runs"]["beta"]["date"], payload["runs"]["beta"]["load"]
    assert f"beta: {date}, load average {load}" in report or (
        f"alpha, beta: {date}, load average {load}" in report
    )
