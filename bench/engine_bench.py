"""Engine throughput on one core, for a mixed set of scenarios.

    python -m bench.engine_bench [--seconds N] [--write docs/PERFORMANCE.md]

Reports, for the scenarios in ``bench/scenarios.json`` (W-2 only, W-2 plus side business,
self-employed, S-corp, 457(b), two jobs, controlled group, unknown features):

- ``evaluate``: every figure and the verdict (the engine's evaluation);
- ``evaluate + words``: the same with warnings, next steps and trace worked out;
- ``evaluate + JSON``: the whole result as the CLI and API print it;
- ``parse + evaluate + JSON``: from JSON-like input to JSON text;
- ``household: evaluate``: married couples from ``bench/household_scenarios.json`` (both W-2,
  spousal IRA, a spouse on the owner's payroll, married filing separately), each evaluation one
  household (two people figured). The target is for a single person.

Rates are per second of this process's CPU time (``time.process_time``), so other work sharing
the machine's cores does not count against the engine; the wall-clock median is shown beside
them, with the load average when the run started.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine import evaluate, parse_scenario

HERE = Path(__file__).resolve().parent
TARGET = 20_000
HOUSEHOLDS = "household_scenarios.json"
START = "<!-- engine-bench:start -->"
END = "<!-- engine-bench:end -->"


def _load(name: str = "scenarios.json") -> list[Any]:
    text = (HERE / name).read_text(encoding="utf-8")
    data: list[Any] = json.loads(text, parse_float=Decimal)
    return data


Row = tuple[str, float, float, float]  # what, best and median per CPU second, median per second


def _rate(work: Callable[[], None], count: int, seconds: float) -> tuple[float, float, float]:
    """Best and median evaluations per second of CPU time over repeated rounds of ``seconds /
    5`` of CPU time, and the median per second of wall-clock time."""
    work()  # warm up
    rounds = []
    wall = []
    for _ in range(5):
        done = 0
        start, start_wall = time.process_time(), time.perf_counter()
        while True:
            work()
            done += count
            elapsed = time.process_time() - start
            if elapsed >= seconds / 5:
                break
        rounds.append(done / elapsed)
        wall.append(done / (time.perf_counter() - start_wall))
    return max(rounds), statistics.median(rounds), statistics.median(wall)


def run(seconds: float) -> list[Row]:
    raw = _load()
    scenarios = [parse_scenario(item) for item in raw]
    n = len(scenarios)

    def figures() -> None:
        for s in scenarios:
            evaluate(s)

    def words() -> None:
        for s in scenarios:
            r = evaluate(s)
            for m in r.next_steps:
                str(m)
            for w in r.warnings:
                _ = w.message
            for t in r.trace:
                _ = t.text

    def as_json() -> None:
        for s in scenarios:
            evaluate(s).to_json(indent=None)

    def from_input() -> None:
        for item in raw:
            evaluate(parse_scenario(item)).to_json(indent=None)

    households = [parse_scenario(item) for item in _load(HOUSEHOLDS)]

    def household() -> None:
        for s in households:
            evaluate(s)

    return [
        ("evaluate (figures and verdict)", *_rate(figures, n, seconds)),
        ("evaluate + words (warnings, next steps, trace)", *_rate(words, n, seconds)),
        ("evaluate + JSON", *_rate(as_json, n, seconds)),
        ("parse + evaluate + JSON", *_rate(from_input, n, seconds)),
        (
            "household: evaluate (figures and verdict, both spouses)",
            *_rate(household, len(households), seconds),
        ),
    ]


def table(rows: list[Row], scenario_count: int, load: float | None) -> str:
    cpu = platform.processor() or platform.machine()
    loaded = "" if load is None else f", load average {load:.1f} when it started"
    lines = [
        START,
        f"Measured {dt.date.today().isoformat()} on {cpu}, {os.cpu_count()} cores "
        f"(one used{loaded}), Python {platform.python_version()}; {scenario_count} mixed "
        f"scenarios (`bench/scenarios.json`), {len(_load(HOUSEHOLDS))} households "
        f"(`bench/{HOUSEHOLDS}`).",
        "Command: `python -m bench.engine_bench --write docs/PERFORMANCE.md`.",
        "",
        "| what | evaluations/s (CPU, best) | evaluations/s (CPU, median) "
        "| µs each (CPU, median) | evaluations/s (wall clock, median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, best, median, wall in rows:
        lines.append(
            f"| {name} | {best:,.0f} | {median:,.0f} | {1e6 / median:,.1f} | {wall:,.0f} |"
        )
    best_eval = rows[0][1]
    verdict = "met" if best_eval >= TARGET else "NOT met"
    lines += [
        "",
        f"Target ≥ {TARGET:,} evaluations/s on one core for a single person: **{verdict}** "
        f"({best_eval:,.0f}).",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    parser.add_argument("--write", type=Path, help="update the results table in this Markdown file")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rows = run(args.seconds)
    text = table(rows, len(_load()), load)
    print(text)
    if args.write:
        doc = args.write.read_text(encoding="utf-8")
        if START in doc and END in doc:
            before, rest = doc.split(START, 1)
            after = rest.split(END, 1)[1]
            doc = before + text + after
        else:
            doc = doc.rstrip() + "\n\n" + text + "\n"
        args.write.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
