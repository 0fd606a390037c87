"""The reminders' scheduler inside ``megaroth serve``: sends each due reminder through the Bot
API, once.

APScheduler runs :meth:`ReminderSender.tick` every ``REMINDER_TICK_SECONDS`` on the app's own
event loop (an ``AsyncIOScheduler`` with one interval job: never two ticks at once in a worker,
a tick missed while the loop was busy is run once, not many times). Each worker of each host
runs its own scheduler; the database decides who sends what (see
``conversations/reminder_store.py``): a due reminder is claimed by exactly one worker, sent,
then marked. A reminder is due on its day from ``REMINDER_SEND_HOUR`` (US Eastern time); with
the app's clock pinned (``MEGAROTH_TODAY``) it is due on that day at any hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientConnectorError

from conversations import Claimed, Conversations
from conversations import reminder_text as text

__all__ = ["ReminderSender", "Scheduler", "outcome_of"]

log = logging.getLogger("megaroth.reminders")
# A tick skipped because the last one is still sending is expected, not worth a warning; the
# scheduler's errors still show.
logging.getLogger("apscheduler").setLevel(logging.ERROR)


def outcome_of(exc: BaseException) -> str:
    """What a failed send means for the reminder: ``blocked`` (the person blocked the bot),
    ``retry`` (the Bot API answered with an error, or could not be reached: not sent),
    ``failed`` (a request Telegram will never take, such as a chat that is gone) or ``sent``
    (no answer came: the message may be out, and sending it again could send it twice)."""
    if isinstance(exc, TelegramForbiddenError):
        return "blocked"
    if isinstance(exc, TelegramServerError | TelegramRetryAfter):
        return "retry"
    if isinstance(exc, TelegramNetworkError):
        return "retry" if isinstance(exc.__cause__, ClientConnectorError) else "sent"
    if isinstance(exc, TelegramBadRequest):
        return "failed"
    if isinstance(exc, TelegramAPIError):
        return "retry"
    return "retry"


class ReminderSender:
    """One tick: claim the due reminders, send each, record how it went."""

    def __init__(
        self,
        bot: Bot,
        conversations: Conversations,
        today: Callable[[], date],
        *,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 50,
    ) -> None:
        self.bot = bot
        self.conversations = conversations
        self.today = today
        self.lease = lease
        self.batch = batch
        self._busy = asyncio.Lock()
        self._stopped = False

    async def stop(self, timeout: float = 10.0) -> None:
        """No more ticks; wait (at most ``timeout`` seconds) for the one under way to end."""
        self._stopped = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._busy:
                pass

    async def tick(self) -> int:
        """Send what is due now; the number sent. Never raises (a database outage waits for
        the next tick)."""
        if self._stopped:
            return 0
        async with self._busy:
            return await self._tick()

    async def _tick(self) -> int:
        # One reminder per claim: its claim commits just before its request goes out, so a
        # worker killed mid-send leaves only that one ``sending`` (counted sent after its lease,
        # at most once); nothing claimed and never tried is left behind.
        sent = 0
        for _ in range(self.batch):
            if self._stopped:
                break
            try:
                claimed = await self.conversations.claim_due(
                    self.today(), lease=self.lease, limit=1
                )
            except Exception as exc:
                log.warning("reminders: could not claim (%s)", type(exc).__name__)
                break
            if not claimed:
                break
            reminder = claimed[0]
            # A person who blocked the bot has no pending reminders left to claim: ``finish``
            # cancels them all.
            outcome = await self._send(reminder)
            try:
                await self.conversations.finish(reminder, outcome)
            except Exception as exc:
                # Left ``sending``: after its lease it counts as sent (at most once).
                log.warning("reminders: could not record a send (%s)", type(exc).__name__)
            sent += outcome == "sent"
        if sent:
            log.info("reminders: %d sent by worker %d", sent, os.getpid())
        return sent

    async def _send(self, reminder: Claimed) -> str:
        assert reminder.address is not None
        message = text(reminder.kind, reminder.figures, escape=True)
        try:
            chat = int(self.conversations.unseal(reminder.address))
            await self.bot.send_message(chat_id=chat, text=message)
        except Exception as exc:
            outcome = outcome_of(exc)
            log.warning(
                "reminders: a %s reminder not confirmed sent (%s): %s",
                reminder.kind,
                type(exc).__name__,
                outcome,
            )
            return outcome
        return "sent"


class Scheduler:
    """An APScheduler ``AsyncIOScheduler`` running ``sender.tick`` every ``seconds``, the first
    at once; started on the running loop when built."""

    def __init__(self, sender: ReminderSender, seconds: float) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.sender = sender
        self._timer = AsyncIOScheduler(timezone="UTC")
        self._timer.add_job(
            sender.tick,
            "interval",
            seconds=seconds,
            id="reminders",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now().astimezone(),
            misfire_grace_time=None,
        )
        self._timer.start()

    async def stop(self) -> None:
        """No more ticks; the tick under way ends (before the database closes). The sender
        stops first: shutting APScheduler's asyncio executor down cancels a job still running,
        which would cut a claim short and log its traceback."""
        await self.sender.stop()
        self._timer.shutdown(wait=False)
