"""The conversation with storage around it: one turn, in one transaction, for any channel.

:class:`Conversations` is the one way into this package for the channels (the bot, the API,
the terminal chat): built once where the app is assembled, it holds the storage, the key that
hashes people's ids, the app's clock, the per-person locks and the turn observers.

A turn (:meth:`Conversations.turn`) locks the person's conversation, drops a Telegram update
seen before, runs the step function, and saves the new state, the answer log and — when the
conversation completes — the intake record, all together: a crash or a redelivery neither loses
nor repeats an answer.

A channel that sends its replies after the commit (Telegram) keeps them in the conversation's
*outbox*, saved in that same statement: the turn's replies, rendered for the channel, under the
update they answer. :meth:`Conversations.sent` takes them out once they are out. A redelivery
of an update whose replies are still in the outbox (the process died, or the Bot API failed,
between the commit and the last send) gets exactly those replies again, in order, followed by
the current question when it is not among them: at least once, never the wrong ones.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from conversations import reminder_store
from conversations.flow import Ask, Incoming, LogEntry, Reply, State, pending_replies, step
from conversations.models import AdvisorPublic, IntakeResultPublic
from conversations.paycheck_flow import PREFIX as PAYCHECK_PREFIX
from conversations.reminder_store import Claimed, StoredReminder
from conversations.reminding import ReminderReply, as_message, offer_after, reminder_turn
from conversations.render import Button, Channel, OutMessage, render
from conversations.storage import (
    AdvisorSignIn,
    ConversationRecord,
    LockedConversation,
    Storage,
    user_key,
)
from engine.result import to_jsonable

__all__ = [
    "FLAG_CODES",
    "OUTBOX",
    "Conversations",
    "Turn",
    "TurnObserver",
    "UpdateRef",
    "flags_for",
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
    # The conversation as saved by the turn (for :meth:`Conversations.sent`).
    state: dict[str, Any] | None = None
    version: int = 0


# Called after every turn with (channel, turn): the app counts started and completed
# conversations here without the conversation knowing about metrics.
TurnObserver = Callable[[str, Turn], None]


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


def flags_for(codes: list[str]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code in FLAG_CODES and code not in seen:
            seen.append(code)
    return seen


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


class Conversations:
    """The conversations, for every channel: built once where the app is assembled.

    ``key_secret`` hashes a channel's ids into person keys (:meth:`person_key`) and seals
    chat addresses (a function giving it is called when first needed); ``clock`` gives
    today's date to the flow (None: the flow is undated). The per-person locks and the turn
    observers belong to this object, not to the module: two apps in one process (tests build
    many) share neither.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        key_secret: str | Callable[[], str] = "",
        clock: Callable[[], date] | None = None,
    ) -> None:
        self.storage = storage
        self._key_secret = key_secret
        self.clock = clock
        self._observers: list[TurnObserver] = []
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    # --- the app around it -------------------------------------------------------------------

    @property
    def key_secret(self) -> str:
        if not isinstance(self._key_secret, str):
            self._key_secret = self._key_secret()
        return self._key_secret

    def today(self) -> date | None:
        """The app clock's date, or None when there is no clock."""
        return self.clock() if self.clock is not None else None

    def observe(self, observer: TurnObserver) -> None:
        """Call ``observer(channel, turn)`` after every turn (once, however often added)."""
        if observer not in self._observers:
            self._observers.append(observer)

    def _observe(self, channel: str, turn: Turn) -> None:
        for observer in self._observers:
            observer(channel, turn)

    def person_key(self, channel: str, raw_id: str | int) -> str:
        """The key a person is stored under: a channel's id for them, hashed (never stored
        as given)."""
        return user_key(channel, raw_id, self.key_secret)

    async def ready(self) -> bool:
        """The database answers."""
        return await self.storage.ready()

    async def close(self) -> None:
        await self.storage.close()

    # --- turns -------------------------------------------------------------------------------

    async def start(
        self, channel: str, *, advisor_code: str | None = None, consent: bool = False
    ) -> Turn:
        """A new conversation on ``channel`` for someone known only by it (the web chat, the
        REST API), linked to ``advisor_code`` with the person's answer about sharing (given
        on the start form, so the question is not asked again); the turn that starts it."""
        record = await self.storage.get_or_create(channel, secrets.token_hex(16))
        if advisor_code:
            await self.link_advisor(record.id, advisor_code, consent=consent)
        return await self.turn_by_id(record.id, Incoming(command="start"), channel=channel)

    async def turn(
        self,
        channel: str,
        user_key: str,
        incoming: Incoming,
        *,
        chat_key: str | None = None,
        update: UpdateRef | None = None,
        advisor_code: str | None = None,
        outbox: Channel | None = None,
    ) -> Turn:
        """One turn of the person's open conversation on ``channel``, inside the database's row
        lock (which orders turns across worker processes). A channel that must also keep its
        replies in order holds :meth:`person_lock` around the turn and the sending.

        With ``update`` and ``outbox`` (the format to render for), the turn's replies are kept in
        the outbox until :meth:`sent`, and ``turn.messages`` holds what to send."""
        today = self.today()
        async with self.storage.locked(channel, user_key, chat_key=chat_key) as record:
            turn = await _turn(record, incoming, update, advisor_code, outbox, today)
        turn.state, turn.version = record.state, record.version
        if turn.forgot:
            await self.storage.forget_user(channel, user_key)
        self._observe(channel, turn)
        return turn

    async def turn_by_id(self, conversation_id: str, incoming: Incoming, *, channel: str) -> Turn:
        """One turn of a conversation known by its id (web chat, REST API), of that ``channel``.

        Raises :class:`~conversations.storage.ConversationNotFound` for an unknown id, or the id
        of another channel's conversation."""
        today = self.today()
        async with self.storage.locked_by_id(conversation_id, channel=channel) as record:
            turn = await _turn(record, incoming, None, None, None, today)
        turn.state, turn.version = record.state, record.version
        if turn.forgot:
            await self.storage.delete_conversation(conversation_id, channel=channel)
        self._observe(channel, turn)
        return turn

    @asynccontextmanager
    async def person_lock(self, channel: str, user_key: str) -> AsyncIterator[None]:
        """One person's turns one at a time, first come first served, within this process (the
        lock exists only while someone holds or waits for it)."""
        key = f"{channel}:{user_key}"
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def sent(self, turn: Turn, notes: dict[str, object]) -> None:
        """The turn's replies are out: take them out of the outbox and keep the adapter's notes
        (such as the message id of the last prompt), in one statement. If another turn has
        changed the conversation since (the person's next update, handled by another worker),
        its notes are the newer ones: only this turn's replies are taken out of the outbox."""
        if turn.conversation_id is None or turn.state is None:
            return
        state = State.from_json(turn.state)
        state.channel.update(notes)
        _take_out(state, turn.update_id)
        if await self.storage.save_state(turn.conversation_id, turn.version, state.to_json()):
            return
        async with self.storage.locked_by_id(turn.conversation_id) as record:
            newer = State.from_json(record.state)
            if _take_out(newer, turn.update_id):
                record.state = newer.to_json()

    # --- one conversation --------------------------------------------------------------------

    async def show(
        self, conversation_id: str, *, channel: str | None = None
    ) -> ConversationRecord | None:
        """The conversation as stored (of ``channel`` only, when given), or None."""
        return await self.storage.load(conversation_id, channel=channel)

    async def open(
        self, channel: str, user_key: str, *, chat_key: str | None = None
    ) -> ConversationRecord:
        """The person's open conversation on ``channel``, started when there is none."""
        return await self.storage.get_or_create(channel, user_key, chat_key=chat_key)

    async def keep(self, record: ConversationRecord, state: State) -> bool:
        """Save ``state`` over the conversation as it was read (False when another turn has
        changed it since: nothing saved)."""
        return await self.storage.save_state(record.id, record.version, state.to_json())

    async def delete(self, conversation_id: str, *, channel: str | None = None) -> bool:
        """Delete a conversation and everything stored with it; False when there is none."""
        return await self.storage.delete_conversation(conversation_id, channel=channel)

    async def link_advisor(self, conversation_id: str, advisor_code: str, consent: bool) -> None:
        """Link a conversation to an advisor, with the person's answer about sharing."""
        async with self.storage.locked_by_id(conversation_id) as record:
            state = State.from_json(record.state)
            state.answers["advisor"] = advisor_code
            state.answers["share_advisor"] = consent
            record.advisor_code = advisor_code
            record.consent_share = consent
            record.state = state.to_json()

    async def set_status(self, channel: str, user_key: str, status: str) -> None:
        """Mark the person's conversation (``inactive`` when they blocked the bot)."""
        async with self.storage.locked(channel, user_key) as record:
            record.status = status

    # --- reminders ---------------------------------------------------------------------------

    async def reminder(
        self,
        channel: str,
        user_key: str,
        command: tuple[str, str],
        *,
        state: State,
        today: date,
        address: str | None = None,
        escape: bool = False,
    ) -> ReminderReply:
        """Run one reminders command for the person (``state``: their conversation's)."""
        return await reminder_turn(
            self.storage,
            channel,
            user_key,
            command,
            state=state,
            today=today,
            address=address,
            escape=escape,
        )

    async def reminders(
        self, channel: str, user_key: str, *, statuses: Sequence[str] = ("pending",)
    ) -> list[StoredReminder]:
        """The person's reminders with these statuses, soonest first."""
        return await reminder_store.listed(self.storage, channel, user_key, statuses=statuses)

    async def stop_reminders(self, channel: str, user_key: str) -> int:
        """Stop all of the person's pending reminders; how many."""
        return await reminder_store.cancel(self.storage, channel, user_key)

    def seal(self, address: str) -> str:
        """A chat address as stored with a reminder (only this app's key opens it)."""
        return reminder_store.seal(address, self.key_secret)

    def unseal(self, sealed: str) -> str:
        return reminder_store.unseal(sealed, self.key_secret)

    async def claim_due(self, today: date, *, lease: timedelta, limit: int = 50) -> list[Claimed]:
        """Claim the reminders due on or before ``today`` for sending (see
        :mod:`conversations.reminder_store`)."""
        return await reminder_store.claim_due(self.storage, today, lease=lease, limit=limit)

    async def finish(self, claimed: Claimed, outcome: str) -> None:
        """Record how a claimed reminder's sending went."""
        await reminder_store.finish(self.storage, claimed, outcome)

    # --- the advisors' side ------------------------------------------------------------------

    async def intakes(
        self,
        *,
        advisor_id: str | None = None,
        verdict: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[IntakeResultPublic]:
        """The intakes people chose to share (with one advisor account's codes, when
        ``advisor_id`` is given), newest first."""
        return await self.storage.list_intakes(
            None,
            verdict=verdict,
            since=since,
            until=until,
            shared_only=True,
            advisor_id=advisor_id,
        )

    async def intake(
        self, intake_id: str, *, advisor_id: str | None = None
    ) -> IntakeResultPublic | None:
        """One intake (made with one of that advisor's codes, when ``advisor_id`` is given)."""
        return await self.storage.get_intake(intake_id, advisor_id=advisor_id)

    async def advisors(self) -> list[AdvisorPublic]:
        return await self.storage.list_advisors()

    async def add_advisor(
        self, name: str, token_hash: str, codes: Sequence[str], *, advisor_id: str | None = None
    ) -> AdvisorPublic:
        return await self.storage.add_advisor(name, token_hash, codes, advisor_id=advisor_id)

    async def revoke_advisor(self, name: str) -> bool:
        return await self.storage.revoke_advisor(name)

    async def advisor_by_token(self, token_hash: str) -> AdvisorPublic | None:
        return await self.storage.advisor_by_token(token_hash)

    async def start_session(
        self, token_hash: str, advisor_id: str | None, expires_at: datetime
    ) -> None:
        await self.storage.start_session(token_hash, advisor_id, expires_at)

    async def session(self, token_hash: str) -> AdvisorSignIn | None:
        return await self.storage.session(token_hash)

    async def end_session(self, token_hash: str) -> bool:
        return await self.storage.end_session(token_hash)

    # --- upkeep ------------------------------------------------------------------------------

    async def purge(self, older_than: datetime) -> int:
        """Delete abandoned conversations last changed before ``older_than``, and the record of
        Telegram updates seen before then; how many conversations."""
        removed = await self.storage.purge(older_than)
        await self.storage.prune_updates(older_than)
        return removed
