"""Advisor pages: the intakes people chose to share, their detail, and exports.

Protected by ``ADVISOR_TOKEN``: a login form sets a signed, HTTP-only session cookie; every
form carries a CSRF token; nothing is served without the cookie.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import BaseModel

from api.deps import AppState, StateDep
from api.web import csrf_ok, csrf_token, templates
from conversations.flow import Math, State, snapshot
from conversations.models import IntakeResultPublic
from conversations.render import render
from conversations.service import FLAG_CODES

__all__ = ["SESSION_COOKIE", "router"]

router = APIRouter(prefix="/advisor", include_in_schema=False)
SESSION_COOKIE = "mr_advisor"
SESSION_SECONDS = 8 * 3600
VERDICTS = ("available", "available_with_solo_401k", "partial", "unavailable", "check_plan")


def _sign(secret: str, expires: int) -> str:
    key = hashlib.sha256(b"advisor-session:" + secret.encode()).digest()
    return hmac.new(key, str(expires).encode(), hashlib.sha256).hexdigest()


def _session_value(secret: str) -> str:
    expires = int(time.time()) + SESSION_SECONDS
    return f"{expires}.{_sign(secret, expires)}"


def signed_in(request: Request, app: AppState) -> bool:
    token = app.settings.advisor_token
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if token is None or "." not in cookie:
        return False
    expires, _, signature = cookie.partition(".")
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature, _sign(token.get_secret_value(), int(expires)))


def _to_login() -> RedirectResponse:
    return RedirectResponse("/advisor/login", status_code=303)


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    token = csrf_token(request)
    response = templates.TemplateResponse(
        request, f"advisor/{name}", {"csrf": token, **context}, status_code=status_code
    )
    response.set_cookie(
        "mr_csrf", token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, app: StateDep) -> Response:
    if signed_in(request, app):
        return RedirectResponse("/advisor", status_code=303)
    return _page(request, "login.html", {"error": None, "off": app.settings.advisor_token is None})


class LoginThrottle:
    """At most ``attempts`` failed sign-ins per client address in ``window`` seconds; then a
    429 with Retry-After until the window has passed (kept in this process)."""

    def __init__(self, attempts: int = 5, window: float = 900.0) -> None:
        self.attempts = attempts
        self.window = window
        self.failures: dict[str, list[float]] = {}

    def retry_after(self, client: str) -> int:
        now = time.monotonic()
        recent = [t for t in self.failures.get(client, []) if now - t < self.window]
        self.failures[client] = recent
        if len(recent) < self.attempts:
            return 0
        return int(self.window - (now - recent[0])) + 1

    def failed(self, client: str) -> None:
        self.failures.setdefault(client, []).append(time.monotonic())

    def succeeded(self, client: str) -> None:
        self.failures.pop(client, None)


THROTTLE = LoginThrottle()


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    app: StateDep,
    token: Annotated[str, Form(max_length=512)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    client = request.client.host if request.client else "unknown"
    wait = THROTTLE.retry_after(client)
    if wait:
        context = {"error": "Too many attempts: try again later.", "off": False}
        refused = _page(request, "login.html", context, status_code=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    expected = app.settings.advisor_token
    good = (
        expected is not None
        and csrf_ok(request, csrf)
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    )
    if not good or expected is None:
        THROTTLE.failed(client)
        context = {"error": "That token is not right.", "off": expected is None}
        return _page(request, "login.html", context, status_code=401)
    THROTTLE.succeeded(client)
    response = RedirectResponse("/advisor", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        _session_value(expected.get_secret_value()),
        max_age=SESSION_SECONDS,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path="/advisor",
    )
    return response


@router.post("/logout")
async def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    response = RedirectResponse("/advisor/login", status_code=303)
    if csrf_ok(request, csrf):
        response.delete_cookie(SESSION_COOKIE, path="/advisor")
    return response


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class IntakeFilters(BaseModel):
    verdict: str | None = None
    since: str | None = None
    until: str | None = None


Filters = Annotated[IntakeFilters, Query()]


async def _intakes(app: AppState, filters: IntakeFilters) -> list[IntakeResultPublic]:
    start, end = _day(filters.since), _day(filters.until)
    return await app.storage.list_intakes(
        None,
        verdict=filters.verdict if filters.verdict in VERDICTS else None,
        since=datetime.combine(start, clock.min, UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), clock.min, UTC) if end else None,
        shared_only=True,
    )


def _flags(intake: IntakeResultPublic) -> list[str]:
    return [FLAG_CODES.get(code, code) for code in intake.flags]


@router.get("", response_class=HTMLResponse)
async def intake_list(request: Request, app: StateDep, filters: Filters) -> Response:
    if not signed_in(request, app):
        return _to_login()
    rows = await _intakes(app, filters)
    context = {
        "rows": [(i, _flags(i)) for i in rows],
        "verdicts": VERDICTS,
        "filters": {k: v or "" for k, v in filters.model_dump().items()},
        "query": str(request.url.query),
    }
    return _page(request, "list.html", context)


@router.get("/intakes/{intake_id}", response_class=HTMLResponse)
async def intake_detail(request: Request, app: StateDep, intake_id: str) -> Response:
    if not signed_in(request, app):
        return _to_login()
    intake = await app.storage.get_intake(intake_id)
    if intake is None or not intake.consent_share:
        return _page(request, "missing.html", {}, status_code=404)
    record = await app.storage.load(intake.conversation_id)
    answers = []
    math_html = Markup("")
    if record is not None:
        now = snapshot(State.from_json(record.state))
        answers = list(now.summary.items)
        if now.result is not None:
            math_html = Markup(render([Math(now.result)], "web")[0].text)
    context = {
        "intake": intake,
        "flags": _flags(intake),
        "answers": answers,
        "scenario": json.dumps(intake.scenario, indent=2),
        "math": math_html,
        "warnings": intake.result.get("warnings", []),
        "steps": intake.result.get("next_steps", []),
    }
    return _page(request, "detail.html", context)


EXPORT_COLUMNS = (
    "id",
    "created_at",
    "channel",
    "advisor_code",
    "verdict",
    "mega_backdoor_total",
    "flags",
    "tax_year",
    "rules_version",
)


def _export_row(intake: IntakeResultPublic) -> dict[str, Any]:
    return {
        "id": intake.id,
        "created_at": intake.created_at.isoformat(),
        "channel": intake.channel,
        "advisor_code": intake.advisor_code,
        "verdict": intake.verdict,
        "mega_backdoor_total": str(intake.mega_backdoor_total),
        "flags": "; ".join(_flags(intake)),
        "tax_year": intake.scenario.get("tax_year"),
        "rules_version": intake.rules_version,
    }


@router.get("/export.csv")
async def export_csv(request: Request, app: StateDep, filters: Filters) -> Response:
    if not signed_in(request, app):
        return _to_login()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for intake in await _intakes(app, filters):
        writer.writerow({k: _csv_safe(v) for k, v in _export_row(intake).items()})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="megaroth-intakes.csv"'},
    )


def _csv_safe(value: Any) -> Any:
    """Keep spreadsheet formulas out of exported text cells."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@router.get("/export.json")
async def export_json(request: Request, app: StateDep, filters: Filters) -> Response:
    if not signed_in(request, app):
        return _to_login()
    items = [
        {**_export_row(i), "flags": _flags(i), "scenario": i.scenario, "result": i.result}
        for i in await _intakes(app, filters)
    ]
    return Response(
        json.dumps({"intakes": items}, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="megaroth-intakes.json"'},
    )
