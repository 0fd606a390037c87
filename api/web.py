"""The web chat at ``/`` and ``/chat``: the same conversation as plain HTML forms (no build
step, no script needed), resumed through a cookie.

Every answer is a POST that redirects to ``GET /chat`` (post/redirect/get), so reloading,
bookmarking and the browser's Back show a real page. What the last turn said (its messages, a
refused answer and what was typed) is kept with the conversation, in the channel's notes, for
that page to show.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.deps import ConversationsDep, TodayDep
from api.web_reminders import reminders_context
from conversations import (
    ADVISOR_CODE_MAX,
    WORDING,
    Ask,
    ClosedYear,
    ConversationNotFound,
    Conversations,
    Incoming,
    Math,
    PaycheckReply,
    Problem,
    Reply,
    ResultReply,
    State,
    Summary,
    Turn,
    by_id,
    command_of,
    day,
    faq_entries,
    faq_entry_ids,
    faq_figures,
    faq_topic,
    is_advisor_code,
    line,
    render_replies,
    result_reply,
    snapshot,
)
from engine import Result

__all__ = ["COOKIE", "CSRF_COOKIE", "error_page", "router", "templates", "wants_html"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["w"] = line
templates.env.globals["wording"] = WORDING
COOKIE = "mr_conversation"
CSRF_COOKIE = "mr_csrf"
ONE_YEAR = 365 * 24 * 3600
# Questions answered by buttons (a box to type in is there too, for commands and words).
BUTTONS_ONLY = {"choice", "yes_no", "yes_no_unsure"}
# The cookie names only a web chat conversation: any other channel's id is not found.
CHANNEL = "web"
# Amounts only: a phone opens its number pad (a cap can be "10%", so it keeps the keyboard).
MONEY = {"money", "money_or_max", "optional_money"}
# The word answers of a money question, as buttons: (kind -> what the button sends).
SHORTCUTS = {"money_or_max": "max", "optional_money": "not sure", "cap": "no"}
# The longest answer the box takes; a longer one is refused with a message, never an error page.
MAX_ANSWER = 200
NOTES = "web"  # the key of this channel's notes in the conversation's state
# Addresses that answer JSON whatever the client asks for.
_API_PREFIXES = ("/v1", "/telegram", "/healthz", "/metrics", "/openapi.json", "/static")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def csrf_token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def csrf_ok(request: Request, sent_token: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and sent_token and hmac.compare_digest(cookie, sent_token))


def _set_cookies(
    request: Request, response: Response, token: str, conversation: str | None
) -> None:
    secure = _secure(request)
    response.set_cookie(
        CSRF_COOKIE, token, max_age=ONE_YEAR, httponly=True, samesite="strict", secure=secure
    )
    if conversation is not None:
        response.set_cookie(
            COOKIE, conversation, max_age=ONE_YEAR, httponly=True, samesite="lax", secure=secure
        )


def _advisor_code(raw: str | None) -> tuple[str | None, str | None]:
    """(a valid advisor code, or the bad one as given)."""
    if not raw:
        return None, None
    if is_advisor_code(raw):
        return raw, None
    return None, raw[:ADVISOR_CODE_MAX]


# --- pages -----------------------------------------------------------------------------------


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the REST API, the webhook or a file)."""
    if request.url.path.startswith(_API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(
    request: Request, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    """An error as a page in the chat's style (for browsers; the API keeps its JSON)."""
    key = "not_found" if status_code in (404, 405) else "error_page"
    response = templates.TemplateResponse(
        request,
        "error.html",
        {"message": line(key), "status": status_code},
        status_code=status_code,
    )
    for name, value in (headers or {}).items():
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    return response


def _notes(state: State) -> dict[str, Any]:
    notes = state.channel.get(NOTES)
    return notes if isinstance(notes, dict) else {}


def _transcript(state: State, summary: Summary) -> list[dict[str, Any]]:
    """The conversation so far, as a chat: each answered question and its answer."""
    said = []
    for item in summary.items:
        q = by_id(item.question_id)
        asked = q.wording(state.answers) if q is not None else item.label
        said.append({"asked": asked, "answer": item.answer, "number": item.number})
    return said


async def _page(
    request: Request,
    conversations: Conversations,
    today: date,
    conversation_id: str | None,
    *,
    advisor: str | None = None,
    bad_advisor: str | None = None,
    confirm: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    preview: bool = False,
) -> HTMLResponse:
    token = csrf_token(request)
    context: dict[str, Any] = {
        "csrf": token,
        "advisor": advisor,
        "bad_advisor": bad_advisor,
        "messages": [line(notice)] if notice else [],
        "problem": None,
        "typed": "",
        "confirm": confirm,
        "max_answer": MAX_ANSWER,
        "money_kinds": MONEY,
        "shortcuts": SHORTCUTS,
    }
    if status_code == 403:
        context["problem"] = {"reason": line("page_expired"), "example": line("send_again")}
    record = await conversations.show(conversation_id, channel=CHANNEL) if conversation_id else None
    if record is None:
        context.update(started=False, question=None, result=None, summary=None, title=None)
        context.update(paycheck=None, paycheck_offer=False)
    else:
        state = State.from_json(record.state)
        now = snapshot(state, today)
        notes = _notes(state)
        question = now.question
        problem = notes.get("problem")
        if problem and (question is None or problem.get("question_id") != question.question_id):
            problem = None  # about a question no longer on screen
        context.update(
            started=True,
            question=question,
            buttons_only=question is not None and question.kind in BUTTONS_ONLY,
            messages=[Markup(m) for m in notes.get("messages", [])] + context["messages"],
            problem=context["problem"] or problem,
            typed=(problem or {}).get("typed", ""),
            review=bool(notes.get("review")),
            result=_result_html(now.result, state, now.closed) if now.result else None,
            paycheck=Markup(render_replies([now.paycheck], "web")[0].text)
            if now.paycheck
            else None,
            paycheck_offer=now.result is not None and now.closed is None,
            summary=now.summary,
            transcript=_transcript(state, now.summary),
            confirming_forget=state.confirming_forget,
            tax_year=state.answers.get("tax_year"),
        )
        if now.result is not None:
            context["reminders"] = await reminders_context(
                conversations, today, record, state, preview
            )
    response = templates.TemplateResponse(request, "chat.html", context, status_code=status_code)
    # Always the conversation as it stands now (Back and reload ask again, nothing stale).
    response.headers["cache-control"] = "no-store"
    _set_cookies(request, response, token, record.id if record else None)
    return response


def _result_html(result: Result, state: State, closed: ClosedYear | None = None) -> Markup:
    """The result as the web templates render it (already escaped there)."""
    return Markup(render_replies([result_reply(result, state.answers, closed)], "web")[0].text)


def _see(path: str = "/chat") -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def _keep_notes(conversations: Conversations, turn: Turn, notes: dict[str, Any]) -> None:
    """What this turn said, for the page the redirect shows."""
    await conversations.sent(turn, {NOTES: notes})


def _turn_notes(turn: Turn, typed: str) -> dict[str, Any]:
    shown: list[Reply] = []
    notes: dict[str, Any] = {"messages": [], "problem": None, "review": False}
    for reply in turn.replies:
        if isinstance(reply, Problem):
            ask = next((r for r in turn.replies if isinstance(r, Ask)), None)
            notes["problem"] = {
                "reason": reply.reason,
                "example": reply.example,
                "typed": typed,
                "question_id": ask.question_id if ask else None,
            }
        elif isinstance(reply, Summary):
            notes["review"] = True  # the answers panel opens, with a Change button on each
        elif not isinstance(reply, Ask | ResultReply | PaycheckReply):  # each has its place
            shown.append(reply)
    notes["messages"] = [m.text for m in render_replies(shown, "web")]
    return notes


@router.get("/", response_class=HTMLResponse)
async def chat_page(
    request: Request,
    conversations: ConversationsDep,
    today: TodayDep,
    advisor: str | None = None,
) -> HTMLResponse:
    code, bad = _advisor_code(advisor)
    conversation = request.cookies.get(COOKIE)
    if code and conversation:
        asked = await _advisor_consent(request, conversations, conversation, code)
        if asked is not None:
            return asked
    return await _page(request, conversations, today, conversation, advisor=code, bad_advisor=bad)


async def _advisor_consent(
    request: Request,
    conversations: Conversations,
    conversation: str,
    code: str,
    status_code: int = 200,
) -> HTMLResponse | None:
    """An advisor's link opened during a conversation: ask, then and there, whether to share it
    with that advisor (None when there is nothing to ask)."""
    record = await conversations.show(conversation, channel=CHANNEL)
    if record is None or (record.advisor_code == code and record.consent_share):
        return None
    question = by_id("share_advisor")
    assert question is not None
    token = csrf_token(request)
    context = {
        "csrf": token,
        "advisor": code,
        "question": question.wording({"advisor": code}),
        "expired": status_code == 403,
    }
    response = templates.TemplateResponse(
        request, "advisor_consent.html", context, status_code=status_code
    )
    _set_cookies(request, response, token, None)
    return response


@router.post("/chat/advisor", response_class=HTMLResponse)
async def chat_advisor(
    request: Request,
    conversations: ConversationsDep,
    csrf: Annotated[str, Form()] = "",
    advisor: Annotated[str, Form(max_length=64)] = "",
    consent: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The answer to the advisor-link question: "yes" shares this conversation (its result
    too, once there is one) with that advisor; "no" leaves it as it was."""
    conversation = request.cookies.get(COOKIE)
    code, _ = _advisor_code(advisor)
    if conversation is None or code is None:
        return RedirectResponse("/", status_code=303)
    if not csrf_ok(request, csrf):
        asked = await _advisor_consent(request, conversations, conversation, code, status_code=403)
        return asked or RedirectResponse("/", status_code=303)
    if consent == "yes":
        with contextlib.suppress(ConversationNotFound):  # deleted meanwhile: nothing to share
            await conversations.link_advisor(conversation, code, consent=True)
    return RedirectResponse("/", status_code=303)


@router.get("/chat", response_class=HTMLResponse)
async def chat_view(
    request: Request,
    conversations: ConversationsDep,
    today: TodayDep,
    confirm: str | None = None,
    done: str | None = None,
    reminders: str | None = None,
) -> HTMLResponse:
    conversation = request.cookies.get(COOKIE)
    if done == "deleted":
        response = await _page(request, conversations, today, None, notice="forgotten")
        response.delete_cookie(COOKIE)
        return response
    return await _page(
        request,
        conversations,
        today,
        conversation,
        confirm=confirm if confirm == "restart" else None,
        preview=reminders == "preview",
    )


@router.post("/chat/start", response_class=HTMLResponse)
async def chat_start(
    request: Request,
    conversations: ConversationsDep,
    today: TodayDep,
    csrf: Annotated[str, Form()] = "",
    advisor: Annotated[str, Form()] = "",
    consent: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_ok(request, csrf):
        return await _page(request, conversations, today, None, status_code=403)
    code, _ = _advisor_code(advisor)
    turn = await conversations.start(CHANNEL, advisor_code=code, consent=bool(consent))
    await _keep_notes(conversations, turn, _turn_notes(turn, ""))
    response = _see()
    _set_cookies(request, response, csrf, turn.conversation_id)
    return response


@router.post("/chat", response_class=HTMLResponse)
async def chat_answer(
    request: Request,
    conversations: ConversationsDep,
    today: TodayDep,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str | None, Form()] = None,
    choice: Annotated[str | None, Form()] = None,
    question_id: Annotated[str | None, Form()] = None,
    command: Annotated[str | None, Form()] = None,
    confirm: Annotated[str | None, Form()] = None,
) -> Response:
    conversation = request.cookies.get(COOKIE)
    if not csrf_ok(request, csrf):
        return await _page(request, conversations, today, conversation, status_code=403)
    if conversation is None:
        return _see("/")
    typed = text or ""
    if command is None and choice is None and not typed.strip():
        return _see()  # Enter on an empty box: nothing to do
    if len(typed) > MAX_ANSWER:
        return await _too_long(conversations, today, conversation, typed, question_id)
    if command:
        incoming = Incoming(command=command[:32])
    elif question_id:
        # Typed or tapped, the answer is for the question this page showed: if the
        # conversation has moved on (an old tab, the browser's Back), it is told so.
        incoming = Incoming(choice=(question_id[:64], choice[:64] if choice else typed))
    else:
        incoming = Incoming(text=typed)
    asked = command_of(incoming)
    if asked is not None and asked[0] == "restart" and confirm != "yes":
        return _see("/chat?confirm=restart")  # asked first: it clears every answer
    try:
        turn = await conversations.turn_by_id(conversation, incoming, channel=CHANNEL)
    except ConversationNotFound:
        response = _see("/")
        response.delete_cookie(COOKIE)
        return response
    if turn.forgot:
        response = _see("/chat?done=deleted")
        response.delete_cookie(COOKIE)
        return response
    await _keep_notes(conversations, turn, _turn_notes(turn, typed if choice is None else ""))
    return _see()


async def _too_long(
    conversations: Conversations,
    today: date,
    conversation: str,
    typed: str,
    question_id: str | None,
) -> Response:
    """A refused answer, without a turn: the message says why, the box keeps what fits."""
    record = await conversations.show(conversation, channel=CHANNEL)
    if record is None:
        return _see("/")
    state = State.from_json(record.state)
    now = snapshot(state, today)
    notes = {
        "messages": [],
        "review": False,
        "problem": {
            "reason": line("too_long", length=len(typed), limit=MAX_ANSWER),
            "example": now.question.example if now.question else "",
            "typed": typed[:MAX_ANSWER],
            "question_id": question_id,
        },
    }
    state.channel[NOTES] = notes
    await conversations.keep(record, state)
    return _see()


@router.get("/chat/print", response_class=HTMLResponse)
async def chat_print(
    request: Request, conversations: ConversationsDep, today: TodayDep
) -> Response:
    conversation = request.cookies.get(COOKIE)
    record = await conversations.show(conversation, channel=CHANNEL) if conversation else None
    state = State.from_json(record.state) if record else None
    now = snapshot(state, today) if state else None
    if state is None or now is None or now.result is None:
        return _see()
    math = render_replies([Math(now.result)], "web")[0].text
    sources = list(dict.fromkeys(f"{t.rule} · {t.source}" for t in now.result.trace))
    context = {
        "result": _result_html(now.result, state, now.closed),
        "summary": now.summary,
        "math": Markup(math),
        "sources": sources,
        "prepared": line("print_date", date=day(today)),
    }
    return templates.TemplateResponse(request, "print.html", context)


@router.get("/faq", response_class=HTMLResponse)
async def faq_topics(request: Request) -> HTMLResponse:
    """Every FAQ topic, each linking to its own page."""
    context = {"found": None, "entries": faq_entries()}
    return templates.TemplateResponse(request, "faq.html", context)


@router.get("/faq/{entry_id}", response_class=HTMLResponse)
async def faq_page(
    request: Request, conversations: ConversationsDep, entry_id: str
) -> HTMLResponse:
    """One FAQ topic with its detail and sources, in the visitor's own figures when their
    conversation has them."""
    if entry_id not in faq_entry_ids():
        raise HTTPException(404, "no such topic")
    conversation = request.cookies.get(COOKIE)
    record = await conversations.show(conversation) if conversation else None
    figures = faq_figures(State.from_json(record.state)) if record else {}
    context = {"found": faq_topic(entry_id, figures), "entries": ()}
    return templates.TemplateResponse(request, "faq.html", context)
