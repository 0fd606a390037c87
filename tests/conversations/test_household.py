"""A married person and their spouse in one conversation: the offer to add the spouse, back,
edit and the summary across both people, a filing status that drops the spouse, and one answer
for the family in every channel's result."""

from __future__ import annotations

import re

import pytest

from conversations.flow import Ask, Incoming, ResultReply, State, Summary, step
from conversations.render import render

PERSON = ["/start", "2026", "45", "w2", "200000", "401k", "yes", "yes", "no", "max", "10000"]
MARRIED = [*PERSON, "married_joint", "300000", "0"]
SPOUSE = ["yes", "43", "w2", "180000", "401k", "yes", "yes", "no", "max", "5000", "20000"]


def _play(texts: list[str], state: State | None = None) -> tuple[State, list[object]]:
    state = state or State()
    replies: list[object] = []
    for text in texts:
        out = step(state, Incoming(text=text))
        state = State.from_json(out.state.to_json())
        replies = list(out.replies)
    return state, replies


def _spouse_keys(state: State) -> set[str]:
    keys = {*state.answers, *state.drafts}
    return {k for k in keys if k == "spouse" or k.startswith("spouse.")}


def test_a_single_person_is_never_offered_a_spouse() -> None:
    state, replies = _play([*PERSON, "single", "300000", "0"])
    assert isinstance(replies[-1], ResultReply)
    assert replies[-1].result.spouse is None
    assert _spouse_keys(state) == set()


@pytest.mark.parametrize("skip", ["skip", "no", "2", "Skip"])
def test_skipping_the_spouse_is_one_answer(skip: str) -> None:
    state, replies = _play([*MARRIED, skip])
    assert isinstance(replies[-1], ResultReply)
    assert replies[-1].result.spouse is None
    assert state.answers["spouse"] == "no"


def test_the_spouse_offer_has_a_one_tap_skip() -> None:
    _, replies = _play(MARRIED)
    ask = replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "spouse"
    buttons = [b for row in render([ask], "telegram")[0].buttons for b in row]
    assert "a|spouse|no" in {b.data for b in buttons}


def test_single_after_married_drops_every_spouse_answer_and_nothing_else() -> None:
    state, replies = _play([*MARRIED, *SPOUSE])
    assert isinstance(replies[-1], ResultReply)
    assert replies[-1].result.spouse is not None
    own = {k: v for k, v in state.answers.items() if k not in _spouse_keys(state)}
    state, replies = _play(["edit filing status", "single"], state)
    assert _spouse_keys(state) == set()
    assert state.answers == own | {"filing_status": "single"}
    assert isinstance(replies[-1], ResultReply)
    assert replies[-1].result.spouse is None
    assert replies[-1].spouse_labels == {}


def test_separately_after_jointly_keeps_the_spouse() -> None:
    state, _ = _play([*MARRIED, *SPOUSE])
    state, replies = _play(["edit filing status", "married_separate", "no"], state)
    assert state.answers["spouse.age"] == 43
    result = next(r for r in replies if isinstance(r, ResultReply)).result
    assert result.spouse is not None
    # Filing separately the spouse's own MAGI is not asked: no direct-contribution figure.
    assert result.spouse.roth_ira.direct_allowed is None


def test_skip_after_adding_drops_the_spouse_answers() -> None:
    state, _ = _play([*MARRIED, "yes", "43", "w2", "90000"])
    assert "spouse.job0.pay" in state.answers
    state, replies = _play(["back", "back", "back", "back"], state)
    ask = replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "spouse"
    state, replies = _play(["skip"], state)
    assert _spouse_keys(state) == {"spouse"}
    assert isinstance(replies[-1], ResultReply)


def test_the_summary_lists_both_people_and_edits_either() -> None:
    state, _ = _play([*MARRIED, *SPOUSE])
    state, replies = _play(["summary"], state)
    summary = next(r for r in replies if isinstance(r, Summary))
    labels = {item.question_id: item.label for item in summary.items}
    assert labels["age"] == "Age on 31 December"
    assert labels["spouse.age"] == "Your spouse: age on 31 December"
    assert labels["job0.pay"] == "Your job: pay"
    assert labels["spouse.job0.pay"] == "Your spouse's job: pay"
    assert labels["spouse.job0.deferrals"] == "Your spouse's job: your spouse's deferrals"
    number = next(i.number for i in summary.items if i.question_id == "spouse.job0.pay")
    state, replies = _play([f"edit {number}"], state)
    ask = replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "spouse.job0.pay"
    assert ask.current == "$180,000"
    assert "your spouse's job" in ask.text
    state, replies = _play(["150000"], state)
    result = next(r for r in replies if isinstance(r, ResultReply)).result
    assert result.spouse is not None
    assert result.spouse.plans[0].compensation == 150000


def test_changing_how_the_spouse_earns_forgets_only_the_spouse_jobs() -> None:
    state, _ = _play([*MARRIED, *SPOUSE])
    state, replies = _play(["edit spouse.income", "self"], state)
    ask = replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "spouse.job0.profit"
    assert "spouse.job0.pay" not in state.answers
    assert state.answers["job0.pay"] == "200000"


def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).replace("&#39;", "'").replace("&#34;", '"')


@pytest.mark.parametrize("channel", ["text", "telegram", "web"])
def test_one_answer_for_the_family_in_every_channel(channel: str) -> None:
    _, replies = _play([*MARRIED, *SPOUSE])
    reply = replies[-1]
    assert isinstance(reply, ResultReply)
    result = reply.result
    assert result.spouse is not None
    assert result.household is not None
    text = _plain("\n".join(m.text for m in render([reply], channel)))  # type: ignore[arg-type]
    # Each person's plan, each one's total, and the household's.
    assert "401(k) at your job" in text
    assert "401(k) at your spouse's job" in text
    rooms = re.findall(r"After-tax room:? ?(\$[\d,]+)", text)
    assert rooms.index("$37,500") < rooms.index("$42,500")  # the person's plan, then the spouse's
    assert "Your spouse's Mega Backdoor Roth: $42,500" in text
    assert "Mega Backdoor Roth for both of you: $80,000" in text
    assert "Roth IRA limits together: $15,000" in text
    # Next steps grouped by person, the person's first.
    assert text.index("Your next steps") < text.index("Your spouse's next steps")
    assert text.index("Your spouse's next steps") < text.index("The two of you together")


OWNER = [
    "/start",
    "2026",
    "45",
    "self",
    "250000",
    "no",
    "solo_401k",
    "yes",
    "yes",
    "no",
    "max",
    "roth",
    "married_joint",
    "260000",
    "0",
]
ON_PAYROLL = ["yes", "44", "w2", "yes", "60000", "max", "0"]


def test_what_concerns_the_household_once_is_said_once() -> None:
    """A spouse on the payroll of the person's Solo 401(k): the plan's Form 5500-EZ note (which
    counts both accounts), its separate accounts and the check with a professional are in the
    person's steps and not again in the spouse's; the spouse's own steps stay."""
    _, replies = _play([*OWNER, *ON_PAYROLL])
    reply = replies[-1]
    assert isinstance(reply, ResultReply)
    assert reply.result.spouse is not None
    spouse_keys = [m.key for m in reply.result.spouse.next_steps]
    assert "see_professional" in spouse_keys  # the engine's result keeps them for the spouse
    text = render([reply], "text")[0].text
    person_steps, rest = text.split("Your spouse's next steps")
    spouse_steps = rest.split("The two of you together")[0]
    for said_once in ("Form 5500-EZ", "tax professional", "separate accounts"):
        assert said_once in person_steps
        assert said_once not in spouse_steps
    assert "$35,500" in spouse_steps  # the spouse's own after-tax step
    assert "backdoor Roth IRA" in spouse_steps  # each spouse's own IRA
