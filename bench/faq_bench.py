"""FAQ matching time on one core: ``faq.answer`` for each question of the project's question set
(``tests/conversations/faq_questions.yaml``) and every entry's example questions, with all
entries loaded and the index built.

    python -m bench.faq_bench [--rounds N] [--write docs/PERFORMANCE.md]

Times are the thread's CPU time (``time.thread_time``), so other processes on a shared machine
don't count; each question is matched ``--rounds`` times and its time is the median of those.
Reports the median, p99 and worst of those per-question times (declines and misses included,
rendering the reply included), the p99 of every single match, and the time to load the entries
and build the index once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from pathlib import Path

import yaml

from conversations import faq

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE.parent / "tests" / "conversations" / "faq_questions.yaml"
START = "<!-- faq-bench:start -->"
END = "<!-- faq-bench:end -->"
FIGURES = {"tax_year": "2026", "age": "52", "catch_up_limit": "$8,000"}


def _questions() -> list[str]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    asked = [str(q) for part in ("tuning", "held_out") for q, _ in data[part]]
    examples = [x for entry in faq.load_entries() for x in entry.examples]
    return asked + examples


def run(rounds: int) -> dict[str, float]:
    start = time.perf_counter()
    faq.load_entries.cache_clear()
    faq._index.cache_clear()
    faq._index()
    build_ms = (time.perf_counter() - start) * 1000
    questions = _questions()
    for question in questions:  # warm up: templates compiled once, as in a running worker
        faq.answer(question, FIGURES)
    rounds_ms: list[list[float]] = [[] for _ in questions]
    for _ in range(rounds):
        for n, question in enumerate(questions):
            begin = time.thread_time()
            faq.answer(question, FIGURES)
            rounds_ms[n].append((time.thread_time() - begin) * 1000)
    each = sorted(statistics.median(ms) for ms in rounds_ms)
    every = sorted(m for ms in rounds_ms for m in ms)
    return {
        "questions": len(questions),
        "matches": len(every),
        "build_ms": build_ms,
        "median_ms": statistics.median(each),
        "p99_ms": each[int(len(each) * 0.99) - 1],
        "max_ms": each[-1],
        "p99_every_ms": every[int(len(every) * 0.99) - 1],
    }


def table(result: dict[str, float]) -> str:
    today = dt.date.today().isoformat()
    return "\n".join(
        [
            f"Measured {today} on {platform.machine()}, {os.cpu_count()} cores (one used), "
            f"Python {platform.python_version()}; {int(result['questions'])} questions (the "
            f"question set and every entry's examples), {int(result['matches']):,} matches, "
            f"{len(faq.load_entries())} entries.",
            "Command: `python -m bench.faq_bench --write docs/PERFORMANCE.md`.",
            "",
            "| what | median ms | p99 ms | max ms |",
            "|---|---:|---:|---:|",
            f"| match one question and render the reply (CPU; each question's median of "
            f"{int(result['matches'] // result['questions'])} runs) | {result['median_ms']:.3f} | "
            f"{result['p99_ms']:.3f} | {result['max_ms']:.3f} |",
            f"| the same, every single run | | {result['p99_every_ms']:.3f} | |",
            f"| load the entries and build the index (once per worker) | "
            f"{result['build_ms']:.0f} | | |",
        ]
    )


def write(path: Path, text: str) -> None:
    page = path.read_text(encoding="utf-8")
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    path.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file")
    args = parser.parse_args()
    text = table(run(args.rounds))
    print(text)
    if args.write:
        write(args.write, text)


if __name__ == "__main__":
    main()
