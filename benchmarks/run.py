"""Run every benchmark and print the report; write RESULTS.md, a JSON file
and a plot only where asked.

    python -m benchmarks                          # the full suite (several minutes)
    python -m benchmarks --quick                  # under a minute, writes nothing
    python -m benchmarks --only parser,view
    python -m benchmarks --output benchmarks      # refresh the committed report

Peers run in the same process and the same run where one can do the same
work (pymap's parser and server; see each module), and the headline of each
comparison is the ratio.  Absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import pathlib
import platform
import sys
from collections.abc import Callable
from typing import Any

from ._harness import Result

HERE = pathlib.Path(__file__).resolve().parent

#: name -> module with ``run(quick: bool) -> list[Result]``.
SUITES = {
    "core": "benchmarks.bench_core",
    "startup": "benchmarks.bench_startup",
    "parser": "benchmarks.bench_parser",
    "view": "benchmarks.bench_view",
    "session": "benchmarks.bench_session",
    "fetch": "benchmarks.bench_fetch",
    "e2e": "benchmarks.bench_e2e",
    "hostile": "benchmarks.bench_hostile",
    "concurrency": "benchmarks.bench_concurrency",
    "big": "benchmarks.bench_big",
    "postgres": "benchmarks.bench_postgres",
    "dovecot": "benchmarks.bench_dovecot",
}


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _format_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _per_unit(result: Result) -> str:
    value = result.per_unit
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms/{result.unit}"
    if value >= 1e-6:
        return f"{value * 1e6:.2f} µs/{result.unit}"
    return f"{value * 1e9:.1f} ns/{result.unit}"


def _row(r: Result) -> str:
    kind = r.extra.get("kind")
    if kind == "memory":
        per_message = r.extra["per_message"]
        return f"| {r.name} | {r.median / 1024:,.1f} KiB | | {per_message:.1f} B/message | |"
    if kind == "calls":
        return f"| {r.name} | {r.median:,.0f} Python calls | | {r.extra['c_calls']:,} C calls | |"
    return (
        f"| {r.name} | {_format_time(r.median)} | {_format_time(r.q1)} - "
        f"{_format_time(r.q3)} | {_per_unit(r)} | {r.rate:,.0f} {r.unit}/s |"
    )


def _when(runs: dict[str, dict[str, str]], suites: list[str]) -> str:
    """When each suite last ran and the load average then (suites that ran
    together named together)."""
    by_run: dict[tuple[str, str], list[str]] = {}
    for suite in suites:
        run = runs.get(suite, {})
        by_run.setdefault((run.get("date", "?"), run.get("load", "?")), []).append(suite)
    return "; ".join(
        f"{', '.join(names)}: {date}, load average {load}"
        for (date, load), names in sorted(by_run.items())
    )


def _markdown(
    machine: dict[str, str],
    results: dict[str, list[Result]],
    quick: bool,
    runs: dict[str, dict[str, str]] | None = None,
) -> str:
    when = _when(runs, list(results)) if runs else machine["date"]
    lines = [
        "# Benchmark results",
        "",
        f"Run with `python -m benchmarks{' --quick' if quick else ''}` "
        f"({when}; the load average is that of the whole machine, "
        f"{machine['cores']} cores, over the run): "
        f"{machine['implementation']} {machine['python']}, {machine['cpu']}, {machine['system']}.",
        "",
        "Each row is the median of several timed runs after a warm-up; the spread is the",
        "inter-quartile range.  In-process rows are CPU time of this process",
        "(`time.process_time`) with garbage collection on; the sides of a comparison",
        "run interleaved, one run of each per round.  Ratios compare with a peer",
        "measured in the same run.",
        "",
        "The session rows are a selected session answered through `IMAPServer.connect()`",
        "(and the engine alone, every command answered with a bare OK) at 100 / 10k /",
        "100k messages; their peer is pymap's parser on the same command lines.  The",
        "memory rows there are what one idle selected session holds (tracemalloc), the",
        "calls rows the Python function calls one command makes (`sys.setprofile`).",
        "",
        "Reading the numbers: FETCH over 1,000 messages runs warm in the server's cache",
        "of parsed messages (2,000 entries), over 10,000 it runs cold, so the 10,000 rows",
        "are the cost of parsing every message; pymap's runs are warm in both.  The e2e",
        "rows run a fixed command mix of 20 clients on loopback and report the server",
        "process's CPU time per 1,000 commands (a server that does not saturate its",
        "core would make wall clock time the client); the memory rows are RSS per idle",
        "logged-in connection.  The plot (cost_per_unit.png) shows cost per unit at",
        "sizes 10x apart.",
        "",
        "The load rows (suite postgres) run the same e2e mix on every store, pymap and",
        "the one-lock server in turn, round by round; their own table gives wall-clock",
        "commands/s and per-round ratios.  The server CPU of the PostgreSQL rows is the",
        "imap-sansio processes' only, not the database's.  The concurrency rows time a",
        "store that waits 5 ms in every call, per runtime; their table gives the",
        "20-client over 1-client rate of each round, with its spread.",
        "",
        "The dovecot rows (when Debian's dovecot is installed) run the same e2e mix",
        "with persistent sessions on this server's memory and Maildir stores and on",
        "Dovecot's Maildir (same disk), interleaved round by round; the rows give",
        "wall-clock time per command (commands/s in the rate column) and the ratio",
        "is the rate beside Dovecot's in the same rounds.  Dovecot has no store in",
        "memory, so the memory row is compared with its Maildir too.  One process of",
        "this server uses one core (Python's global lock) while Dovecot runs a process",
        'per session: the "Maildir, 2 processes" row serves the same Maildir from two',
        "`serve` processes on one port (`--reuse-port`), one per core.  The APPEND and",
        "FETCH rows are MiB/s of one client per server, the three servers taking turns",
        "round by round (the ratio is the median of the rounds' ratios); their table",
        "gives each server's CPU per MiB.  Both Maildirs fsync each message and its",
        "directory (Dovecot's default `mail_fsync = optimized`).",
        "",
    ]
    ratios = [
        (r.name, r.extra["peer"], r.extra["ratio_vs_peer"])
        for group in results.values()
        for r in group
        if "ratio_vs_peer" in r.extra
    ]
    if ratios:
        lines += [
            "## Headline: ratios to peers",
            "",
            "Ratio = the peer's cost / ours: above 1 we are faster (or, for memory rows,",
            "smaller); below 1 the peer is.",
            "",
            "| benchmark | peer | ratio |",
        ]
        lines += ["|---|---|---|"]
        lines += [f"| {name} | {peer} | **{ratio:.2f}x** |" for name, peer, ratio in ratios]
        lines.append("")
    for suite, group in results.items():
        lines += [f"## {suite}", "", "| benchmark | median | spread (q1-q3) | per unit | rate |"]
        lines += ["|---|---|---|---|---|"]
        for r in group:
            lines.append(_row(r))
        lines.append("")
        # A suite may also give each row a table of its own (its columns in
        # extra["table_row"]), for numbers the generic columns cannot hold.
        rows = [r.extra["table_row"] for r in group if "table_row" in r.extra]
        if rows:
            lines += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
            lines += ["| " + " | ".join(row.values()) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


def _plot(results: dict[str, list[Result]], path: pathlib.Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: dict[str, list[tuple[float, float]]] = {}
    for group in results.values():
        for r in group:
            size = r.extra.get("size")
            if size is None:
                continue
            series.setdefault(r.extra.get("series", r.name), []).append((size, r.per_unit))
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(11, 5.5))
    colors = plt.get_cmap("tab20").colors
    for index, (label, points) in enumerate(sorted(series.items())):
        points.sort()
        ax.plot(
            [p[0] for p in points],
            [p[1] * 1e9 for p in points],
            marker="o",
            label=label,
            color=colors[index % len(colors)],
            linestyle="--" if label.startswith("pymap") else "-",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input size (bytes, commands or messages)")
    ax.set_ylabel("cost per unit (ns)")
    ax.set_title("imap-sansio: cost per unit stays flat when work grows 10x")
    ax.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def _rewrite(source: pathlib.Path, out: pathlib.Path) -> int:
    payload = json.loads(source.read_text())
    results: dict[str, list[Result]] = {}
    for suite, rows in payload["results"].items():
        results[suite] = []
        for row in rows:
            fields = {k: v for k, v in row.items() if k not in ("per_unit", "rate")}
            results[suite].append(Result(**fields))
    report = _markdown(payload["machine"], results, payload["quick"], payload.get("runs"))
    (out / "RESULTS.md").write_text(report)
    _plot(results, out / "cost_per_unit.png")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--only", default="", help="comma-separated suites: " + ",".join(SUITES))
    parser.add_argument(
        "--output",
        default="",
        metavar="DIR",
        help="write RESULTS.md, results/latest.json and the plot to DIR "
        f"(the committed report is in {HERE.name}/; default: print the report only)",
    )
    parser.add_argument(
        "--from-json", default="", help="rewrite RESULTS.md and the plot from a results file"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        if not args.output:
            parser.error("--from-json needs --output DIR")
        return _rewrite(pathlib.Path(args.from_json), pathlib.Path(args.output))
    wanted = [s for s in args.only.split(",") if s] or list(SUITES)
    results: dict[str, list[Result]] = {}
    runs: dict[str, dict[str, str]] = {}
    for suite in wanted:
        try:
            module = importlib.import_module(SUITES[suite])
        except ModuleNotFoundError as exc:
            print(f"{suite}: skipped ({exc})", file=sys.stderr)
            continue
        run: Callable[[bool], list[Result]] = module.run
        print(f"{suite} ...", file=sys.stderr, flush=True)
        start = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        load_before = os.getloadavg()[0]
        results[suite] = run(args.quick)
        runs[suite] = {"date": start, "load": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}"}
        for r in results[suite]:
            ratio = r.extra.get("ratio_vs_peer")
            extra = f"  ({ratio:.2f}x peer)" if ratio is not None else ""
            print(f"  {_row(r)}{extra}", file=sys.stderr)
    machine = _machine()
    if not args.output:
        # A quick or partial run must not replace the committed report.
        print(_markdown(machine, results, args.quick, runs))
        return 0
    out = pathlib.Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    latest = out / "results" / "latest.json"
    merged: dict[str, list[dict[str, Any]]] = {}
    merged_runs: dict[str, dict[str, str]] = {}
    if latest.exists() and not args.quick:
        # A run of some suites replaces theirs and keeps the others' rows
        # (each with the date and load of its own run), in the suites' order.
        old = json.loads(latest.read_text())
        if not old.get("quick"):
            merged = old["results"]
            merged_runs = old.get("runs", {})
    merged.update({k: [r.as_dict() for r in v] for k, v in results.items()})
    merged_runs.update(runs)
    order = [s for s in SUITES if s in merged] + [s for s in merged if s not in SUITES]
    payload = {
        "machine": machine,
        "quick": args.quick,
        "runs": {k: merged_runs[k] for k in order if k in merged_runs},
        "results": {k: merged[k] for k in order},
    }
    latest.write_text(json.dumps(payload, indent=2))
    _rewrite(latest, out)
    print(f"wrote {out / 'RESULTS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
