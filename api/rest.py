"""The REST API: stateless evaluation, and the conversation as JSON for any front end."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from api.deps import ConversationsDep, TodayDep
from conversations import (
    ADVISOR_CODE_MAX,
    ADVISOR_CODE_PATTERN,
    Ask,
    ConversationNotFound,
    Conversations,
    FaqReply,
    FaqTopics,
    Incoming,
    Reply,
    ReplyCommand,
    ResultReply,
    State,
    Turn,
    is_advisor_code,
    line,
    render_replies,
    snapshot,
)
from engine import (
    Result,
    ScenarioError,
    evaluate,
    parse_scenario,
    supported_years,
    to_jsonable,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1")
# The REST API reads and writes only the conversations it started: another channel's id is
# not found, exactly like an unknown one.
CHANNEL = "api"

SCENARIO_EXAMPLE: dict[str, Any] = {
    "tax_year": supported_years()[-1],
    "age": 45,
    "filing_status": "single",
    "magi": 180000,
    "jobs": [
        {
            "type": "employee",
            "compensation": 210000,
            "plan": {
                "type": "401k",
                "after_tax": "yes",
                "in_plan_conversion": "yes",
                "in_service_withdrawal": "unknown",
                "employee_deferrals": 24500,
                "employer_contributions": 10500,
            },
        }
    ],
}


class ErrorOut(BaseModel):
    detail: str = Field(examples=["must not be negative"])
    field: str | None = Field(default=None, examples=["jobs[0].plan.employee_deferrals"])


class ChoiceOut(BaseModel):
    value: str
    label: str


class QuestionOut(BaseModel):
    id: str = Field(examples=["job0.pay"])
    text: str
    kind: str = Field(examples=["money"])
    choices: list[ChoiceOut]
    number: int
    total: int = Field(description="about how many questions in all")
    example: str = Field(description="what to type, shown with a wrong answer")
    current: str | None = Field(default=None, description="the earlier answer, when reopened")


class MessageOut(BaseModel):
    kind: str = Field(examples=["notice", "problem", "faq", "summary", "math", "help", "result"])
    text: str
    html: str


class FaqChoiceOut(BaseModel):
    id: str = Field(examples=["pro_rata_in_service"], description="send it back as `faq`")
    title: str


class FaqOut(BaseModel):
    """The FAQ's reply to free text (or to ``faq``): an answer, a "did you mean" with its
    choices, a decline, a miss, or the list of topics."""

    kind: Literal["answer", "choose", "decline", "miss", "topics"]
    entry: str | None = Field(description="the entry answered, for kind answer")
    title: str | None
    text: str = Field(description="the short answer, or the sentence for the other kinds")
    more: str = Field(description="the answer's detail (empty for the other kinds)")
    sources: list[str]
    choices: list[FaqChoiceOut] = Field(description="to choose from: send one back as `faq`")
    decline: str | None = Field(description="investment, evasion or rules, for kind decline")
    year: int | None = Field(description="the tax year whose figures the answer shows")


class SummaryItemOut(BaseModel):
    number: int
    question_id: str
    label: str
    answer: str


class ConversationOut(BaseModel):
    id: str
    status: str
    question: QuestionOut | None = Field(description="the pending question; null once finished")
    messages: list[MessageOut] = Field(description="what this turn said, in order")
    summary: list[SummaryItemOut]
    result: dict[str, Any] | None = Field(description="the contract's result once finished")
    faq: FaqOut | None = Field(
        default=None, description="the FAQ's reply when this turn's text was taken as a question"
    )
    paycheck: dict[str, Any] | None = Field(
        default=None,
        description="the paycheck plan once asked for (command `paycheck`, after the result) "
        "and its questions answered (their ids start with `pay.`): `jobs` (per job: the "
        "`elections` to set, each from a pay `date`, in the job's `unit`; the year's deferrals, "
        "match and after-tax money; the §415(c) limit and total), `rows` (each paycheck left: "
        "deferral, match, after-tax and the running totals against §402(g) and §415(c)), "
        "`limit_402g` and `total_402g`, `deposits` (an owner's plan: amount, source and due "
        "dates) and `warnings` (stable codes)",
        examples=[
            {
                "year": supported_years()[-1],
                "limit_402g": 24500,
                "total_402g": 24480,
                "jobs": [
                    {
                        "job": "your job",
                        "elections": [
                            {
                                "date": f"{supported_years()[-1]}-01-09",
                                "deferral": 12,
                                "after_tax": 19,
                                "unit": "whole_percent",
                            }
                        ],
                    }
                ],
                "rows": [],
                "deposits": [],
                "warnings": [],
            }
        ],
    )


class StrictIn(BaseModel):
    """A request body: a field it does not know is refused and named, in the words
    ``/v1/evaluate`` uses for a scenario's unknown field."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def known_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in data:
                if name not in cls.model_fields:
                    raise PydanticCustomError(
                        "unknown_field",
                        "unknown field; the fields here are {fields}",
                        {"field": str(name)[:64], "fields": ", ".join(cls.model_fields)},
                    )
        return data


def _advisor_code(code: str | None) -> str | None:
    if code is not None and not is_advisor_code(code):
        raise ValueError("use letters, digits, - and _ only (at most 64)")
    return code


class StartIn(StrictIn):
    advisor_code: Annotated[
        str | None,
        Field(max_length=ADVISOR_CODE_MAX, pattern=ADVISOR_CODE_PATTERN),
        AfterValidator(_advisor_code),
    ] = None
    consent_share: bool = Field(default=False, description="share the intake with the advisor")


class TapIn(StrictIn):
    question_id: str = Field(max_length=64)
    value: str = Field(max_length=64)


Command = ReplyCommand


class AnswerIn(StrictIn):
    """Exactly one of: typed text, a choice for a question, a command, ``edit``, or ``faq``."""

    text: str | None = Field(default=None, max_length=2000, examples=["$65,000"])
    choice: TapIn | None = None
    command: Command | None = None
    edit: int | None = Field(default=None, ge=1, le=99, description="summary number to change")
    faq: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="an FAQ topic to read (an id from `faq.choices`), with its detail",
    )

    @model_validator(mode="after")
    def one_kind(self) -> AnswerIn:
        given = [
            x for x in (self.text, self.choice, self.command, self.edit, self.faq) if x is not None
        ]
        if len(given) != 1:
            raise ValueError("send exactly one of text, choice, command, edit or faq")
        return self

    def incoming(self) -> Incoming:
        if self.choice is not None:
            return Incoming(choice=(self.choice.question_id, self.choice.value))
        if self.command is not None:
            return Incoming(command=self.command)
        if self.edit is not None:
            return Incoming(command=f"edit:{self.edit}")
        if self.faq is not None:
            return Incoming(command=f"faq:{self.faq}")
        return Incoming(text=self.text)


def _question(ask: Ask | None) -> QuestionOut | None:
    if ask is None:
        return None
    return QuestionOut(
        id=ask.question_id,
        text=ask.text,
        kind=ask.kind,
        choices=[ChoiceOut(value=v, label=label) for v, label in ask.choices],
        number=ask.number,
        total=ask.total,
        example=ask.example,
        current=ask.current,
    )


def _messages(replies: list[Reply]) -> list[MessageOut]:
    shown: list[Reply] = [r for r in replies if not isinstance(r, Ask)]
    texts = render_replies(shown, "text")
    pages = render_replies(shown, "web")
    return [
        MessageOut(kind=t.kind, text=t.text, html=h.text) for t, h in zip(texts, pages, strict=True)
    ]


def _faq(replies: list[Reply]) -> FaqOut | None:
    """The turn's FAQ reply, as data."""
    for reply in reversed(replies):
        if isinstance(reply, FaqTopics):
            choices = [FaqChoiceOut(id=e.id, title=e.title) for e in reply.entries]
            return FaqOut(
                kind="topics",
                entry=None,
                title=None,
                text=line("faq_topics"),
                more="",
                sources=[],
                choices=choices,
                decline=None,
                year=None,
            )
        if isinstance(reply, FaqReply):
            found = reply.answer
            return FaqOut(
                kind=found.kind,
                entry=found.entry.id if found.entry else None,
                title=found.entry.title if found.entry else None,
                text=found.text,
                more=found.more,
                sources=list(found.sources),
                choices=[FaqChoiceOut(id=e.id, title=e.title) for e in found.choices],
                decline=found.decline,
                year=found.year,
            )
    return None


def conversation_out(
    conversation_id: str,
    status_: str,
    state: State,
    turn: Turn | None,
    today: date | None = None,
) -> ConversationOut:
    now = snapshot(state, today)
    result: Result | None = now.result
    if turn is not None:
        result = next((r.result for r in turn.replies if isinstance(r, ResultReply)), result)
    return ConversationOut(
        id=conversation_id,
        status=status_,
        question=_question(now.question),
        messages=_messages(turn.replies) if turn is not None else [],
        summary=[SummaryItemOut(**vars(item)) for item in now.summary.items],
        result=None if result is None else to_jsonable(result.to_dict()),
        faq=_faq(turn.replies) if turn is not None else None,
        paycheck=None if now.paycheck is None else to_jsonable(asdict(now.paycheck.plan)),
    )


NOT_FOUND = {"model": ErrorOut, "description": "No conversation with that id"}
NOT_JSON = {"model": ErrorOut, "description": "The body is not JSON (or not UTF-8)"}
UNAVAILABLE: dict[str, Any] = {
    "model": ErrorOut,
    "description": "The database is unavailable: nothing was changed; try again later",
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}


async def _after_turn(
    conversations: Conversations, today: date, conversation_id: str, turn: Turn
) -> ConversationOut:
    record = await conversations.show(conversation_id, channel=CHANNEL)
    if record is None:  # deleted by "forget"
        return ConversationOut(
            id=conversation_id,
            status="deleted",
            question=None,
            messages=_messages(turn.replies),
            summary=[],
            result=None,
        )
    state = State.from_json(record.state)
    return conversation_out(record.id, record.status, state, turn, today)


@router.post(
    "/evaluate",
    tags=["evaluate"],
    summary="Evaluate a scenario (stateless, nothing stored)",
    responses={
        400: NOT_JSON,
        422: {"model": ErrorOut, "description": "The scenario is invalid"},
    },
)
async def evaluate_scenario(
    request: Request,
    scenario: Annotated[dict[str, Any], Body(examples=[SCENARIO_EXAMPLE])],
) -> JSONResponse:
    """Scenario JSON in (docs/CONTRACT.md), result JSON out; the same as `megaroth evaluate`."""
    data = json.loads(await request.body(), parse_float=Decimal)
    try:
        parsed = parse_scenario(data)
    except ScenarioError as exc:
        return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=422)
    return JSONResponse(to_jsonable(evaluate(parsed).to_dict()))


@router.post(
    "/conversations",
    tags=["conversations"],
    status_code=status.HTTP_201_CREATED,
    summary="Start a conversation; returns the first question",
    responses={
        400: NOT_JSON,
        422: {"model": ErrorOut, "description": "The body is invalid"},
        503: UNAVAILABLE,
    },
)
async def start_conversation(
    conversations: ConversationsDep, today: TodayDep, body: StartIn | None = None
) -> ConversationOut:
    body = body or StartIn()
    turn = await conversations.start(
        CHANNEL, advisor_code=body.advisor_code, consent=body.consent_share
    )
    assert turn.conversation_id is not None
    return await _after_turn(conversations, today, turn.conversation_id, turn)


@router.post(
    "/conversations/{conversation_id}/answers",
    tags=["conversations"],
    summary="Answer the pending question, or send a command (back, restart, summary, edit…)",
    responses={404: NOT_FOUND, 400: NOT_JSON, 422: {"model": ErrorOut}, 503: UNAVAILABLE},
)
async def answer(
    conversations: ConversationsDep, today: TodayDep, conversation_id: str, body: AnswerIn
) -> ConversationOut:
    try:
        turn = await conversations.turn_by_id(conversation_id, body.incoming(), channel=CHANNEL)
    except ConversationNotFound as exc:
        raise HTTPException(404, "no conversation with that id") from exc
    return await _after_turn(conversations, today, conversation_id, turn)


@router.get(
    "/conversations/{conversation_id}",
    tags=["conversations"],
    summary="Where a conversation stands: the pending question, the answers, the result",
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
)
async def get_conversation(
    conversations: ConversationsDep, today: TodayDep, conversation_id: str
) -> ConversationOut:
    record = await conversations.show(conversation_id, channel=CHANNEL)
    if record is None:
        raise HTTPException(404, "no conversation with that id")
    state = State.from_json(record.state)
    return conversation_out(record.id, record.status, state, None, today)


@router.delete(
    "/conversations/{conversation_id}",
    tags=["conversations"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a conversation and everything stored with it",
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
)
async def delete_conversation(conversations: ConversationsDep, conversation_id: str) -> Response:
    if not await conversations.delete(conversation_id, channel=CHANNEL):
        raise HTTPException(404, "no conversation with that id")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
