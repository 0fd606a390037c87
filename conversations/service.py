"""The conversation with storage around it: one turn, in one transaction, for any channel.

``handle`` locks the person's conversation, drops a Telegram update seen before, runs the step
function, and saves the new state, the answer log and — when the conversation completes — the
intake record, all together: a crash or a redelivery neither loses nor repeats an answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conversations.flow import Incoming, Reply, State, pending_replies, step
from conversations.storage import LockedConversation, Storage
from engine.result import to_jsonable

__all__ = [
    "FLAG_CODES",
    "TURN_OBSERVERS",
    "Turn",
    "UpdateRef",
    "flags_for",
    "handle",
    "handle_by_id",
    "link_advisor",
    "person_lock",
    "sent",
    "set_status",
]

# Warning codes an advisor should look at by hand.
FLAG_CODES: dict[str, str] = {
    "plan_features_unknown": "unknown plan features",
    "acp_testing": "ACP testing risk",
    "controlled_group": "controlled group",
    "ira_pro_rata": "IRA pro-rata",
    "pro_rata_in_service": "in-service pro-rata",
    "solo_401k_not_allowed": "Solo 401(k) with employees",
    "excess_deferrals": "excess deferrals",
}


# The update whose replies are not yet confirmed sent, in the conversation's channel notes.
UNSENT = "unsent_update"

# Called after every turn with (channel, turn): the app counts started and completed
# conversations here without the conversation knowing about metrics.
TURN_OBSERVERS: list[Callable[[str, Turn], None]] = []


def _observe(channel: str, turn: Turn) -> None:
    for observer in TURN_OBSERVERS:
        observer(channel, turn)


@dataclass(frozen=True)
class UpdateRef:
    """A Telegram update: processed once per bot."""

    bot_key: str
    update_id: int


@dataclass
class Turn:
    replies: list[Reply] = field(default_factory=list)
    duplicate: bool = False  # the update was handled before: nothing done, nothing to send
    # ... except when its replies were never confirmed sent: then ``replies`` holds what the
    # person should be looking at now, to send again.
    resend: bool = False
    forgot: bool = False  # every row about the person was deleted
    conversation_id: str | None = None
    completed: bool = False
    started: bool = False  # this turn gave the conversation its first answer
    channel: dict[str, object] = field(default_factory=dict)  # the adapter's notes, as before
    # The conversation as saved by the turn (for :func:`sent`).
    state: dict[str, Any] | None = None
    version: int = 0


async def link_advisor(
    storage: Storage, conversation_id: str, advisor_code: str, consent: bool
) -> None:
    """Link a new conversation to an advisor, with the person's answer about sharing (given on
    the start form, so the question is not asked again)."""
    async with storage.locked_by_id(conversation_id) as record:
        state = State.from_json(record.state)
        state.answers["advisor"] = advisor_code
        state.answers["share_advisor"] = consent
        record.advisor_code = advisor_code
        record.consent_share = consent
        record.state = state.to_json()


async def sent(storage: Storage, turn: Turn, notes: dict[str, object]) -> None:
    """The turn's replies are out: keep the adapter's notes (such as the message id of the last
    prompt) with that, in one statement. If another turn has changed the conversation since
    (the person's next update, handled by another worker), its replies are the newer ones and
    these notes are dropped."""
    if turn.conversation_id is None or turn.state is None:
        return
    state = State.from_json(turn.state)
    state.channel.update(notes)
    state.channel[UNSENT] = None
    await storage.save_state(turn.conversation_id, turn.version, state.to_json())


async def set_status(storage: Storage, channel: str, user_key: str, status: str) -> None:
    """Mark the person's conversation (``inactive`` when they blocked the bot)."""
    async with storage.locked(channel, user_key) as record:
        record.status = status


def flags_for(codes: list[str]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code in FLAG_CODES and code not in seen:
            seen.append(code)
    return seen


async def handle(
    storage: Storage,
    channel: str,
    user_key: str,
    incoming: Incoming,
    *,
    chat_key: str | None = None,
    update: UpdateRef | None = None,
    advisor_code: str | None = None,
    today: date | None = None,
) -> Turn:
    """One turn of the person's open conversation on ``channel``, inside the database's row
    lock (which orders turns across worker processes). A channel that must also keep its
    replies in order holds :func:`person_lock` around the turn and the sending. ``today`` is
    the app clock's date (see :func:`conversations.flow.step`)."""
    async with storage.locked(channel, user_key, chat_key=chat_key) as record:
        turn = await _turn(record, incoming, update, advisor_code, today)
    turn.state, turn.version = record.state, record.version
    if turn.forgot:
        await storage.forget_user(channel, user_key)
    _observe(channel, turn)
    return turn


_LOCKS: dict[str, tuple[asyncio.Lock, int]] = {}


@asynccontextmanager
async def person_lock(channel: str, user_key: str) -> AsyncIterator[None]:
    """One person's turns one at a time, first come first served, within this process (the lock
    exists only while someone holds or waits for it)."""
    key = f"{channel}:{user_key}"
    lock, users = _LOCKS.get(key, (asyncio.Lock(), 0))
    _LOCKS[key] = (lock, users + 1)
    try:
        async with lock:
            yield
    finally:
        lock, users = _LOCKS[key]
        if users <= 1:
            del _LOCKS[key]
        else:
            _LOCKS[key] = (lock, users - 1)


async def handle_by_id(
    storage: Storage, conversation_id: str, incoming: Incoming, *, today: date | None = None
) -> Turn:
    """One turn of a conversation known by its id (web chat, REST API).

    Raises :class:`~conversations.storage.ConversationNotFound` for an unknown id."""
    async with storage.locked_by_id(conversation_id) as record:
        turn = await _turn(record, incoming, None, None, today)
        channel = record.channel
    turn.state, turn.version = record.state, record.version
    if turn.forgot:
        await storage.delete_conversation(conversation_id)
    _observe(channel, turn)
    return turn


async def _turn(
    record: LockedConversation,
    incoming: Incoming,
    update: UpdateRef | None,
    advisor_code: str | None,
    today: date | None = None,
) -> Turn:
    turn = Turn(conversation_id=record.id)
    if update is not None and not await record.claim_update(update.bot_key, update.update_id):
        turn.duplicate = True
        before = State.from_json(record.state)
        if before.channel.get(UNSENT) == update.update_id:
            turn.resend = True
            turn.replies = pending_replies(before, today)
            turn.channel = dict(before.channel)
        return turn
    state = State.from_json(record.state)
    if advisor_code and not record.advisor_code:
        record.advisor_code = advisor_code
        state.answers["advisor"] = advisor_code
    turn.channel = dict(state.channel)
    outcome = step(state, incoming, today)
    if update is not None:
        # Cleared by the adapter once the replies are out (see ``sent``); still set when the
        # same update comes again, it means they may never have reached the person.
        outcome.state.channel[UNSENT] = update.update_id
    record.state = outcome.state.to_json()
    for entry in outcome.log:
        record.log(entry.action, entry.question_id, entry.value)
    turn.replies = outcome.replies
    turn.forgot = outcome.forget
    turn.started = (
        any(entry.action == "answer" for entry in outcome.log)
        and len([k for k in state.answers if k not in ("advisor", "share_advisor")]) == 1
    )
    record.consent_share = state.answers.get("share_advisor") is True
    if outcome.result is not None and outcome.scenario is not None:
        result = outcome.result
        await record.record_intake(
            scenario=outcome.scenario,
            result=to_jsonable(result.to_dict()),
            rules_version=result.rules_version,
            verdict=result.verdict,
            total=result.mega_backdoor_total,
            flags=flags_for([w.code for w in result.warnings]),
        )
        record.status = "completed"
        turn.completed = True
    elif outcome.log and record.status == "completed":
        record.status = "active"
    return turn
