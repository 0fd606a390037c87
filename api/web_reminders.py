"""The web chat's reminders: the section under the result on ``/chat``, its forms, and the
calendar file ``/chat/reminders.ics``.

The web chat sends nothing by itself: its reminders reach the person as a calendar file (one
event per reminder, stable UIDs), and stay listed on the page, each with a Stop button.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import ConversationsDep, TodayDep
from conversations import (
    ConversationRecord,
    Conversations,
    State,
    calendar,
    day,
    person_drafts,
    utcnow,
)
from conversations import reminder_phrase as phrase
from conversations import reminder_title as title

__all__ = ["reminders_context", "router"]

router = APIRouter(include_in_schema=False)
CHANNEL = "web"
COOKIE = "mr_conversation"  # the web chat's (api.web.COOKIE)


async def reminders_context(
    conversations: Conversations,
    today: date,
    record: ConversationRecord,
    state: State,
    preview: bool,
) -> dict[str, Any]:
    """What the reminders section shows: the pending reminders, else the dates on offer."""
    pending = await conversations.reminders(CHANNEL, record.user_key)
    items = [{"id": r.id, "date": day(r.due), "title": title(r.kind, r.figures)} for r in pending]
    offered = [] if items else person_drafts(state, today)
    return {
        "items": items,
        "offered": bool(offered),
        "preview": [{"date": day(d.due), "title": title(d.kind, d.figures)} for d in offered]
        if preview
        else [],
        "offer": phrase("offer"),
    }


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.post("/chat/reminders")
async def chat_reminders(
    request: Request,
    conversations: ConversationsDep,
    today: TodayDep,
    csrf: Annotated[str, Form()] = "",
    action: Annotated[str, Form(max_length=16)] = "",
    stop: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """Remind me (``action=preview``: show the dates), confirm them (``confirm``), stop one
    (``stop=<id>``) or all (``stop_all``)."""
    from api.web import csrf_ok

    conversation = request.cookies.get(COOKIE)
    if conversation is None:
        return _see("/")
    if not csrf_ok(request, csrf):
        return _see("/chat")
    record = await conversations.show(conversation, channel=CHANNEL)
    if record is None:
        return _see("/")
    if stop:
        command = ("reminder_stop", stop)
    elif action == "preview":
        return _see("/chat?reminders=preview#reminders")
    elif action == "confirm":
        command = ("remind_yes", "")
    elif action == "stop_all":
        command = ("reminders_stop", "")
    else:
        return _see("/chat")
    await conversations.reminder(
        CHANNEL,
        record.user_key,
        command,
        state=State.from_json(record.state),
        today=today,
    )
    return _see("/chat#reminders")


@router.get("/chat/reminders.ics")
async def chat_calendar(
    request: Request, conversations: ConversationsDep, today: TodayDep
) -> Response:
    """The reminders as a calendar file: those set, else the dates on offer."""
    conversation = request.cookies.get(COOKIE)
    record = await conversations.show(conversation, channel=CHANNEL) if conversation else None
    if record is None:
        return _see("/")
    dated: list[Any] = await conversations.reminders(CHANNEL, record.user_key)
    if not dated:
        dated = person_drafts(State.from_json(record.state), today)
    body = calendar(dated, owner=record.user_key, stamp=utcnow())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="megaroth-reminders.ics"',
            "cache-control": "no-store",
        },
    )
