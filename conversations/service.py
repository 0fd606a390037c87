"""The conversation with storage around it: one turn, in one transaction, for any channel.

``handle`` locks the person's conversation, drops a Telegram update seen before, runs the step
function, and saves the new state, the answer log and — when the conversation completes — the
intake record, all together: a crash or a redelivery neither loses nor repeats an answer.

A channel that sends its replies after the commit (Telegram) keeps them in the conversation's
*outbox*, saved in that same statement: the turn's replies, rendered for the channel, under the
update they answer. :func:`sent` takes them out once they are out. A redelivery of an update
whose replies are still in the outbox (the process died, or the Bot API failed, between the
commit and the last send) gets exactly those replies again, in order, followed by the current
question when it is not among them: at least once, never the wrong ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conversations.flow import Ask, Incoming, LogEntry, Reply, State, pending_replies, step
from conversations.paycheck_flow import PREFIX as PAYCHECK_PREFIX
from conversations.reminding import as_message, offer_after
from conversations.render import Button, Channel, OutMessage, render
from conversations.storage import LockedConversation, Storage
from engine.result import to_jsonable

__all__ = [
    "FLAG_CODES",
    "OUTBOX",
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


# Replies not yet confirmed sent, in the conversation's channel notes: a list of
# ``{"update": <update id>, "messages": [<rendered message>, ...]}``, oldest first.
OUTBOX = "outbox"
# Turns whose replies can wait unconfirmed at once (each is taken out when sent, or when its
# update is delivered again); past this the oldest is dropped, with a warning in the log.
MAX_OUTBOX = 20
# Before the outbox: the update whose replies were not yet confirmed sent (still read, so a
# redelivery of a turn saved that way gets its current question).
UNSENT = "unsent_update"

log = logging.getLogger("megaroth.conversations")

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
    # With an outbox: the rendered messages to send, in order (the turn's own replies, or, for
    # a redelivery, the ones still unconfirmed and then the current question).
    messages: list[OutMessage] = field(default_factory=list)
    duplicate: bool = False  # the update was handled before: nothing done, nothing to send
    # ... except when its replies were never confirmed sent: then ``messages`` holds them.
    resend: bool = False
    update_id: int | None = None
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
    """The turn's replies are out: take them out of the outbox and keep the adapter's notes
    (such as the message id of the last prompt), in one statement. If another turn has changed
    the conversation since (the person's next update, handled by another worker), its notes
    are the newer ones: only this turn's replies are taken out of the outbox."""
    if turn.conversation_id is None or turn.state is None:
        return
    state = State.from_json(turn.state)
    state.channel.update(notes)
    _take_out(state, turn.update_id)
    if await storage.save_state(turn.conversation_id, turn.version, state.to_json()):
        return
    async with storage.locked_by_id(turn.conversation_id) as record:
        newer = State.from_json(record.state)
        if _take_out(newer, turn.update_id):
            record.state = newer.to_json()


def _take_out(state: State, update_id: int | None) -> bool:
    """Take the replies of ``update_id`` out of the outbox; True if they were there."""
    found = update_id is not None and state.channel.get(UNSENT) == update_id
    if found:
        del state.channel[UNSENT]
    outbox = state.channel.get(OUTBOX) or []
    kept = [entry for entry in outbox if entry.get("update") != update_id]
    if len(kept) == len(outbox):
        return found
    if kept:
        state.channel[OUTBOX] = kept
    else:
        state.channel.pop(OUTBOX, None)
    return True


def _stored(message: OutMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "kind": message.kind,
        "question_id": message.question_id,
        "buttons": [[[b.label, b.data] for b in row] for row in message.buttons],
    }


def _restored(data: dict[str, Any]) -> OutMessage:
    return OutMessage(
        text=str(data["text"]),
        kind=str(data.get("kind", "notice")),
        question_id=data.get("question_id"),
        buttons=tuple(
            tuple(Button(str(label), str(value)) for label, value in row)
            for row in data.get("buttons", [])
        ),
    )


def _put_in(state: State, update_id: int, messages: list[OutMessage]) -> None:
    outbox = list(state.channel.get(OUTBOX) or [])
    outbox.append({"update": update_id, "messages": [_stored(m) for m in messages]})
    if len(outbox) > MAX_OUTBOX:
        log.warning("outbox over %d turns: the oldest unconfirmed replies dropped", MAX_OUTBOX)
        outbox = outbox[-MAX_OUTBOX:]
    state.channel[OUTBOX] = outbox
    state.channel.pop(UNSENT, None)


def _to_resend(state: State, update_id: int, outbox: Channel) -> list[OutMessage] | None:
    """What a redelivered update must send: its unconfirmed replies, then the current question
    unless it is among them; None when its replies were confirmed sent."""
    entry = next((e for e in state.channel.get(OUTBOX) or [] if e.get("update") == update_id), None)
    if entry is not None:
        messages = [_restored(m) for m in entry.get("messages", [])]
    elif state.channel.get(UNSENT) == update_id:
        messages = []  # saved before the outbox: only the current question is known
    else:
        return None
    current: list[Reply] = [r for r in pending_replies(state) if isinstance(r, Ask)]
    if not messages and not current:
        current = list(pending_replies(state))  # the result, for a turn saved before the outbox
    if current:
        question = render(current, outbox)
        texts = {m.text for m in messages}
        if not all(m.text in texts for m in question):
            messages += question
    return messages


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
    outbox: Channel | None = None,
    today: date | None = None,
) -> Turn:
    """One turn of the person's open conversation on ``channel``, inside the database's row
    lock (which orders turns across worker processes). A channel that must also keep its
    replies in order holds :func:`person_lock` around the turn and the sending.

    With ``update`` and ``outbox`` (the format to render for), the turn's replies are kept in
    the outbox until :func:`sent`, and ``turn.messages`` holds what to send. ``today`` is the
    app clock's date (see :func:`conversations.flow.step`)."""
    async with storage.locked(channel, user_key, chat_key=chat_key) as record:
        turn = await _turn(record, incoming, update, advisor_code, outbox, today)
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
    storage: Storage,
    conversation_id: str,
    incoming: Incoming,
    *,
    channel: str,
    today: date | None = None,
) -> Turn:
    """One turn of a conversation known by its id (web chat, REST API), of that ``channel``.

    Raises :class:`~conversations.storage.ConversationNotFound` for an unknown id, or the id
    of another channel's conversation."""
    async with storage.locked_by_id(conversation_id, channel=channel) as record:
        turn = await _turn(record, incoming, None, None, None, today)
    turn.state, turn.version = record.state, record.version
    if turn.forgot:
        await storage.delete_conversation(conversation_id, channel=channel)
    _observe(channel, turn)
    return turn


async def _turn(
    record: LockedConversation,
    incoming: Incoming,
    update: UpdateRef | None,
    advisor_code: str | None,
    outbox: Channel | None,
    today: date | None = None,
) -> Turn:
    turn = Turn(conversation_id=record.id)
    if update is not None:
        turn.update_id = update.update_id
    if update is not None and not await record.claim_update(update.bot_key, update.update_id):
        turn.duplicate = True
        before = State.from_json(record.state)
        again = _to_resend(before, update.update_id, outbox) if outbox is not None else None
        if again is not None:
            turn.resend = True
            turn.messages = again
            turn.channel = dict(before.channel)
        return turn
    state = State.from_json(record.state)
    if advisor_code and not record.advisor_code:
        record.advisor_code = advisor_code
        state.answers["advisor"] = advisor_code
    turn.channel = dict(state.channel)
    outcome = step(state, incoming, today)
    if update is not None and outbox is not None:
        # Taken out by the adapter once they are out (see ``sent``); still there when the same
        # update comes again, they may never have reached the person.
        turn.messages = render(outcome.replies, outbox)
        if outcome.result is not None and outcome.scenario is not None and today is not None:
            offered = offer_after(outcome.result, outcome.scenario, outcome.state, today, True)
            if offered is not None and outbox == "telegram":  # the web chat has its own
                turn.messages.append(as_message(offered))
        _put_in(outcome.state, update.update_id, turn.messages)
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
            # A spouse's warnings need the advisor's eye as much as the person's.
            flags=flags_for(
                [w.code for r in (result, result.spouse) if r is not None for w in r.warnings]
            ),
            answers=outcome.state.to_json()["answers"],
        )
        record.status = "completed"
        turn.completed = True
    elif record.status == "completed" and any(_reopens(entry) for entry in outcome.log):
        record.status = "active"
    return turn


def _reopens(entry: LogEntry) -> bool:
    """A step that takes a finished conversation back to its questions: an answer, back, edit
    or restart of the person's own questions. A command (the math, the summary, ...) and the
    paycheck plan's questions leave the result standing."""
    if entry.action == "command":
        return False
    return not (entry.question_id or "").startswith(PAYCHECK_PREFIX)
