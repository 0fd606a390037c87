"""The load generator: simulated people talking to a Telegram webhook, run as its own process.

    python -m bench.loadgen --url http://127.0.0.1:8000 --secret S --people 40 --seconds 12

Each person goes through the real question flow in order, as a person on Telegram would: /start,
then a tap on the tax year, typed answers, taps on the plan's features, ... to the result
(``FULL``, 13 updates), or only the first three (``SHORT``: /start, a tap, a typed answer) or
two (``START``: /start and a tap on the tax year).
Updates are shaped as Telegram sends them (messages with ``bot_command`` entities, callback
queries carrying ``a|question|value`` on the question's own message). A person posts an update
and waits for the webhook's answer before sending the next one; when they reach the end, a new
person (a new chat) starts.

Modes:

- closed loop (default): ``--people`` people at once, as fast as the webhook answers, for
  ``--seconds`` (the first ``--warmup`` seconds are not counted);
- fixed rate (``--rate R``): an update every 1/R seconds, handed to a person who is not waiting
  for an answer (a new person when all are); latency counts from the moment the update was due,
  so a server that falls behind shows it;
- count (``--conversations N``): N whole conversations, ``--people`` at a time, then stop.

Prints one JSON object: updates answered, rate, latency percentiles (ms), statuses, the
generator's own CPU use.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["FULL", "SHORT", "START", "Step", "percentile", "update_for"]

# (kind, value): "command" /start, "tap" a button's callback data, "text" a typed answer.
Step = tuple[str, str]

FULL: tuple[Step, ...] = (
    ("command", "/start"),
    ("tap", "a|tax_year|2026"),
    ("text", "45"),
    ("text", "1"),
    ("text", "$150,000"),
    ("tap", "a|job0.plan|401k"),
    ("tap", "a|job0.after_tax|yes"),
    ("tap", "a|job0.conversion|yes"),
    ("text", "no"),
    ("text", "max"),
    ("text", "7.5k"),
    ("tap", "a|filing_status|single"),
    ("text", "140000"),
)
SHORT: tuple[Step, ...] = FULL[:3]
START: tuple[Step, ...] = FULL[:2]
SCRIPTS = {"full": FULL, "short": SHORT, "start": START}

_update_ids = itertools.count(1_000)


def update_for(step: Step, index: int, chat: int, now: int) -> dict[str, Any]:
    """The Telegram update for a person's ``index``-th step. The bot's messages in a chat are
    numbered from 1: /start gets two (a welcome and the first question), every answer one (the
    next question), so the question a tap answers is message ``index + 1``."""
    kind, value = step
    update_id = next(_update_ids)
    person = {"id": chat, "is_bot": False, "first_name": "Sam"}
    if kind == "tap":
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": person,
                "chat_instance": str(chat),
                "data": value,
                "message": {
                    "message_id": index + 1,
                    "date": now,
                    "chat": {"id": chat, "type": "private"},
                    "text": "question",
                },
            },
        }
    message: dict[str, Any] = {
        "message_id": 100_000 + update_id,
        "date": now,
        "chat": {"id": chat, "type": "private"},
        "from": person,
        "text": value,
    }
    if kind == "command":
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(value)}]
    return {"update_id": update_id, "message": message}


def percentile(sorted_values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of already sorted values; 0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


@dataclass
class Person:
    chat: int
    script: tuple[Step, ...]
    index: int = 0

    @property
    def done(self) -> bool:
        return self.index >= len(self.script)


@dataclass
class Tally:
    window_start: float = 0.0
    window_end: float = float("inf")
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    not_empty: int = 0  # 2xx answers carrying a Bot API call (Telegram makes it)
    sent: int = 0
    conversations: int = 0
    last_answer: float = 0.0

    def record(self, started: float, finished: float, status: int, body: bytes) -> None:
        self.sent += 1
        self.last_answer = max(self.last_answer, finished)
        self.statuses[status] += 1
        if status == 200 and body.strip() != b"{}":
            self.not_empty += 1
        if self.window_start <= started and finished <= self.window_end:
            self.latencies.append(finished - started)


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.url = args.url.rstrip("/") + args.path
        self.headers = {
            "X-Telegram-Bot-Api-Secret-Token": args.secret,
            "Content-Type": "application/json",
        }
        self.script = SCRIPTS[args.script]
        self.chats = itertools.count(args.first_chat)
        self.tally = Tally()
        self.session: aiohttp.ClientSession | None = None
        self.args = args

    def new_person(self) -> Person:
        return Person(next(self.chats), self.script)

    async def post(self, person: Person, due: float | None = None) -> None:
        """Send the person's next update and wait for the answer."""
        assert self.session is not None
        step = person.script[person.index]
        update = update_for(step, person.index, person.chat, int(time.time()))
        body = json.dumps(update, separators=(",", ":")).encode()
        started = time.perf_counter() if due is None else due
        try:
            async with self.session.post(self.url, data=body, headers=self.headers) as response:
                answer = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            answer, status = b"", 0
        self.tally.record(started, time.perf_counter(), status, answer)
        person.index += 1
        if person.done:
            self.tally.conversations += 1

    async def closed_loop(self, seconds: float, warmup: float) -> float:
        start = time.perf_counter()
        self.tally.window_start = start + warmup
        end = start + seconds
        self.tally.window_end = end

        async def one() -> None:
            person = self.new_person()
            while time.perf_counter() < end:
                await self.post(person)
                if person.done:
                    person = self.new_person()

        await asyncio.gather(*(one() for _ in range(self.args.people)))
        return end - self.tally.window_start

    async def fixed_rate(self, rate: float, seconds: float, warmup: float) -> float:
        start = time.perf_counter() + 0.05
        self.tally.window_start = start + warmup
        self.tally.window_end = float("inf")
        idle: deque[Person] = deque()
        tasks: set[asyncio.Task[None]] = set()

        async def send(person: Person, due: float) -> None:
            await self.post(person, due)
            idle.append(self.new_person() if person.done else person)

        for n in itertools.count():
            due = start + n / rate
            if due >= start + seconds:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            person = idle.popleft() if idle else self.new_person()
            task = asyncio.create_task(send(person, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=self.args.timeout)
        # From the first counted update to the last answer: below the rate asked when the
        # server falls behind.
        return max(self.tally.last_answer, start + seconds) - self.tally.window_start

    async def count(self, conversations: int) -> float:
        started = time.perf_counter()
        self.tally.window_start = started
        todo = iter(range(conversations))

        async def one() -> None:
            for _ in todo:
                person = self.new_person()
                while not person.done:
                    await self.post(person)

        await asyncio.gather(*(one() for _ in range(self.args.people)))
        return time.perf_counter() - started

    async def run(self) -> dict[str, Any]:
        # At most --connections at once, as Telegram opens at most max_connections (40 as
        # registered by the app); updates due while all are busy wait their turn.
        connector = aiohttp.TCPConnector(limit=self.args.connections)
        timeout = aiohttp.ClientTimeout(total=self.args.timeout)
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self.session = session
            wall = time.perf_counter()
            if self.args.conversations:
                window = await self.count(self.args.conversations)
            elif self.args.rate:
                window = await self.fixed_rate(self.args.rate, self.args.seconds, self.args.warmup)
            else:
                window = await self.closed_loop(self.args.seconds, self.args.warmup)
            wall = time.perf_counter() - wall
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu_seconds = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        lat = sorted(self.tally.latencies)
        return {
            "updates": self.tally.sent,
            "conversations": self.tally.conversations,
            "counted": len(lat),
            "window_s": window,
            "per_s": len(lat) / window if window > 0 else 0.0,
            "p50_ms": percentile(lat, 50) * 1000,
            "p95_ms": percentile(lat, 95) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "max_ms": (lat[-1] * 1000) if lat else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.tally.statuses.items())},
            "not_empty": self.tally.not_empty,
            "generator_cpu": cpu_seconds / wall if wall > 0 else 0.0,
            "last_chat": next(self.chats) - 1,
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server's base URL")
    parser.add_argument("--path", default="/telegram/webhook")
    parser.add_argument("--secret", required=True, help="X-Telegram-Bot-Api-Secret-Token")
    parser.add_argument("--people", type=int, default=40, help="people talking at once")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of a timed run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not counted")
    parser.add_argument("--rate", type=float, default=0.0, help="updates/s (fixed-rate mode)")
    parser.add_argument("--conversations", type=int, default=0, help="count mode")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="full")
    parser.add_argument("--first-chat", type=int, default=10_000_000)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--connections", type=int, default=40, help="connections at most")
    args = parser.parse_args(argv)
    result = asyncio.run(Generator(args).run())
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
