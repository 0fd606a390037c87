"""Advisor pages: the intakes people chose to share, their detail, and exports.

Each advisor has an account (``megaroth advisor add NAME``) with a sign-in token and the codes
they hand out; they see only intakes made with their codes. ``ADVISOR_TOKEN`` signs in the
administrator, who sees every shared intake. A sign-in starts a session stored on the server
(the cookie holds a random key; the database keeps its SHA-256): signing out deletes it, so a
copied cookie stops working, and it expires after ``SESSION_SECONDS``. Every form carries a
CSRF token.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import BaseModel

from api.deps import (
    SESSION_COOKIE,
    AdvisorDep,
    ConversationsDep,
    MaybeAdvisorDep,
    SettingsDep,
    StateDep,
    token_hash,
)
from api.limits import LoginThrottle
from api.settings import Settings
from api.web import csrf_ok, csrf_token, templates
from conversations import (
    FLAG_CODES,
    OUTLINE,
    AdvisorSignIn,
    Conversations,
    IntakeResultPublic,
    Math,
    State,
    answered,
    render_replies,
    snapshot,
)
from engine import Verdict, usd

__all__ = ["SESSION_COOKIE", "LoginThrottle", "new_token", "router", "token_hash"]

router = APIRouter(prefix="/advisor", include_in_schema=False)
SESSION_SECONDS = 8 * 3600
#: Verdicts in words, in the order the filter offers them.
VERDICTS: dict[Verdict, str] = {
    "available": "Works",
    "available_with_solo_401k": "Works with a Solo 401(k)",
    "partial": "Partly: only after leaving the job",
    "unavailable": "Does not work this year",
    "check_plan": "Depends on the plan",
}
FORM_EXPIRED = (
    "This form had expired (or was sent from another page), so nothing was done. "
    "It is shown again: please send it once more."
)


def new_token(advisor_id: str) -> str:
    """An advisor's sign-in token: the account id, a dot, then 256 random bits. The id lets a
    wrong token count against that account's lockout only."""
    return f"{advisor_id}.{secrets.token_urlsafe(32)}"


def _account(token: str) -> str:
    """The account a typed token names (its part before the dot), for the lockout."""
    head, dot, _ = token.partition(".")
    return head[:64] if dot else ""


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    token = csrf_token(request)
    response = templates.TemplateResponse(
        request,
        f"advisor/{name}",
        {"csrf": token, "verdict_words": VERDICTS, "money": _money, **context},
        status_code=status_code,
    )
    response.set_cookie(
        "mr_csrf", token, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


def _money(amount: Decimal | int | str) -> str:
    return usd(Decimal(amount))


async def _login_page(
    request: Request,
    conversations: Conversations,
    settings: Settings,
    error: str | None,
    status_code: int = 200,
) -> HTMLResponse:
    off = settings.advisor_token is None and not await conversations.advisors()
    return _page(request, "login.html", {"error": error, "off": off}, status_code)


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request,
    who: MaybeAdvisorDep,
    conversations: ConversationsDep,
    settings: SettingsDep,
) -> Response:
    if who:
        return RedirectResponse("/advisor", status_code=303)
    return await _login_page(request, conversations, settings, None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    app: StateDep,
    conversations: ConversationsDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=512)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_ok(request, csrf):
        return await _login_page(request, conversations, settings, FORM_EXPIRED, status_code=403)
    address = request.client.host if request.client else "unknown"
    account = _account(token)
    throttle = app.login_throttle
    wait = throttle.retry_after(address, account)
    if wait:
        refused = await _login_page(
            request,
            conversations,
            settings,
            "Too many wrong tokens: try again later.",
            status_code=429,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused
    admin = settings.advisor_token
    advisor_id: str | None = None
    if admin is not None and hmac.compare_digest(token.encode(), admin.get_secret_value().encode()):
        good = True
    else:
        advisor = await conversations.advisor_by_token(token_hash(token)) if token else None
        good = advisor is not None
        advisor_id = advisor.id if advisor is not None else None
    if not good:
        throttle.failed(address, account)
        return await _login_page(
            request, conversations, settings, "That token is not right.", status_code=401
        )
    throttle.succeeded(address, account)
    session = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(seconds=SESSION_SECONDS)
    await conversations.start_session(token_hash(session), advisor_id, expires)
    response = RedirectResponse("/advisor", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=SESSION_SECONDS,
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
        path="/advisor",
    )
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(
    request: Request,
    who: MaybeAdvisorDep,
    conversations: ConversationsDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if who is not None and not csrf_ok(request, csrf):
        return _page(request, "expired.html", {"who": who}, status_code=403)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await conversations.end_session(token_hash(cookie))
    response = RedirectResponse("/advisor/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/advisor")
    return response


# --- the intakes -----------------------------------------------------------------------------


class IntakeFilters(BaseModel):
    verdict: str | None = None
    since: str | None = None
    until: str | None = None


Filters = Annotated[IntakeFilters, Query()]


@dataclass
class Chosen:
    """Filters as understood, or the sentence saying which one is wrong."""

    verdict: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    error: str | None = None


def _day(value: str | None, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f'"{value[:40]}" is not a date for "{label}": pick one, or type it as YYYY-MM-DD.'
        ) from None


def _chosen(filters: IntakeFilters) -> Chosen:
    try:
        start = _day(filters.since, "From")
        end = _day(filters.until, "To")
    except ValueError as exc:
        return Chosen(error=str(exc))
    if filters.verdict and filters.verdict not in VERDICTS:
        return Chosen(error="That verdict is not one of the list: pick one, or any.")
    if start and end and end < start:
        return Chosen(error='"To" is before "From": swap the dates.')
    return Chosen(
        verdict=filters.verdict or None,
        since=datetime.combine(start, clock.min, UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), clock.min, UTC) if end else None,
    )


async def _intakes(
    conversations: Conversations, who: AdvisorSignIn, chosen: Chosen
) -> list[IntakeResultPublic]:
    return await conversations.intakes(
        verdict=chosen.verdict,
        since=chosen.since,
        until=chosen.until,
        advisor_id=who.advisor.id if who.advisor is not None else None,
    )


def _flags(intake: IntakeResultPublic) -> list[str]:
    return [FLAG_CODES.get(code, code) for code in intake.flags]


def _who(who: AdvisorSignIn) -> dict[str, Any]:
    if who.advisor is None:
        return {"name": None, "codes": []}
    return {"name": who.advisor.name, "codes": who.advisor.codes}


@router.get("", response_class=HTMLResponse)
async def intake_list(
    request: Request, who: AdvisorDep, conversations: ConversationsDep, filters: Filters
) -> Response:
    chosen = _chosen(filters)
    rows = [] if chosen.error else await _intakes(conversations, who, chosen)
    context = {
        "rows": [(i, _flags(i)) for i in rows],
        "filters": {k: v or "" for k, v in filters.model_dump().items()},
        "query": "" if chosen.error else str(request.url.query),
        "error": chosen.error,
        "who": _who(who),
    }
    return _page(request, "list.html", context, status_code=400 if chosen.error else 200)


def _answers(intake: IntakeResultPublic, state: dict[str, Any] | None) -> dict[str, Any]:
    """The answers the intake came from (older intakes: the conversation's current ones)."""
    if intake.answers:
        return intake.answers
    return dict((state or {}).get("answers", {}))


@router.get("/intakes/{intake_id}", response_class=HTMLResponse)
async def intake_detail(
    request: Request, who: AdvisorDep, conversations: ConversationsDep, intake_id: str
) -> Response:
    advisor_id = who.advisor.id if who.advisor is not None else None
    intake = await conversations.intake(intake_id, advisor_id=advisor_id)
    if intake is None or not intake.consent_share:
        return _page(request, "missing.html", {"who": _who(who)}, status_code=404)
    state = None
    if not intake.answers:
        record = await conversations.show(intake.conversation_id)
        state = record.state if record is not None else None
    now = snapshot(State(answers=_answers(intake, state)))
    math_html = (
        Markup(render_replies([Math(now.result)], "web")[0].text) if now.result else Markup("")
    )
    context = {
        "intake": intake,
        "flags": _flags(intake),
        "answers": list(now.summary.items),
        "scenario": json.dumps(intake.scenario, indent=2),
        "math": math_html,
        "warnings": intake.result.get("warnings", []),
        "steps": intake.result.get("next_steps", []),
        "spouse": intake.result.get("spouse"),
        "household": intake.result.get("household"),
        "who": _who(who),
    }
    return _page(request, "detail.html", context)


EXPORT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "channel",
    "advisor_code",
    "verdict",
    "mega_backdoor_total",
    "flags",
    "tax_year",
    "rules_version",
)
#: One column per question, named after its id: the same columns in every export (the
#: spouse's questions, ``answer.spouse.*``, come after the person's).
ANSWER_COLUMNS = tuple(f"answer.{q.id}" for q in OUTLINE)
#: A married couple's figures (empty without a spouse), after every other column.
HOUSEHOLD_COLUMNS = (
    "spouse.verdict",
    "spouse.mega_backdoor_total",
    "household.mega_backdoor_total",
    "household.roth_ira_contribution_limit",
)


def _household_row(intake: IntakeResultPublic) -> dict[str, Any]:
    spouse = intake.result.get("spouse") or {}
    household = intake.result.get("household") or {}
    return {
        "spouse.verdict": spouse.get("verdict", ""),
        "spouse.mega_backdoor_total": _decimal_cell(spouse.get("mega_backdoor_total")),
        "household.mega_backdoor_total": _decimal_cell(household.get("mega_backdoor_total")),
        "household.roth_ira_contribution_limit": _decimal_cell(
            household.get("roth_ira_contribution_limit")
        ),
    }


def _decimal_cell(value: Any) -> str:
    """An amount as the other money columns show it (two places); empty when absent."""
    return "" if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


def _export_row(intake: IntakeResultPublic) -> dict[str, Any]:
    return {
        "id": intake.id,
        "created_at": intake.created_at.isoformat(),
        "updated_at": intake.updated_at.isoformat(),
        "channel": intake.channel,
        "advisor_code": intake.advisor_code,
        "verdict": intake.verdict,
        "mega_backdoor_total": str(intake.mega_backdoor_total),
        "flags": "; ".join(_flags(intake)),
        "tax_year": intake.scenario.get("tax_year"),
        "rules_version": intake.rules_version,
    }


def _answer_cells(answers: dict[str, Any]) -> dict[str, str]:
    """Every question's answer as the person's summary shows it; empty when not asked."""
    return {
        f"answer.{q.id}": q.shown(answers[q.id], answers)
        if q.when(answers) and answered(q, answers)
        else ""
        for q in OUTLINE
    }


async def _export(conversations: Conversations, who: AdvisorSignIn, filters: IntakeFilters) -> Any:
    """The intakes to export, or a response saying what is wrong."""
    chosen = _chosen(filters)
    if chosen.error:
        return Response(chosen.error, status_code=400, media_type="text/plain; charset=utf-8")
    return await _intakes(conversations, who, chosen)


@router.get("/export.csv")
async def export_csv(
    who: AdvisorDep, conversations: ConversationsDep, filters: Filters
) -> Response:
    intakes = await _export(conversations, who, filters)
    if isinstance(intakes, Response):
        return intakes
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS + ANSWER_COLUMNS + HOUSEHOLD_COLUMNS)
    writer.writeheader()
    for intake in intakes:
        row = {**_export_row(intake), **_answer_cells(intake.answers), **_household_row(intake)}
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
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
async def export_json(
    who: AdvisorDep, conversations: ConversationsDep, filters: Filters
) -> Response:
    intakes = await _export(conversations, who, filters)
    if isinstance(intakes, Response):
        return intakes
    items = [
        {
            **_export_row(i),
            "flags": _flags(i),
            "answers": i.answers,
            "scenario": i.scenario,
            "result": i.result,
            **_household_row(i),
        }
        for i in intakes
    ]
    return Response(
        json.dumps({"intakes": items}, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="megaroth-intakes.json"'},
    )
