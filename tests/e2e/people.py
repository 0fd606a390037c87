"""Simulated people for the load, crash and scale-out tests.

A person's script is worked out in-process with the real step function: they answer whatever
question comes next with a valid answer (typed, as a number for a choice, or a word), now and
then go back, ask for the summary or ask a question, and stop at the result. The same
simulation gives the answer log the database must hold afterwards, entry for entry.

Over HTTP they behave like Telegram: each update is posted to the webhook until it gets a 2xx
(a refused connection, a timeout or a 5xx means "deliver again, same update_id"), the next
update of a chat only after the previous one was taken, and — when asked — an update already
taken is delivered a second time.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
from sqlalchemy import select

from conversations.flow import Ask, Incoming, Problem, ResultReply, State, step
from conversations.storage import Storage, user_key
from conversations.storage.tables import conversation_t
from engine.result import to_jsonable
from tests.support import updates
from tests.support.stored import answer_log

__all__ = ["Delivery", "Person", "Webhook", "compare_received", "crowd", "stored_log"]

# Tried in order for a typed question until one is taken.
_TYPED = ("150000", "max", "52", "12000", "5000", "2026", "0", "1", "no", "yes")
_ASIDES = ("summary", "help", "what is the pro-rata rule?")


@dataclass
class Person:
    chat: int
    texts: list[str] = field(default_factory=list)
    expected: list[tuple[str, str | None, str]] = field(default_factory=list)
    # filled in as the person goes
    delivered: int = 0  # updates taken (2xx)
    attempts: int = 0  # POSTs, retries included
    duplicates: int = 0  # updates delivered a second time on purpose
    latencies: list[float] = field(default_factory=list)

    @classmethod
    def simulate(cls, chat: int, seed: int, max_turns: int = 120) -> Person:
        """A person with a script that ends at the result, and the log it should leave."""
        rng = random.Random(seed)
        person = cls(chat)
        state = State()
        outcome = person._step(state, "/start")
        while len(person.texts) < max_turns:
            if any(isinstance(r, ResultReply) for r in outcome.replies):
                return person
            ask = next(r for r in reversed(outcome.replies) if isinstance(r, Ask))
            if person.texts[-1] not in _ASIDES and rng.random() < 0.12:
                outcome = person._step(outcome.state, rng.choice(_ASIDES))
                continue
            if ask.number > 2 and person.texts[-1] != "back" and rng.random() < 0.08:
                outcome = person._step(outcome.state, "back")
                continue
            outcome = person._answer(outcome.state, ask, rng)
        raise AssertionError(f"seed {seed}: no result after {max_turns} turns: {person.texts}")

    def _answer(self, state: State, ask: Ask, rng: random.Random) -> Any:
        if ask.choices:
            options = [str(n) for n in range(1, len(ask.choices) + 1)]
            options += [value for value, _ in ask.choices]
            rng.shuffle(options)
        else:
            options = list(_TYPED)
            if ask.question_id == "age":
                options.insert(0, str(rng.randint(25, 72)))
            elif rng.random() < 0.5:
                options.insert(0, f"{rng.randint(20, 400)}k")
        for text in options:
            trial = step(State.from_json(state.to_json()), _incoming(text))
            if not any(isinstance(r, Problem) for r in trial.replies) and trial.log:
                return self._step(state, text)
        raise AssertionError(f"no typed answer is taken for {ask.question_id}")

    def _step(self, state: State, text: str) -> Any:
        outcome = step(state, _incoming(text))
        self.texts.append(text)
        self.expected += [(e.action, e.question_id, _canon(e.value)) for e in outcome.log]
        return outcome


def _incoming(text: str) -> Incoming:
    return Incoming(command="start") if text == "/start" else Incoming(text=text)


def _canon(value: Any) -> str:
    return json.dumps(to_jsonable(value), sort_keys=True)


class Webhook:
    """Posts updates to a server's webhook the way Telegram does (see the module's text)."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        first_update_id: int = 1,
        carry_out: Callable[[bytes], Awaitable[object]] | None = None,
    ) -> None:
        self.base_url = base_url
        self.secret = secret
        # Makes the Bot API call a webhook answer names, as Telegram does (the double's
        # ``carry_out``); None to drop such calls.
        self.carry_out = carry_out
        self._next_id = first_update_id
        self.client = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(30.0, connect=2.0), limits=_LIMITS
        )
        self.retried = 0  # deliveries that failed and were made again
        self.statuses: dict[int, int] = {}

    def new_update(self, person: Person, text: str) -> dict[str, Any]:
        update_id = self._next_id
        self._next_id += 1
        return updates.message(text, chat=person.chat, update_id=update_id, message_id=update_id)

    async def deliver(self, person: Person, update: dict[str, Any], deadline: float) -> None:
        """Post until a 2xx, like Telegram; raise once ``deadline`` (monotonic) has passed."""
        while True:
            person.attempts += 1
            started = time.perf_counter()
            try:
                response = await self.client.post(
                    "/telegram/webhook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": self.secret},
                )
            except httpx.TransportError:
                status = 0
            else:
                status = response.status_code
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                person.latencies.append(time.perf_counter() - started)
                if self.carry_out is not None:
                    await self.carry_out(response.content)
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"update {update['update_id']} not taken: last status {status}")
            self.retried += 1
            await asyncio.sleep(0.1)

    async def run(
        self,
        person: Person,
        deadline: float,
        *,
        duplicate_every: int = 0,
        race_every: int = 0,
        pause: float = 0.0,
    ) -> None:
        """The person's whole script, in order; every ``duplicate_every``-th update is
        delivered again once taken (as Telegram does after a lost acknowledgement), every
        ``race_every``-th is delivered twice at the same time from the start."""
        for n, text in enumerate(person.texts, start=1):
            update = self.new_update(person, text)
            if race_every and n % race_every == 0:
                # Delivered twice at once, on two connections (often two workers).
                await asyncio.gather(
                    self.deliver(person, update, deadline),
                    self.deliver(person, update, deadline),
                )
                person.duplicates += 1
            else:
                await self.deliver(person, update, deadline)
            person.delivered += 1
            if duplicate_every and n % duplicate_every == 0:
                await self.deliver(person, update, deadline)
                person.duplicates += 1
            if pause:
                await asyncio.sleep(pause)

    async def aclose(self) -> None:
        await self.client.aclose()


_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)


def crowd(count: int, *, first_chat: int, seed: int) -> list[Person]:
    return [Person.simulate(first_chat + n, seed * 100_003 + n) for n in range(count)]


async def stored_log(storage: Storage, secret: str, person: Person) -> list[tuple[str, Any, str]]:
    """The answer log the database holds for the person's Telegram conversation."""
    key = user_key("telegram", person.chat, secret)
    async with storage.engine.connect() as conn:
        ids = (
            await conn.scalars(
                select(conversation_t.c.id).where(
                    conversation_t.c.channel == "telegram", conversation_t.c.user_key == key
                )
            )
        ).all()
    assert len(ids) == 1, f"chat {person.chat}: {len(ids)} conversations"
    return [(e.action, e.question_id, _canon(e.value)) for e in await answer_log(storage, ids[0])]


@dataclass
class Delivery:
    """How one chat's received messages compare with a fault-free run of the same person."""

    lost: list[str] = field(default_factory=list)  # expected, never received (in order)
    repeated: list[str] = field(default_factory=list)  # received again: at-least-once
    unexpected: list[str] = field(default_factory=list)  # received, never expected at all


def compare_received(expected: list[str], received: list[str]) -> Delivery:
    """Match ``expected`` (the fault-free run's messages, in order) as a subsequence of
    ``received``: what is left over of ``expected`` was lost or came out of order; what is
    left over of ``received`` is a repeat of an expected message, or unexpected."""
    delivery = Delivery()
    wanted = set(expected)
    position = 0
    for text in received:
        if position < len(expected) and text == expected[position]:
            position += 1
        elif text in wanted:
            delivery.repeated.append(text)
        else:
            delivery.unexpected.append(text)
    delivery.lost = expected[position:]
    return delivery
