"""The reminders' side of the conversation, for every channel: offer, preview, confirm, list,
stop; and the calendar file.

After a result the person is offered "Remind me" (:func:`offer`). ``remind`` shows the dates
(nothing stored yet), ``remind_yes`` stores them, ``remind_no`` stores nothing; ``reminders``
lists the pending ones with a way to stop one (``reminder_stop:<id>``) or all
(``reminders_stop``). Each of these is idempotent, so a redelivered Telegram update does no
harm. The dates are worked out again at confirmation, from the conversation as it is then.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Protocol

from conversations import reminder_store
from conversations.commands import REMINDER_COMMANDS, REMINDER_WORDS
from conversations.flow import Incoming, State, current_result
from conversations.paycheck_flow import paycheck_plan_of
from conversations.questions import job_kinds, job_label
from conversations.reminders import Draft, drafts, phrase, text, title
from conversations.render import Button, OutMessage
from conversations.storage import Storage
from conversations.wording import day
from engine import Result, ScenarioError
from engine.paycheck import PaycheckPlan

__all__ = [
    "COMMANDS",
    "ReminderReply",
    "as_message",
    "calendar",
    "offer",
    "offer_after",
    "person_drafts",
    "reminder_command",
    "reminder_turn",
]

COMMANDS: Final = REMINDER_COMMANDS
_WORDS: Final = REMINDER_WORDS


@dataclass(frozen=True)
class ReminderReply:
    """What to say: the message's text (HTML-escaped when asked for) and its buttons, each a
    (label, command) on a row of its own."""

    text: str
    buttons: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def reminder_command(incoming: Incoming) -> tuple[str, str] | None:
    """(command, argument) when the person asks about reminders; None otherwise."""
    if incoming.command:
        name, _, arg = incoming.command.partition(":")
        return (name, arg) if name in COMMANDS else None
    if incoming.text is None:
        return None
    typed = " ".join(incoming.text.strip().lower().lstrip("/").rstrip(".!").split())
    found = _WORDS.get(typed)
    return (found, "") if found else None


def offer(escape: bool = False) -> ReminderReply:
    """The offer after a result: one button, nothing stored."""
    words = phrase("offer")
    return ReminderReply(
        html.escape(words) if escape else words, ((phrase("offer_button"), "remind"),)
    )


def offer_after(
    result: Result, scenario: dict[str, object], state: State, today: date, escape: bool = False
) -> ReminderReply | None:
    """The offer to send after this result, when it has a date ahead to remind of."""
    answers = state.answers
    labels = {slot: job_label(answers, slot) for slot in range(len(job_kinds(answers)))}
    return offer(escape) if drafts(result, scenario, today, None, labels) else None


def as_message(reply: ReminderReply) -> OutMessage:
    """The reply as a rendered message (its buttons send their commands: ``c|<command>``)."""
    buttons = tuple((Button(label, f"c|{command}"),) for label, command in reply.buttons)
    return OutMessage(text=reply.text, kind="notice", buttons=buttons)


def person_drafts(state: State, today: date, plan: PaycheckPlan | None = None) -> list[Draft]:
    """The reminders the person's answers lead to (none before the result), with the dates of
    their paycheck plan when they have made one."""
    try:
        done = current_result(state.answers) if state.answers else None
    except ScenarioError:
        return []
    if done is None:
        return []
    scenario, result = done
    if plan is None:
        plan = paycheck_plan_of(state)
    answers = state.answers
    labels = {slot: job_label(answers, slot) for slot in range(len(job_kinds(answers)))}
    return drafts(result, scenario, today, plan, labels)


def _listing(
    items: Sequence[tuple[date, str, dict[str, str] | dict[str, object]]], escape: bool
) -> str:
    return "\n".join(
        "• " + phrase("item", date=day(due), title=title(kind, figures, escape=escape))
        for due, kind, figures in items
    )


async def reminder_turn(
    storage: Storage,
    channel: str,
    user_key: str,
    command: tuple[str, str],
    *,
    state: State,
    today: date,
    address: str | None = None,
    plan: PaycheckPlan | None = None,
    escape: bool = False,
) -> ReminderReply:
    """Run one reminders command for the person (``state``: their conversation's)."""
    name, arg = command
    esc = html.escape if escape else str
    if name == "remind":
        found = person_drafts(state, today, plan)
        if not found:
            return ReminderReply(esc(phrase("none")))
        listing = _listing([(d.due, d.kind, d.figures) for d in found], escape)
        return ReminderReply(
            f"{esc(phrase('preview'))}\n{listing}",
            ((phrase("confirm_button"), "remind_yes"), (phrase("cancel_button"), "remind_no")),
        )
    if name == "remind_yes":
        found = person_drafts(state, today, plan)
        if not found:
            return ReminderReply(esc(phrase("none")))
        count = await reminder_store.save(storage, channel, user_key, found, address=address)
        return ReminderReply(esc(phrase("confirmed", count=count)))
    if name == "remind_no":
        return ReminderReply(esc(phrase("declined")))
    if name == "reminder_stop":
        reminder_id = arg.strip()[:36]
        if not reminder_id:  # which one is not said: nothing stopped, the list again
            return await _list(storage, channel, user_key, escape)
        await reminder_store.cancel(storage, channel, user_key, reminder_id)
        return await _list(storage, channel, user_key, escape, esc(phrase("stopped_one")))
    if name == "reminders_stop":
        count = await reminder_store.cancel(storage, channel, user_key)
        return ReminderReply(esc(phrase("stopped_all", count=count)))
    return await _list(storage, channel, user_key, escape)


async def _list(
    storage: Storage, channel: str, user_key: str, escape: bool, before: str = ""
) -> ReminderReply:
    esc = html.escape if escape else str
    pending = await reminder_store.listed(storage, channel, user_key)
    lead = f"{before}\n\n" if before else ""
    if not pending:
        return ReminderReply(lead + esc(phrase("list_empty")))
    listing = _listing([(r.due, r.kind, r.figures) for r in pending], escape)
    buttons = tuple(
        (phrase("stop_button", title=title(r.kind, r.figures)), f"reminder_stop:{r.id}")
        for r in pending
    )
    buttons += ((phrase("stop_all_button"), "reminders_stop"),)
    return ReminderReply(f"{lead}{esc(phrase('list_title'))}\n{listing}", buttons)


# --- the calendar file -----------------------------------------------------------------------


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newline escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with CRLF and a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    start = 0
    limit = 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # not inside a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
        limit = 74  # the leading space counts
    return "\r\n ".join(parts)


class _Dated(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def ref(self) -> str: ...
    @property
    def due(self) -> date: ...
    @property
    def figures(self) -> Mapping[str, Any]: ...


def calendar(reminders: Sequence[_Dated], *, owner: str, stamp: datetime) -> str:
    """The reminders (stored or drafts) as an iCalendar file (RFC 5545): one all-day VEVENT
    each, whose UID is stable — the same person, kind and day give the same UID, so a calendar
    that imports the file again updates the event instead of adding another. ``owner`` (a
    pseudonymous key) seeds the UIDs."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//megaroth//reminders//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    stamped = stamp.strftime("%Y%m%dT%H%M%SZ")
    for r in reminders:
        seed = f"{owner}:{r.kind}:{r.ref}:{r.due.isoformat()}"
        digest = hashlib.sha256(seed.encode()).hexdigest()[:32]
        end = date.fromordinal(r.due.toordinal() + 1)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{digest}@megaroth",
            f"DTSTAMP:{stamped}",
            f"DTSTART;VALUE=DATE:{r.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
            f"SUMMARY:{_ics_text(title(r.kind, r.figures))}",
            f"DESCRIPTION:{_ics_text(text(r.kind, r.figures))}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
