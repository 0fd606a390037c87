"""Every template, every reply, every channel: the shapes render, Telegram stays within its
limits and its HTML, user text is escaped, and the result carries its chart, bars and
disclaimer."""

from __future__ import annotations

import html
import re
import string
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from conversations import faq
from conversations.chart import SEGMENTS, stack, text_bar
from conversations.flow import (
    Ask,
    FaqReply,
    FaqTopics,
    Help,
    Incoming,
    Math,
    Notice,
    Problem,
    Reply,
    ResultReply,
    State,
    Summary,
    SummaryItem,
    step,
)
from conversations.questions import OUTLINE, next_question
from conversations.render import TELEGRAM_LIMIT, Channel, OutMessage, render, split_message
from conversations.wording import WORDING, line
from engine import Result, evaluate, parse_scenario
from engine.money import usd

CHANNELS: tuple[Channel, ...] = ("telegram", "web", "text")
DISCLAIMER = "education, not tax advice"
SCRIPT = "<script>alert(1)</script>"
TAG_AND_AMP = "<b>&"
# What Telegram's HTML parse mode accepts.
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a"}
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")


# --- results of every shape --------------------------------------------------------------------


def _plan(kind: str = "401k", after_tax: str = "yes", conversion: str = "yes", **more: Any) -> Any:
    plan = {
        "type": kind,
        "after_tax": after_tax,
        "in_plan_conversion": conversion,
        "in_service_withdrawal": more.pop("withdrawal", "no"),
        "employee_deferrals": more.pop("deferrals", "max"),
        "employer_contributions": more.pop("employer", 5000),
    }
    return plan | more


def _w2(pay: int, plan: Any) -> dict[str, Any]:
    return {"type": "employee", "compensation": pay, "plan": plan}


def _scenario(jobs: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"tax_year": 2026, "age": 45, "filing_status": "single", "jobs": jobs} | more


SCENARIOS: dict[str, dict[str, Any]] = {
    "available_magi": _scenario([_w2(210000, _plan())], magi=180000, pretax_ira_balance=5000),
    "available_in_service_no_magi": _scenario(
        [_w2(150000, _plan(conversion="no", withdrawal="yes", after_tax_cap_percent=10))]
    ),
    "solo_option_no_plan": _scenario(
        [{"type": "self_employed", "net_profit": 65000, "plan": None}], magi=60000
    ),
    "solo_option_side_business": _scenario(
        [
            _w2(300000, _plan("403b", "no", "no", employer=15000)),
            {"type": "self_employed", "net_profit": 65000, "plan": None},
        ],
        filing_status="married_joint",
    ),
    "partial": _scenario([_w2(150000, _plan("403b", conversion="no"))], magi=100000),
    "unavailable_no_plan": _scenario([_w2(90000, None)], magi=161234),
    "unavailable_457b": _scenario([_w2(65000, _plan("457b", "no", "no", employer=0))]),
    "check_plan": _scenario(
        [_w2(200000, _plan(after_tax="unknown", conversion="unknown", withdrawal="unknown"))],
        age=55,
    ),
    "two_plans": _scenario(
        [_w2(120000, _plan()), _w2(80000, _plan(after_tax="no", conversion="no", employer=4000))],
        magi=200000,
        pretax_ira_balance=20000,
    ),
    "s_corp_age_61": _scenario(
        [
            {
                "type": "s_corp_owner",
                "compensation": 1200000,
                "prior_year_fica_wages": 1150000,
                "has_employees": False,
                "plan": _plan("solo_401k", conversion="no", withdrawal="yes", employer="max"),
            }
        ],
        age=61,
        filing_status="married_separate",
        magi=5000,
    ),
    "four_jobs": _scenario(
        [
            _w2(200000, _plan()),
            _w2(90000, _plan("403b", "unknown", "unknown", withdrawal="unknown")),
            {
                "type": "self_employed",
                "net_profit": 80000,
                "plan": _plan("solo_401k", conversion="no", deferrals=0, employer="max"),
            },
            {
                "type": "s_corp_owner",
                "compensation": 60000,
                "has_employees": True,
                "related_to": 2,
                "plan": _plan(conversion="no", deferrals=0, employer="max"),
            },
        ],
        age=61,
        filing_status="married_joint",
        magi=245000,
        pretax_ira_balance=30000,
    ),
}
LABELS = {0: "your job", 1: "your side business", 2: "your business", 3: "your S-corp"}


def _result(name: str) -> Result:
    return evaluate(parse_scenario(SCENARIOS[name]))


RESULTS = {name: _result(name) for name in SCENARIOS}


def test_the_results_cover_every_shape() -> None:
    results = RESULTS.values()
    verdicts = {r.verdict for r in results}
    assert verdicts == {"available", "available_with_solo_401k", "partial", "unavailable"} | {
        "check_plan"
    }
    assert {len(r.plans) for r in results} >= {0, 1, 2, 4}
    assert {r.roth_ira.direct_allowed is None for r in results} == {True, False}
    assert {bool(r.warnings) for r in results} == {True, False}
    assert any(r.solo_401k_option is not None and r.plans for r in results)
    assert any(r.catch_up_limit > 0 for r in results)
    assert any(p.max_employer_contribution is not None for r in results for p in r.plans)


# --- checks that apply to every message ---------------------------------------------------------


def _tags(text: str) -> Iterator[tuple[bool, str, str]]:
    for m in TAG.finditer(text):
        yield m.group(1) == "/", m.group(2).lower(), m.group(3)


def _check_telegram(message: OutMessage) -> None:
    text = message.text
    assert text.strip(), "an empty Telegram message"
    assert len(text) <= TELEGRAM_LIMIT, len(text)
    open_tags: list[str] = []
    for closing, name, _ in _tags(text):
        assert name in TELEGRAM_TAGS, f"Telegram does not take <{name}>"
        if closing:
            assert open_tags, f"</{name}> closes nothing"
            assert open_tags.pop() == name, f"</{name}> out of order"
        else:
            open_tags.append(name)
    assert not open_tags, f"unclosed {open_tags} in a part"
    # Outside tags, only entities: no stray < or & (Telegram rejects them).
    bare = TAG.sub("", text)
    assert "<" not in bare
    assert ">" not in bare
    assert not re.search(r"&(?!(?:lt|gt|amp|quot|#\d+);)", bare), "a raw & in Telegram HTML"


def _check_web(message: OutMessage) -> None:
    # Fragments are well-formed (X)HTML: they parse as XML inside one root.
    ET.fromstring(f"<root>{message.text}</root>")


def _check(messages: list[OutMessage], channel: str, *, typed: bool = False) -> None:
    """Checks for every message; ``typed``: it shows what someone typed, which may hold tags."""
    assert messages
    for message in messages:
        assert message.text.strip()
        assert "{" not in message.text, f"a placeholder left: {message.text[:200]}"
        assert "}" not in message.text
        assert "None" not in message.text, message.text[:200]
        if channel == "telegram":
            _check_telegram(message)
        elif channel == "web":
            _check_web(message)
        elif not typed:
            assert not TAG.search(message.text), "HTML in the text channel"


def _render(replies: list[Reply], channel: Channel, *, typed: bool = False) -> list[OutMessage]:
    messages = render(replies, channel)
    _check(messages, channel, typed=typed)
    return messages


def _joined(messages: list[OutMessage]) -> str:
    return "\n\n".join(m.text for m in messages)


def _plain(text: str) -> str:
    """What a person reads: tags dropped, entities decoded."""
    return html.unescape(TAG.sub("", text))


# --- the result -------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_result_renders(name: str, channel: Channel) -> None:
    result = RESULTS[name]
    messages = _render([ResultReply(result, LABELS)], channel)
    assert {m.kind for m in messages} == {"result"}
    text = _joined(messages)
    plain = _plain(text)
    assert DISCLAIMER in plain
    option = result.solo_401k_option
    by_choice = result.mega_backdoor_max > result.mega_backdoor_total
    verdict = line(
        "verdicts.available_by_choice"
        if result.verdict == "available" and by_choice
        else f"verdicts.{result.verdict}",
        total=usd(result.mega_backdoor_total),
        most=usd(result.mega_backdoor_max),
        option=usd(option.after_tax_room) if option else "",
    )
    assert plain.strip().startswith(verdict)
    for warning in result.warnings:
        assert warning.message in plain, warning.code
    for next_step in result.next_steps:
        assert str(next_step) in plain
    for plan in result.plans:
        assert LABELS[plan.job] in plain
    if option is not None:
        assert WORDING["result_labels"]["solo_option"].format(job=LABELS[option.job]) in plain


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_web_result_has_a_bar_and_its_amounts_per_plan(name: str) -> None:
    result = RESULTS[name]
    text = _joined(_render([ResultReply(result, LABELS)], "web"))
    if not result.plans:
        assert "<svg" not in text, "a chart with nothing in it"
        return
    assert text.count("<svg") == len(result.plans)  # one bar per plan
    start = 0
    for plan in result.plans:
        at = text.index("<svg", start)
        start = text.index("</svg>", at) + len("</svg>")
        svg = ET.fromstring(text[at:start])
        bars = [el for el in svg.iter() if el.tag.endswith("rect")]
        assert len(bars) == len(SEGMENTS)
        for el in bars:
            assert float(el.attrib["width"]) >= 0
            assert float(el.attrib["x"]) + float(el.attrib["width"]) <= 400.5
        # The amounts are text right after the bar (no hover needed).
        amounts = text[start : text.index("</ul>", start)]
        for segment in stack(plan).segments:
            assert usd(segment.amount) in amounts


@pytest.mark.parametrize("channel", ["text", "telegram"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_text_and_telegram_results_show_each_plans_bar(name: str, channel: Channel) -> None:
    result = RESULTS[name]
    text = _joined(_render([ResultReply(result, LABELS)], channel))
    for plan in result.plans:
        bar = text_bar(stack(plan))
        assert len(bar) == 24
        assert set(bar) <= {char for _, char in SEGMENTS}
        assert bar in text
    if result.plans:
        for _, char in SEGMENTS:  # the legend
            assert char in text


# --- math ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_math_renders_every_trace_entry(name: str, channel: Channel) -> None:
    result = RESULTS[name]
    messages = _render([Math(result)], channel)
    plain = _plain(_joined(messages))
    for entry in result.trace:
        assert entry.text in plain
        assert entry.source in plain


def test_a_long_math_is_split_for_telegram_at_paragraph_breaks() -> None:
    result = RESULTS["four_jobs"]
    whole = _joined(render([Math(result)], "text"))
    assert len(whole) > TELEGRAM_LIMIT, "the example must need splitting"
    parts = _render([Math(result)], "telegram")
    assert len(parts) >= 2
    assert all(len(p.text) <= TELEGRAM_LIMIT for p in parts)
    assert parts[0].text.startswith(f"<b>{html.escape(WORDING['math_title'])}</b>")
    # Each numbered entry stays whole, in one part, and the parts keep the order.
    entries = [
        f"{n}. {html.escape(t.text, quote=True)}\n<i>{html.escape(t.rule)}"
        for n, t in enumerate(result.trace, 1)
    ]
    where = []
    for entry in entries:
        holders = [i for i, p in enumerate(parts) if entry in p.text]
        assert len(holders) == 1, entry[:80]
        where.append(holders[0])
    assert where == sorted(where)
    for part in parts:
        assert not part.text.startswith(("\n", " ")), "a part starts mid-paragraph"
        assert not part.text.endswith(("\n", " "))


def test_a_long_result_is_split_for_telegram_within_the_limit() -> None:
    result = RESULTS["four_jobs"]
    parts = _render([ResultReply(result, LABELS)], "telegram")
    assert len(parts) >= 2
    assert DISCLAIMER in html.unescape(parts[-1].text)


# --- summary ------------------------------------------------------------------------------------


def _answered(*texts: str) -> State:
    state = State()
    for text in texts:
        state = step(state, Incoming(text=text)).state
    return state


W2_ANSWERS = (
    "/start", "2026", "45", "w2", "210000", "401k", "yes", "yes", "20%", "max", "10500", "single",
    "180000", "0",
)  # fmt: skip


@pytest.mark.parametrize("channel", CHANNELS)
def test_summary_of_a_real_conversation_renders(channel: Channel) -> None:
    state = _answered(*W2_ANSWERS)
    out = step(state, Incoming(command="summary"))
    summary = out.replies[0]
    assert isinstance(summary, Summary)
    assert len(summary.items) == 13
    text = _plain(_joined(_render(out.replies, channel)))
    for item in summary.items:
        assert item.label in text
        assert item.answer in text
    assert "20% of pay" in text


def test_a_summary_with_very_long_labels_is_split_at_line_breaks() -> None:
    items = tuple(
        SummaryItem(n, f"q{n}", f"Question {n} " + "with a very long label " * 12, f"answer {n}")
        for n in range(1, 31)
    )
    parts = _render([Summary(items)], "telegram")
    assert len(parts) >= 2
    for item in items:
        line = f"{item.number}. {item.label}: <b>{item.answer}</b>"
        assert sum(line in p.text for p in parts) == 1, "a line split across parts"


def test_split_message_keeps_every_paragraph_whole_and_in_order() -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * (50 + 37 * (n % 7)) for n in range(60)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_message(text)
    assert len(parts) >= 2
    assert all(len(p) <= TELEGRAM_LIMIT for p in parts)
    assert "\n\n".join(parts) == text


def test_split_message_cuts_an_overlong_paragraph_at_lines_then_spaces() -> None:
    lines = "\n".join("line " + "x" * 90 for _ in range(100))
    words = " ".join(["word"] * 2000)
    unbroken = "y" * 9000
    for text in (lines, words, unbroken):
        parts = split_message(text, limit=1000)
        assert all(0 < len(p) <= 1000 for p in parts)
        assert "".join("".join(parts).split()) == "".join(text.split()), "text lost"


# --- help, FAQ and notices ----------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_help_renders(channel: Channel) -> None:
    text = _plain(_joined(_render([Help()], channel)))
    for command in ("back", "summary", "math", "restart", "help"):
        assert command in text


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("detail", [False, True])
@pytest.mark.parametrize("question", ["what is the pro-rata rule?", "how does a solo 401k work"])
def test_faq_answers_render(channel: Channel, question: str, detail: bool) -> None:
    answer = faq.answer(question, {"tax_year": "2026", "age": "61"})
    assert answer.entry is not None
    messages = _render([FaqReply(answer, detail=detail)], channel)
    text = _plain(_joined(messages))
    assert answer.entry.title in text
    assert answer.text.split(". ")[0] in text
    sources = f"{WORDING['faq_sources']}: {'; '.join(answer.sources)}"
    assert (sources in text) is detail
    assert (answer.more.split(". ")[0] in text) is detail
    if channel == "text" and not detail:
        assert WORDING["faq_more_hint"] in text
    if channel == "web" and not detail:
        assert f'href="/faq/{answer.entry.id}"' in messages[0].text
    if channel == "telegram":
        more = [b.data for row in messages[-1].buttons for b in row]
        assert more == ([] if detail else [f"c|more:{answer.entry.id}"])


@pytest.mark.parametrize("channel", CHANNELS)
def test_did_you_mean_offers_each_choice(channel: Channel) -> None:
    answer = faq.answer("catch up")
    assert answer.kind == "choose"
    messages = _render([FaqReply(answer)], channel)
    text = _plain(_joined(messages))
    assert WORDING["faq_choose"] in text
    ids = [e.id for e in answer.choices]
    if channel == "telegram":  # buttons
        assert [b.data for row in messages[-1].buttons for b in row] == [f"c|faq:{i}" for i in ids]
    elif channel == "web":  # links
        for i in ids:
            assert f'href="/faq/{i}"' in messages[0].text
    else:  # numbered choices
        for n, e in enumerate(answer.choices, 1):
            assert f"{n}. {e.title}" in text
        assert WORDING["faq_choose_hint"] in text


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question", ["zzz qqq xyzzy", "should I buy bitcoin"])
def test_misses_and_declines_render_their_sentence(channel: Channel, question: str) -> None:
    answer = faq.answer(question)
    messages = _render([FaqReply(answer)], channel)
    assert _plain(_joined(messages)).strip() == answer.text
    assert all(not m.buttons for m in messages)


@pytest.mark.parametrize("channel", CHANNELS)
def test_faq_topics_list_every_topic(channel: Channel) -> None:
    entries = faq.load_entries()
    messages = _render([FaqTopics(entries)], channel)
    text = _joined(messages)
    if channel == "telegram":
        assert [b.data for row in messages[-1].buttons for b in row] == [
            f"c|faq:{e.id}" for e in entries
        ]
    elif channel == "web":
        for e in entries:
            assert f'href="/faq/{e.id}"' in text
    else:
        for n, e in enumerate(entries, 1):
            assert f"{n}. {e.title}" in text


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


PLAIN_KEYS = sorted(k for k, v in WORDING.items() if isinstance(v, str))


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_every_notice_renders(key: str, channel: Channel) -> None:
    params = {name: f"{name.upper()} & co" for name in _placeholders(WORDING[key])}
    messages = _render([Notice(key, params)], channel)
    assert [m.kind for m in messages] == ["notice"]
    text = _joined(messages)
    expected = str(WORDING[key]).format_map(params)
    assert (_plain(text) if channel != "text" else text) == expected
    if channel != "text":
        for value in params.values():  # figures are text: escaped like any other
            assert value.replace("&", "&amp;") in text


# --- questions and problems ---------------------------------------------------------------------

# Answers that, between them, reach every question of the outline.
PATHS: list[dict[str, str]] = [
    {"income": "w2_side", "age": "55", "job0.after_tax": "yes", "job0.conversion": "no"}
    | {"job1.plan": "solo_401k", "job1.after_tax": "yes", "job1.conversion": "yes"}
    | {"job1.owner_goal": "amount", "magi": "300000"},
    {"income": "two_w2", "age": "61", "job1.after_tax": "yes", "job1.conversion": "no"}
    | {"filing_status": "3"},
    {"income": "scorp", "job0.has_employees": "yes", "job0.after_tax": "unknown"},
    {"income": "self", "tax_year": "2024", "job0.owner_goal": "amount"},
    {"advisor": "ADV-42", "share_advisor": "yes"},
    {"income": "w2_side", "job0.pay": "20000", "job0.plan": "2"},
    {"income": "two_w2", "job1.pay": "20000"},
]
# The same paths for a spouse, added by a person filing jointly with a high MAGI; and a spouse
# on the payroll of the person's business.
PATHS += [
    {"filing_status": "2", "magi": "300000", "spouse": "1"}
    | {f"spouse.{k}": v for k, v in path.items() if k not in ("tax_year", "magi", "filing_status")}
    for path in PATHS
    if "advisor" not in path
]
PATHS.append(
    {"income": "self", "job0.plan": "1", "filing_status": "2", "spouse": "1"}
    | {"spouse.income": "1", "spouse.paid_by": "yes"}
)


DEFAULT_ANSWERS = {
    "tax_year": "2026",
    "age": "45",
    "spouse.age": "44",
    "choice": "1",
    "yes_no": "no",
    "yes_no_unsure": "yes",
    "money_or_max": "max",
    "cap": "no",
}


def _default_answer(question_id: str, kind: str) -> str:
    return DEFAULT_ANSWERS.get(question_id) or DEFAULT_ANSWERS.get(kind) or "100000"


@cache
def _asks_and_problems() -> tuple[dict[str, Ask], dict[str, Problem]]:
    """Each question as asked and its problem message, from walking the paths once (on first
    use, not when the tests are collected)."""
    asks: dict[str, Ask] = {}
    problems: dict[str, Problem] = {}
    for path in PATHS:
        start = State(answers={"advisor": path["advisor"]} if "advisor" in path else {})
        state = step(start, Incoming(command="start")).state
        while (q := next_question(state.answers)) is not None:
            out = step(state, Incoming(text="abc@@"))
            problem, ask = out.replies[0], out.replies[-1]
            assert isinstance(problem, Problem)
            assert isinstance(ask, Ask)
            assert ask.question_id == q.id
            problems.setdefault(q.id, problem)
            asks.setdefault(q.id, ask)
            answer = path.get(q.id, _default_answer(q.id, q.kind))
            state = step(out.state, Incoming(text=answer)).state
            assert q.id in state.answers, f"{q.id}: {answer!r} not taken"
    return asks, problems


def test_the_paths_reach_every_question() -> None:
    asks, _ = _asks_and_problems()
    assert set(asks) == {q.id for q in OUTLINE}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question_id", [q.id for q in OUTLINE])
def test_every_question_and_its_problem_render(question_id: str, channel: Channel) -> None:
    asks, problems = _asks_and_problems()
    ask = asks[question_id]
    messages = _render([problems[question_id], ask], channel)
    assert [m.kind for m in messages] == ["problem", "ask"]
    assert messages[1].question_id == question_id
    text = _plain(messages[1].text)
    assert ask.text in text
    assert f"Question {ask.number} of about {ask.total}" in text
    if channel == "text":
        for n, (_, label) in enumerate(ask.choices, 1):
            assert f"{n}. {label}" in text
        assert messages[1].buttons == ()
    else:
        buttons = [b for row in messages[1].buttons for b in row]
        answers = [b for b in buttons if b.data.startswith("a|")]
        assert [(b.data, b.label) for b in answers] == [
            (f"a|{question_id}|{value}", label) for value, label in ask.choices
        ]
        assert all(len(b.data.encode()) <= 64 for b in buttons), "Telegram callback data limit"
        assert ("c|back" in {b.data for b in buttons}) == (ask.number > 1)
    problem = problems[question_id]
    assert _plain(messages[0].text).endswith(f"{problem.reason} {problem.example}")


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_reopened_question_shows_the_earlier_answer(channel: Channel) -> None:
    state = _answered(*W2_ANSWERS[:5])
    out = step(state, Incoming(command="back"))
    ask = out.replies[-1]
    assert isinstance(ask, Ask)
    assert ask.current == "$210,000"
    text = _plain(_joined(_render(out.replies, channel)))
    assert "Your answer was $210,000: type same to keep it." in text


# --- escaping ---------------------------------------------------------------------------------

HOSTILE: list[Reply] = [
    Problem(SCRIPT, TAG_AND_AMP),
    Summary((SummaryItem(1, "age", f"Label {TAG_AND_AMP}", f"{SCRIPT} {TAG_AND_AMP}"),)),
    Notice("edit_unknown", {"target": SCRIPT + TAG_AND_AMP}),
    Ask("age", f"Age? {SCRIPT}", "number", (("x", TAG_AND_AMP),), 2, 9, "", TAG_AND_AMP),
    FaqReply(
        faq.FaqAnswer(
            "answer",
            faq.FaqEntry("hostile", f"Title {SCRIPT}", ("x",), "", (TAG_AND_AMP,)),
            f"Body {SCRIPT}\n\n{TAG_AND_AMP}",
            more=f"More {SCRIPT}",
            sources=(f"Source {TAG_AND_AMP}",),
        ),
        detail=True,
    ),
    FaqReply(
        faq.FaqAnswer(
            "choose",
            None,
            f"Did you {SCRIPT} {TAG_AND_AMP}",
            choices=(faq.FaqEntry("x", f"Title {SCRIPT} {TAG_AND_AMP}", (), "", ()),),
        )
    ),
    FaqTopics((faq.FaqEntry("x", f"Title {SCRIPT} {TAG_AND_AMP}", (), "", ()),)),
]


RAW_TAG_AND_AMP = re.compile(r"<b>&(?!lt;|gt;|amp;|quot;|#\d+;)")


def _escaped(text: str) -> None:
    assert SCRIPT not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not RAW_TAG_AND_AMP.search(text), "a raw <b>& (the template's own <b> is fine)"
    assert "&lt;b&gt;&amp;" in text


@pytest.mark.parametrize("channel", ["telegram", "web"])
@pytest.mark.parametrize("reply", HOSTILE, ids=lambda r: type(r).__name__)
def test_user_text_is_escaped_in_html_channels(reply: Reply, channel: Channel) -> None:
    messages = _render([reply], channel)
    if isinstance(reply, FaqTopics) and channel == "telegram":
        # The topics are buttons there: plain text, never read as HTML.
        assert [b.label for row in messages[-1].buttons for b in row] == [
            e.title for e in reply.entries
        ]
        return
    _escaped(_joined(messages))


@pytest.mark.parametrize("reply", HOSTILE, ids=lambda r: type(r).__name__)
def test_user_text_is_shown_as_typed_in_the_text_channel(reply: Reply) -> None:
    text = _joined(_render([reply], "text", typed=True))
    assert SCRIPT in text
    assert TAG_AND_AMP in text


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_advisor_code_from_a_link_is_escaped(channel: Channel) -> None:
    state = State(answers={"advisor": f"{SCRIPT} {TAG_AND_AMP}"})
    out = step(state, Incoming(command="start"))
    ask = out.replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "share_advisor"
    text = _joined(_render(out.replies, channel, typed=True))
    if channel == "text":
        assert f"{SCRIPT} {TAG_AND_AMP}" in text
    else:
        _escaped(text)


@pytest.mark.parametrize("channel", CHANNELS)
def test_what_a_person_types_comes_back_escaped(channel: Channel) -> None:
    """The one place typed text is echoed: ``edit <something unknown>``."""
    state = _answered("/start", "2026")
    out = step(state, Incoming(text=f"edit {SCRIPT} {TAG_AND_AMP}"))
    assert Notice("edit_unknown", {"target": f"{SCRIPT} {TAG_AND_AMP}"}) in out.replies
    text = _joined(_render(out.replies, channel, typed=True))
    if channel == "text":
        assert f"{SCRIPT} {TAG_AND_AMP}" in text
    else:
        _escaped(text)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_math_states_each_citation_once(name: str, channel: Channel) -> None:
    """Sources are listed once at the end; each step points to its number."""
    result = RESULTS[name]
    plain = _plain(_joined(_render([Math(result)], channel)))
    _, listed = plain.rsplit(WORDING["math_sources"], 1)
    lines = [line.strip().split("] ", 1)[-1] for line in listed.splitlines() if line.strip(" :")]
    assert sorted(lines) == sorted({entry.source for entry in result.trace})
