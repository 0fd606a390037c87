"""The web chat page at ``/``: the same conversation as plain HTML forms (no build step, no
script needed), resumed through a cookie."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.deps import AppState, StateDep
from conversations import faq
from conversations.flow import (
    Ask,
    Incoming,
    Problem,
    Reply,
    ResultReply,
    State,
    faq_figures,
    snapshot,
)
from conversations.questions import job_kinds, job_label
from conversations.render import render
from conversations.service import Turn, handle_by_id, link_advisor
from conversations.storage import ConversationNotFound
from conversations.wording import WORDING, line
from engine import Result

__all__ = ["COOKIE", "CSRF_COOKIE", "router", "templates"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["w"] = line
templates.env.globals["wording"] = WORDING
COOKIE = "mr_conversation"
CSRF_COOKIE = "mr_csrf"
ONE_YEAR = 365 * 24 * 3600
# Questions answered by buttons only (no typing box).
BUTTONS_ONLY = {"choice", "yes_no", "yes_no_unsure"}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def csrf_token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def csrf_ok(request: Request, sent: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and sent and hmac.compare_digest(cookie, sent))


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


async def _page(
    request: Request,
    app: AppState,
    conversation_id: str | None,
    turn: Turn | None = None,
    *,
    advisor: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = csrf_token(request)
    context: dict[str, Any] = {"csrf": token, "advisor": advisor, "messages": [], "problem": None}
    if status_code == 403:
        context["problem"] = Problem(line("page_expired"), line("send_again"))
    record = await app.storage.load(conversation_id) if conversation_id else None
    if record is None:
        context.update(started=False, question=None, result=None, summary=None)
    else:
        now = snapshot(State.from_json(record.state))
        shown: list[Reply] = []
        if turn is not None:
            for reply in turn.replies:
                if isinstance(reply, Problem):
                    context["problem"] = reply
                elif not isinstance(reply, Ask | ResultReply):  # both have their own place
                    shown.append(reply)
        context.update(
            started=True,
            question=now.question,
            buttons_only=now.question is not None and now.question.kind in BUTTONS_ONLY,
            messages=[m.text for m in render(shown, "web")],
            result=_result_html(now.result, record.state) if now.result else None,
            summary=now.summary,
        )
    response = templates.TemplateResponse(request, "chat.html", context, status_code=status_code)
    _set_cookies(request, response, token, record.id if record else None)
    return response


def _result_html(result: Result, state: dict[str, Any]) -> Markup:
    """The result as the web templates render it (already escaped there)."""
    answers = state.get("answers", {})
    labels = {slot: job_label(answers, slot) for slot in range(len(job_kinds(answers)))}
    return Markup(render([ResultReply(result, labels)], "web")[0].text)


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request, app: StateDep, advisor: str | None = None) -> HTMLResponse:
    code = advisor if advisor and advisor.replace("-", "").replace("_", "").isalnum() else None
    return await _page(request, app, request.cookies.get(COOKIE), advisor=code)


@router.post("/chat/start", response_class=HTMLResponse)
async def chat_start(
    request: Request,
    app: StateDep,
    csrf: Annotated[str, Form()] = "",
    advisor: Annotated[str, Form(max_length=64)] = "",
    consent: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_ok(request, csrf):
        return await _page(request, app, None, status_code=403)
    code = advisor if advisor and advisor.replace("-", "").replace("_", "").isalnum() else None
    record = await app.storage.get_or_create("web", secrets.token_hex(16))
    if code:
        await link_advisor(app.storage, record.id, code, consent=bool(consent))
    turn = await handle_by_id(app.storage, record.id, Incoming(command="start"))
    return await _page(request, app, record.id, turn)


@router.post("/chat", response_class=HTMLResponse)
async def chat_answer(
    request: Request,
    app: StateDep,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str | None, Form(max_length=2000)] = None,
    choice: Annotated[str | None, Form(max_length=64)] = None,
    question_id: Annotated[str | None, Form(max_length=64)] = None,
    command: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    conversation = request.cookies.get(COOKIE)
    if not csrf_ok(request, csrf):
        return await _page(request, app, conversation, status_code=403)
    if conversation is None:
        return RedirectResponse("/", status_code=303)
    if command:
        incoming = Incoming(command=command)
    elif question_id:
        # Typed or tapped, the answer is for the question this page showed: if the
        # conversation has moved on (an old tab, the browser's Back), it is told so.
        incoming = Incoming(choice=(question_id, choice if choice is not None else text or ""))
    else:
        incoming = Incoming(text=text or "")
    try:
        turn = await handle_by_id(app.storage, conversation, incoming)
    except ConversationNotFound:
        return await _page(request, app, None)
    return await _page(request, app, conversation, turn)


@router.get("/chat/print", response_class=HTMLResponse)
async def chat_print(request: Request, app: StateDep) -> HTMLResponse:
    conversation = request.cookies.get(COOKIE)
    record = await app.storage.load(conversation) if conversation else None
    now = snapshot(State.from_json(record.state)) if record else None
    if record is None or now is None or now.result is None:
        return await _page(request, app, conversation)
    context = {"result": _result_html(now.result, record.state), "summary": now.summary}
    return templates.TemplateResponse(request, "print.html", context)


@router.get("/faq", response_class=HTMLResponse)
async def faq_topics(request: Request) -> HTMLResponse:
    """Every FAQ topic, each linking to its own page."""
    context = {"found": None, "entries": faq.load_entries()}
    return templates.TemplateResponse(request, "faq.html", context)


@router.get("/faq/{entry_id}", response_class=HTMLResponse)
async def faq_topic(request: Request, app: StateDep, entry_id: str) -> HTMLResponse:
    """One FAQ topic with its detail and sources, in the visitor's own figures when their
    conversation has them."""
    if entry_id not in faq.entry_ids():
        raise HTTPException(404, "no such topic")
    conversation = request.cookies.get(COOKIE)
    record = await app.storage.load(conversation) if conversation else None
    figures = faq_figures(State.from_json(record.state)) if record else {}
    context = {"found": faq.topic(entry_id, figures), "entries": ()}
    return templates.TemplateResponse(request, "faq.html", context)
