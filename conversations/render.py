"""Replies into messages for one channel, through the Jinja2 templates in ``templates/``.

Three channels, one template set each: ``telegram`` (HTML within Telegram's 4096-character
limit, split at paragraph breaks), ``web`` (HTML fragments) and ``text`` (plain text with
numbered choices). Templates lay out; sentences come from ``wording.yaml``, the questions and
the engine's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from conversations.chart import SEGMENTS, stack, text_bar
from conversations.deadlines import ClosedYear
from conversations.flow import (
    Ask,
    Deadlines,
    FaqReply,
    FaqTopics,
    Help,
    Math,
    Notice,
    PaycheckReply,
    Problem,
    Reply,
    ResultReply,
    Summary,
)
from conversations.paycheck_view import paycheck_view
from conversations.reminders import phrase as reminder_phrase
from conversations.wording import WORDING, day, line
from engine import Result
from engine.money import usd
from engine.text import section

__all__ = [
    "TELEGRAM_LIMIT",
    "Button",
    "Channel",
    "OutMessage",
    "closed_year_view",
    "day",
    "render",
    "result_view",
    "split_message",
]

Channel = Literal["telegram", "web", "text"]
TELEGRAM_LIMIT = 4096
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # "a|<question id>|<value>" for an answer, "c|<command>" for a command


@dataclass(frozen=True)
class OutMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    kind: str = "notice"  # ask | problem | notice | result | summary | math | help | faq
    # | faq_topics
    question_id: str | None = None


def _money(value: Decimal | int | None) -> str:
    return "" if value is None else usd(Decimal(value))


def closed_year_view(closed: ClosedYear) -> dict[str, Any]:
    """A past tax year's note as sentences: the intro, what is still possible, or nothing."""
    year = closed.tax_year
    return {
        "intro": line("closed_year.intro", year=year, payroll=day(closed.payroll)),
        "still_title": line("closed_year.still", year=year) if closed.still else "",
        "still": [line(f"closed_year.{kind}", date=day(when)) for kind, when in closed.still],
        "nothing": ""
        if closed.still
        else line("closed_year.nothing", year=year, last=day(closed.last)),
    }


@cache
def _env(channel: Channel) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES / channel)),
        autoescape=channel in ("telegram", "web"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["usd"] = _money
    env.filters["day"] = day
    env.globals["w"] = line
    env.globals["wording"] = WORDING
    return env


_ONCE_PER_HOUSEHOLD = frozenset(
    {
        "see_professional",
        "solo_accounts",
        "form_5500ez_household",
        "form_5500ez_watch_household",
    }
)


def result_view(
    result: Result,
    labels: dict[int, str],
    closed: ClosedYear | None = None,
    spouse_labels: dict[int, str] | None = None,
) -> dict[str, Any]:
    """The result as plain values for the templates: figures, sentences, chart stacks; in the
    past tense, with what can still be done, for a tax year whose pay is over. With a spouse,
    ``spouse`` holds the spouse's own view (their plans, totals, warnings and next steps) and
    ``household`` the totals for the two of them."""
    view = _person_view(result, labels, closed)
    view["spouse"] = None
    view["household"] = None
    if result.spouse is not None and result.household is not None:
        spouse = _person_view(result.spouse, spouse_labels or {}, closed)
        s = result.spouse
        key: str = s.verdict
        if key == "available" and s.mega_backdoor_max > s.mega_backdoor_total:
            key = "available_by_choice"
        spouse["verdict"] = line(
            f"spouse_verdicts.{key}",
            total=usd(s.mega_backdoor_total),
            most=usd(s.mega_backdoor_max),
            option=usd(s.solo_401k_option.after_tax_room) if s.solo_401k_option else "",
        )
        # Said once for the two of them, in the person's steps: the plan's Form 5500-EZ (it
        # counts both accounts already) and the check with a professional.
        said = {str(m) for m in result.next_steps}
        spouse["steps"] = [
            str(m) for m in s.next_steps if not (m.key in _ONCE_PER_HOUSEHOLD and str(m) in said)
        ]
        view["spouse"] = spouse
        household = result.household
        view["household"] = {
            "total": household.mega_backdoor_total,
            "most": household.mega_backdoor_max
            if household.mega_backdoor_max > household.mega_backdoor_total
            else None,
            "roth_ira": household.roth_ira_contribution_limit,
        }
    return view


def _person_view(
    result: Result, labels: dict[int, str], closed: ClosedYear | None
) -> dict[str, Any]:
    plan_names = section("plan_names")
    route_names = section("route_names")
    plans = []
    for p in result.plans:
        s = stack(p)
        why = line(
            f"binding.{p.binding_limit}",
            dollar_limit=usd(p.annual_additions_limit),
            compensation=usd(p.compensation),
        )
        splits = None
        if p.roth_max is not None and p.deduction_max is not None and p.roth_max != p.deduction_max:
            splits = [
                (
                    line(
                        f"result_labels.split_{name}",
                        employer=usd(split.employer_contributions),
                        after_tax=usd(split.after_tax_room),
                    ),
                    split.employer_contributions == p.employer_contributions
                    and split.after_tax_room == p.after_tax_room,
                )
                for name, split in (("roth", p.roth_max), ("deduction", p.deduction_max))
            ]
        plans.append(
            {
                "splits": splits,
                "title": line(
                    "result_labels.plan",
                    plan=plan_names[p.plan_type],
                    job=labels.get(p.job, f"job {p.job + 1}"),
                ),
                "plan": p,
                "route": route_names[p.route],
                "why": why,
                "stack": s,
                "bar": text_bar(s),
            }
        )
    option = result.solo_401k_option
    key: str = result.verdict
    if result.verdict == "available" and result.mega_backdoor_max > result.mega_backdoor_total:
        key = "available_by_choice"
    verdict = line(
        f"verdicts_past.{result.verdict}" if closed else f"verdicts.{key}",
        total=usd(result.mega_backdoor_total),
        most=usd(result.mega_backdoor_max),
        option=usd(option.after_tax_room) if option else "",
        year=result.tax_year,
    )
    return {
        "result": result,
        "verdict": verdict,
        "plans": plans,
        "option": option,
        "option_job": labels.get(option.job, "") if option else "",
        "segments": [key for key, _ in SEGMENTS],
        "segment_chars": dict(SEGMENTS),
        "warnings": [(w.code, w.message) for w in result.warnings],
        "steps": [str(s) for s in result.next_steps],
        "closed": closed_year_view(closed) if closed else None,
        "total_label": (
            line("result_labels.total_past", year=result.tax_year)
            if closed
            else line("result_labels.total")
        ),
    }


def _context(reply: Reply) -> tuple[str, dict[str, Any]]:
    if isinstance(reply, Ask):
        return "ask", {"q": reply}
    if isinstance(reply, Problem):
        return "problem", {"p": reply}
    if isinstance(reply, Notice):
        return "notice", {"text": line(reply.key, **reply.params), "key": reply.key}
    if isinstance(reply, Summary):
        return "summary", {"items": reply.items}
    if isinstance(reply, ResultReply):
        return "result", result_view(reply.result, reply.labels, reply.closed, reply.spouse_labels)
    if isinstance(reply, Deadlines):
        return "deadlines", closed_year_view(reply.closed)
    if isinstance(reply, Math):
        r = reply.result
        sources: list[str] = []
        steps = []
        for t in r.trace:
            if t.source not in sources:
                sources.append(t.source)
            steps.append((t, sources.index(t.source) + 1))
        return "math", {"steps": steps, "sources": sources, "result": r}
    if isinstance(reply, Help):
        return "help", {}
    if isinstance(reply, FaqReply):
        return "faq", {"a": reply.answer, "detail": reply.detail}
    if isinstance(reply, FaqTopics):
        return "faq_topics", {"entries": reply.entries}
    if isinstance(reply, PaycheckReply):
        return "paycheck", paycheck_view(reply.plan, reply.skipped)
    raise TypeError(reply)  # pragma: no cover


def _faq_buttons(reply: FaqReply | FaqTopics) -> tuple[tuple[Button, ...], ...]:
    """Telegram's buttons for the FAQ: a topic each (a "Did you mean" or /faq), or "More"."""
    if isinstance(reply, FaqTopics):
        return tuple((Button(e.title, f"c|faq:{e.id}"),) for e in reply.entries)
    found = reply.answer
    if found.kind == "choose":
        return tuple((Button(e.title, f"c|faq:{e.id}"),) for e in found.choices)
    if found.kind == "answer" and found.entry is not None and not reply.detail:
        return ((Button(line("faq_more_button"), f"c|more:{found.entry.id}"),),)
    return ()


def _buttons(reply: Reply, channel: Channel) -> tuple[tuple[Button, ...], ...]:
    if isinstance(reply, FaqReply | FaqTopics):
        return _faq_buttons(reply) if channel == "telegram" else ()
    if channel == "telegram" and isinstance(reply, ResultReply) and reply.closed is None:
        return ((Button(line("paycheck_offer"), "c|paycheck"),),)
    if channel == "telegram" and isinstance(reply, PaycheckReply):
        return paycheck_buttons()
    if not isinstance(reply, Ask) or channel == "text":
        return ()
    rows: list[tuple[Button, ...]] = []
    if reply.current is not None and reply.choices:
        rows.append(
            (Button(line("keep_button", current=reply.current), f"a|{reply.question_id}|same"),)
        )
    row: list[Button] = []
    for value, label in reply.choices:
        row.append(Button(label, f"a|{reply.question_id}|{value}"))
        if len(row) == (1 if len(label) > 18 else 3):
            rows.append(tuple(row))
            row = []
    if row:
        rows.append(tuple(row))
    if reply.number > 1:
        rows.append((Button("◀ Back", "c|back"),))
    return tuple(rows)


def paycheck_buttons() -> tuple[tuple[Button, ...], ...]:
    """The paycheck plan's keyboard: a row to change the last answer, then the offer of
    reminders on the plan's dates (the election changes, the paystub checks)."""
    return (
        (Button("◀ Back", "c|back"), Button("Review answers", "c|summary")),
        (Button(reminder_phrase("offer_button"), "c|remind"),),
    )


def render(replies: list[Reply], channel: Channel) -> list[OutMessage]:
    out: list[OutMessage] = []
    env = _env(channel)
    for reply in replies:
        name, ctx = _context(reply)
        text = env.get_template(f"{name}.j2").render(**ctx).strip()
        parts = split_message(text) if channel == "telegram" else [text]
        buttons = _buttons(reply, channel)
        qid = reply.question_id if isinstance(reply, Ask) else None
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            out.append(OutMessage(part, buttons if last else (), name, qid))
    return out


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph breaks (then line breaks) so no part exceeds ``limit`` characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for block in _blocks(text, limit):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = block
    if current:
        parts.append(current)
    return parts


def _blocks(text: str, limit: int) -> list[str]:
    blocks: list[str] = []
    for para in text.split("\n\n"):
        while len(para) > limit:
            cut = para.rfind("\n", 0, limit)
            if cut <= 0:
                cut = para.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            blocks.append(para[:cut].rstrip())
            para = para[cut:].lstrip()
        blocks.append(para)
    return blocks
