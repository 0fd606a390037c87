"""The FAQ knowledge base and its search: well-formed, sourced entries whose templates render
cleanly with or without the person's figures, always with the engine's figures for the year in
question and never a year's figure written into the file, realistic questions that find the right
entry, junk that finds none, and a deterministic ranking."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

import jinja2
import jinja2.meta
import pytest
import yaml

from conversations import faq
from conversations.faq import FIGURE_NAMES, PERSONAL_FIGURE_NAMES, YEAR_FIGURE_NAMES, FaqEntry
from engine import YearFigures, figures_for, supported_years
from engine.money import usd

ENTRIES = faq.load_entries()
ENTRY_IDS = {entry.id for entry in ENTRIES}
YEARS = supported_years()
NEWEST = YEARS[-1]

# The person's own figures, with unusual values, so a figure found in the output came from the
# figure and not from the text.
FIGURES = {
    "catch_up_limit": "$4,321",
    "after_tax_room": "$31,415",
    "age": "52",
}

# The only dollar amounts an answer template may spell out: worked examples, not yearly figures.
EXAMPLE_AMOUNTS: dict[str, set[str]] = {
    # The IRS's own pro-rata example.
    "pro_rata_in_service": {"$100,000", "$80,000", "$20,000", "$50,000", "$40,000", "$10,000"},
    # After-tax money that grew, split at separation.
    "after_tax_without_conversion": {"$50,000", "$75,000", "$25,000"},
    # An S-corp owner's $100,000 W-2 salary, with the 2025 limits.
    "solo_401k_s_corp": {"$100,000", "$23,500", "$25,000", "$21,500", "$70,000"},
    # Self-employment tax on $100,000 of profit (below every year's wage base).
    "self_employed_contribution_math": {"$100,000", "$14,130", "$92,935", "$18,587"},
}
_DOLLARS = re.compile(r"\$\d[\d,]*(?:\.\d+)?")

# Realistic questions -> the entry that should answer them.
QUESTIONS = [
    ("what is the pro-rata rule?", "pro_rata_in_service"),
    ("can I take out only the after-tax money?", "pro_rata_in_service"),
    ("what is a mega backdoor roth", "what_is_mega_backdoor_roth"),
    ("megabackdoor?", "what_is_mega_backdoor_roth"),
    ("how does the mega back door work", "what_is_mega_backdoor_roth"),
    ("why doesn't my employer offer after-tax contributions", "why_employers_dont_offer"),
    ("what is ACP testing", "why_employers_dont_offer"),
    ("can I do this with my 1099 side gig?", "side_business_1099"),
    ("I have a W-2 job and a side hustle, can I do a mega backdoor?", "side_business_1099"),
    ("what's the deal with form 8606", "tax_forms_1099r_8606"),
    ("how do I report the 1099r", "tax_forms_1099r_8606"),
    ("code G on my 1099-R", "tax_forms_1099r_8606"),
    ("do I need 3 bank accounts", "solo_401k_bank_accounts"),
    ("roth catch up 2026", "roth_catch_up_2026"),
    ("do catch-ups have to be roth if I earn over 150k?", "roth_catch_up_2026"),
    ("how does the five year rule work", "five_year_rules"),
    ("5 year rule for roth 401k", "five_year_rules"),
    ("is this even legal", "is_it_legal"),
    ("is the mega backdoor a loophole the IRS will close?", "is_it_legal"),
    ("does prorata apply to my backdoor roth ira", "ira_pro_rata_backdoor"),
    ("I have a rollover IRA, will my backdoor roth conversion be taxed?", "ira_pro_rata_backdoor"),
    ("what is a Solo 401k", "solo_401k_basics"),
    ("can I use a solo 401k with my s corp", "solo_401k_s_corp"),
    ("what if I hire an employee", "solo_401k_with_employees"),
    ("can I keep my solo 401k if I have a part-time employee", "solo_401k_with_employees"),
    (
        "everything is in the same index fund, how do they track pre-tax vs roth",
        "source_tracking_one_fund",
    ),
    ("my plan allows after-tax but no in-plan conversion", "after_tax_without_conversion"),
    ("what happens to after tax money when I leave my job", "after_tax_without_conversion"),
    ("what is roth-lite", "after_tax_without_conversion"),
    ("can I do two mega backdoors at once", "two_mega_backdoors"),
    ("controlled group rules", "two_mega_backdoors"),
    ("difference between roth 401k and after-tax", "roth_401k_vs_after_tax"),
    ("aren't roth and after-tax the same thing?", "roth_401k_vs_after_tax"),
    ("how do catch up contributions work", "catch_up_contributions"),
    ("I'm 61, what is the super catch-up?", "catch_up_contributions"),
    ("does catch-up give me more after-tax room", "catch_up_contributions"),
    ("can I do a mega backdoor in my 403b", "plan_403b"),
    ("I have a 403(b) at the hospital and my own practice", "plan_403b"),
    ("what about my 457b", "plan_457b"),
    ("when is the deadline to contribute", "contribution_deadlines"),
    ("can I still make employer contributions after december 31", "contribution_deadlines"),
    ("what is the 415c limit", "annual_additions_limit_415c"),
    ("what's the total annual additions limit", "annual_additions_limit_415c"),
    ("what is the 402g limit", "elective_deferral_limit_402g"),
    ("what's the max 401k employee contribution", "elective_deferral_limit_402g"),
    (
        "does my fidelity solo 401k allow after tax contributions",
        "off_the_shelf_vs_custom_solo_401k",
    ),
    ("do I need a custom plan document", "off_the_shelf_vs_custom_solo_401k"),
    ("do I owe tax on the earnings when I convert", "earnings_taxed_on_conversion"),
    ("how often should I convert", "earnings_taxed_on_conversion"),
    ("what are the roth ira income limits", "roth_ira_income_limits"),
    ("I make too much for a roth ira", "roth_ira_income_limits"),
    ("what is the magi phase-out", "roth_ira_income_limits"),
    ("what is a backdoor roth ira", "backdoor_roth_ira"),
    ("do I have to file form 5500-ez", "form_5500_ez"),
    ("my solo 401k has over 250k, what do I file", "form_5500_ez"),
    (
        "in-plan conversion or in-service rollover, which is better",
        "in_plan_conversion_vs_in_service_rollover",
    ),
    (
        "should I roll to a roth ira or keep it in the plan",
        "in_plan_conversion_vs_in_service_rollover",
    ),
    (
        "how is the employer contribution calculated for self employed",
        "self_employed_contribution_math",
    ),
    (
        "I'm a sole proprietor, how much can I put in my solo 401k",
        "self_employed_contribution_math",
    ),
    ("can I roll my roth ira into my roth 401k", "roth_ira_to_roth_401k"),
    ("what should I ask HR", "questions_for_hr"),
    ("what questions should I ask my plan administrator", "questions_for_hr"),
    ("how much after-tax room do I have", "after_tax_room_calculation"),
    ("am I a highly compensated employee", "highly_compensated_employee"),
    ("what is an HCE", "highly_compensated_employee"),
    ("is it worth it", "is_it_worth_it"),
    ("pros and cons of the mega backdoor", "is_it_worth_it"),
]

JUNK = [
    "asdf qwerty",
    "pizza recipe",
    "hello",
    "what's the weather like",
    "tell me a joke",
    "what time is it",
    "can you help me",
    "what is the best stock to buy",
    "roth",
    "?",
]


def _sentences(text: str) -> int:
    return len(re.findall(r"[.?!](?=\s|$)", text))


class _LoudUndefined(jinja2.Undefined):
    """Falsy like any undefined value, but printing one is an error: a figure used outside its
    ``{% if %}`` guard shows up."""

    def __str__(self) -> NoReturn:
        raise AssertionError(f"figure {self._undefined_name!r} printed without a guard")


_LOUD = jinja2.Environment(undefined=_LoudUndefined, trim_blocks=True, lstrip_blocks=True)


def _figures_used(entry: FaqEntry) -> set[str]:
    env = jinja2.Environment()
    return jinja2.meta.find_undeclared_variables(env.parse(entry.answer_template))


def _raw_entries() -> list[dict[str, Any]]:
    """The entries exactly as written in faq.yaml."""
    data = yaml.safe_load(faq.FAQ_PATH.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["entries"]
    return entries


def _yearly_amounts() -> dict[str, set[int]]:
    """Every amount the engine holds that changes from year to year, with its years."""
    found: dict[str, set[int]] = {}
    for year in YEARS:
        for name, value in faq.year_figures(year).items():
            if name == "tax_year" or not value:
                continue
            if len({faq.year_figures(y)[name] for y in YEARS}) > 1:
                found.setdefault(value, set()).add(year)
    return found


def _assert_clean(text: str) -> None:
    assert text.strip()
    for leftover in ("{{", "}}", "{%", "%}", "None", "Undefined", "  ", "()", "( "):
        assert leftover not in text, text
    assert not re.search(r"\s[.,;:)]", text), text
    assert not re.search(r"\b(for|of|is|at|about)[.,;]", text), text


# ---------------------------------------------------------------------------------------------
# The entries


def test_there_are_at_least_28_entries() -> None:
    assert len(ENTRIES) >= 28


def test_entry_ids_are_unique_snake_case() -> None:
    ids = [entry.id for entry in ENTRIES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)


def test_load_entries_is_cached() -> None:
    assert faq.load_entries() is ENTRIES


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_entry_has_title_keywords_answer_and_sources(entry: FaqEntry) -> None:
    assert entry.title.strip()
    assert entry.keywords
    assert all(k.strip() for k in entry.keywords)
    assert entry.answer_template.strip()
    assert len(entry.sources) >= 1
    assert all(source.strip() for source in entry.sources)


def test_popular_ids_exist() -> None:
    assert len(faq.POPULAR_IDS) == 3
    assert set(faq.POPULAR_IDS) <= ENTRY_IDS


def test_get_entry() -> None:
    assert faq.get_entry("pro_rata_in_service").id == "pro_rata_in_service"
    with pytest.raises(KeyError):
        faq.get_entry("no_such_entry")


def test_required_topics_are_covered() -> None:
    required = {
        "what_is_mega_backdoor_roth",
        "pro_rata_in_service",
        "ira_pro_rata_backdoor",
        "why_employers_dont_offer",
        "side_business_1099",
        "solo_401k_s_corp",
        "solo_401k_with_employees",
        "source_tracking_one_fund",
        "after_tax_without_conversion",
        "two_mega_backdoors",
        "roth_401k_vs_after_tax",
        "five_year_rules",
        "tax_forms_1099r_8606",
        "catch_up_contributions",
        "roth_catch_up_2026",
        "plan_403b",
        "plan_457b",
        "contribution_deadlines",
        "solo_401k_bank_accounts",
        "annual_additions_limit_415c",
        "elective_deferral_limit_402g",
        "off_the_shelf_vs_custom_solo_401k",
        "earnings_taxed_on_conversion",
        "roth_ira_income_limits",
        "backdoor_roth_ira",
        "form_5500_ez",
        "in_plan_conversion_vs_in_service_rollover",
        "self_employed_contribution_math",
        "roth_ira_to_roth_401k",
        "is_it_legal",
        "questions_for_hr",
    }
    assert required <= ENTRY_IDS


def test_keywords_include_common_misspellings() -> None:
    keywords = {k.lower() for entry in ENTRIES for k in entry.keywords}
    assert {"megabackdoor", "pro rata", "prorata", "1099r"} <= keywords


# ---------------------------------------------------------------------------------------------
# The templates


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_templates_use_only_known_figures(entry: FaqEntry) -> None:
    assert _figures_used(entry) <= set(FIGURE_NAMES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_template_renders_without_figures(entry: FaqEntry) -> None:
    text = faq.render(entry)
    _assert_clean(text)
    assert 3 <= _sentences(text) <= 8, text


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
@pytest.mark.parametrize("year", YEARS)
def test_template_renders_each_year_with_all_figures(entry: FaqEntry, year: int) -> None:
    text = faq.render(entry, {"tax_year": str(year), **FIGURES})
    _assert_clean(text)
    assert 3 <= _sentences(text) <= 8, text
    shown = {**faq.year_figures(year), **FIGURES}
    for name in _figures_used(entry):
        if shown[name] and name != "age":  # age only picks a sentence
            assert shown[name] in text, f"{entry.id} uses {name} but does not show it"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
@pytest.mark.parametrize("name", PERSONAL_FIGURE_NAMES)
def test_template_renders_with_one_figure_alone_or_missing(entry: FaqEntry, name: str) -> None:
    _assert_clean(faq.render(entry, {name: FIGURES[name]}))
    others = {k: v for k, v in FIGURES.items() if k != name}
    _assert_clean(faq.render(entry, others))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
@pytest.mark.parametrize("year", YEARS)
def test_every_optional_figure_is_guarded_by_if(entry: FaqEntry, year: int) -> None:
    # The year's figures are always there, except the ones a year lacks (empty, so left out
    # here): those, and every personal figure, must sit inside an {% if %}.
    present = {k: v for k, v in faq.year_figures(year).items() if v}
    template = _LOUD.from_string(entry.answer_template)
    template.render(**present)
    for name in PERSONAL_FIGURE_NAMES:
        template.render(**present, **{k: v for k, v in FIGURES.items() if k != name})


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_answers_write_no_yearly_figure(entry: FaqEntry) -> None:
    # Read the raw YAML text: a dollar amount is either a template variable or an example.
    raw = next(r for r in _raw_entries() if r["id"] == entry.id)
    amounts = set(_DOLLARS.findall(raw["answer"]))
    allowed = EXAMPLE_AMOUNTS.get(entry.id, set())
    assert amounts <= allowed, f"{entry.id} writes {sorted(amounts - allowed)}"


@pytest.mark.parametrize("entry_id", sorted(EXAMPLE_AMOUNTS))
def test_example_amounts_are_labelled_examples_with_their_year(entry_id: str) -> None:
    template = faq.get_entry(entry_id).answer_template
    assert "example" in template.lower()
    yearly = _yearly_amounts()
    for amount in EXAMPLE_AMOUNTS[entry_id]:
        assert amount in template, f"{entry_id}: {amount} is no longer used"
        years = yearly.get(amount, set())
        if years:  # an example built on one year's figures names that year
            assert any(str(year) in template for year in years), (entry_id, amount, years)


def test_keywords_write_no_engine_amount() -> None:
    # Amounts to search for come from the engine (figure_keywords), never from the file.
    yearly = {
        value.removeprefix("$").replace(",", "")
        for year in YEARS
        for name, value in faq.year_figures(year).items()
        if name != "tax_year" and value
    }
    for raw in _raw_entries():
        for keyword in raw.get("keywords", []):
            number = re.fullmatch(r"\$?([\d,]+)(k?)", keyword.strip().lower())
            if number:
                digits = number.group(1).replace(",", "") + ("000" if number.group(2) else "")
                assert digits not in yearly, f"{raw['id']}: keyword {keyword!r}"


@pytest.mark.parametrize(
    ("entry_id", "name", "figure"),
    [
        ("elective_deferral_limit_402g", "deferral_limit", "elective_deferral_limit"),
        ("annual_additions_limit_415c", "annual_additions_limit", "annual_additions_limit"),
        ("highly_compensated_employee", "hce_threshold", "hce_threshold"),
        ("form_5500_ez", "form_5500ez_threshold", "form_5500ez_threshold"),
        ("roth_catch_up_2026", "roth_catch_up_threshold", "roth_catch_up_wage_threshold"),
    ],
)
def test_figure_keywords_come_from_the_engine(entry_id: str, name: str, figure: str) -> None:
    keywords = faq.get_entry(entry_id).keywords
    for year in YEARS:
        amount = getattr(figures_for(year), figure)
        if amount is not None:
            assert str(int(amount)) in keywords, (entry_id, year)
    assert faq.answer(faq.year_figures(NEWEST)[name].removeprefix("$").replace(",", "")).entry


@pytest.mark.parametrize("age", ["45", "50", "61", "64"])
def test_catch_up_answer_follows_age(age: str) -> None:
    text = faq.render(faq.get_entry("catch_up_contributions"), {"age": age})
    expected = {
        "45": "catch-up starts in the year you turn 50",
        "50": "the age-50 amount applies",
        "61": "the age 60-63 amount",
        "64": "the age-50 amount applies",
    }[age]
    assert f"At {age}," in text
    assert expected in text


def test_catch_up_answer_has_no_age_60_63_amount_before_2025() -> None:
    assert figures_for(2024).catch_up_60_63 is None
    text = faq.render(faq.get_entry("catch_up_contributions"), {"tax_year": "2024", "age": "61"})
    assert "At 61, the age-50 amount applies." in text
    assert usd(figures_for(2024).catch_up_50) in text


def test_unknown_figures_are_ignored() -> None:
    entry = faq.get_entry("annual_additions_limit_415c")
    assert faq.render(entry, {"magi": "$1"}) == faq.render(entry)


def test_answers_render_as_plain_text_without_escaping() -> None:
    text = faq.render(faq.get_entry("roth_ira_income_limits"), {"ira_limit": "<b>$7,500</b>"})
    assert "<b>$7,500</b>" in text


# ---------------------------------------------------------------------------------------------
# Search and answers


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_question_finds_entry(question: str, expected: str) -> None:
    result = faq.answer(question)
    assert result.entry is not None, faq.search(question)
    assert result.entry.id == expected, faq.search(question)
    assert result.sources == result.entry.sources
    assert result.text == faq.render(result.entry)
    assert result.entry not in result.suggestions


def test_question_table_is_large_and_points_at_real_entries() -> None:
    assert len(QUESTIONS) >= 30
    assert {expected for _, expected in QUESTIONS} <= ENTRY_IDS


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_each_title_finds_its_own_entry(entry: FaqEntry) -> None:
    result = faq.answer(entry.title)
    assert result.entry == entry


@pytest.mark.parametrize("question", JUNK)
def test_junk_gets_no_entry_and_three_suggestions(question: str) -> None:
    result = faq.answer(question)
    assert result.entry is None
    assert result.text == faq.UNKNOWN_TEXT == "I don't know that one yet."
    assert result.sources == ()
    assert len(result.suggestions) == 3
    assert len(set(result.suggestions)) == 3


@pytest.mark.parametrize("question", ["asdf qwerty", "pizza recipe", "hello", "?", ""])
def test_no_overlap_suggests_the_most_asked(question: str) -> None:
    assert faq.search(question) == []
    result = faq.answer(question)
    assert tuple(e.id for e in result.suggestions) == faq.POPULAR_IDS


def test_weak_overlap_suggests_the_closest_entries() -> None:
    ranked = faq.search("roth", limit=3)
    result = faq.answer("roth")
    assert result.entry is None
    assert result.suggestions == tuple(entry for entry, _ in ranked)


def test_personal_figures_appear_in_the_answer() -> None:
    result = faq.answer("what is the 415c limit", {"tax_year": "2026", "after_tax_room": "$25,500"})
    assert result.entry is not None
    limit = usd(figures_for(2026).annual_additions_limit)
    assert f"For 2026 the dollar limit is {limit}." in result.text
    assert "$25,500" in result.text


# ---------------------------------------------------------------------------------------------
# The year's figures


def _phaseout(fig: YearFigures) -> Decimal:
    return fig.roth_ira_phaseout_single.end


# question -> how to read, from the engine, a figure its answer must show for the year asked
YEARLY_ANSWERS: list[tuple[str, Callable[[YearFigures], Decimal | None]]] = [
    ("what is the 402g limit", lambda f: f.elective_deferral_limit),
    ("what is the 415c limit", lambda f: f.annual_additions_limit),
    ("am I a highly compensated employee", lambda f: f.hce_threshold),
    ("how do catch up contributions work", lambda f: f.catch_up_50),
    ("what are the roth ira income limits", lambda f: f.roth_ira_phaseout_single.start),
    ("what are the roth ira income limits", _phaseout),
    ("what are the roth ira income limits", lambda f: f.roth_ira_phaseout_joint.end),
    ("what is a backdoor roth ira", lambda f: f.ira_limit),
    ("what about my 457b", lambda f: f.section_457b_limit),
    ("can I do two mega backdoors at once", lambda f: f.annual_additions_limit),
]


@pytest.mark.parametrize(("question", "read"), YEARLY_ANSWERS)
@pytest.mark.parametrize("year", [2024, 2026])
def test_answer_shows_the_figures_of_the_year_asked(
    question: str, read: Callable[[YearFigures], Decimal | None], year: int
) -> None:
    other = 2026 if year == 2024 else 2024
    wanted, unwanted = read(figures_for(year)), read(figures_for(other))
    assert wanted is not None
    assert unwanted is not None
    assert wanted != unwanted  # else the test proves nothing
    text = faq.answer(question, {"tax_year": str(year)}).text
    assert usd(wanted) in text, text
    assert usd(unwanted) not in text, text
    assert str(year) in text


def test_402g_answer_for_2024_and_2026() -> None:
    for year in (2024, 2026):
        result = faq.answer("what is the 402g limit", {"tax_year": str(year)})
        assert result.entry is not None
        assert result.entry.id == "elective_deferral_limit_402g"
        limit = usd(figures_for(year).elective_deferral_limit)
        assert f"For {year} it is {limit}." in result.text


def test_answer_without_a_year_uses_the_newest() -> None:
    text = faq.answer("what is the 402g limit").text
    assert f"For {NEWEST} it is {usd(figures_for(NEWEST).elective_deferral_limit)}." in text


@pytest.mark.parametrize("tax_year", ["2099", "1999", "someday", ""])
def test_unsupported_tax_year_uses_the_newest(tax_year: str) -> None:
    text = faq.answer("what is the 402g limit", {"tax_year": tax_year}).text
    # the year named is always the year whose figures are shown
    assert f"For {NEWEST} it is {usd(figures_for(NEWEST).elective_deferral_limit)}." in text
    if tax_year:
        assert tax_year not in text


def test_roth_catch_up_answer_follows_the_year() -> None:
    entry = faq.get_entry("roth_catch_up_2026")
    before = faq.render(entry, {"tax_year": "2025"})
    assert "For 2025 the rule doesn't apply yet" in before
    threshold = figures_for(2026).roth_catch_up_wage_threshold
    assert threshold is not None
    during = faq.render(entry, {"tax_year": "2026"})
    assert f"were more than {usd(threshold)} in the prior year" in during


def test_year_figures_names_and_values() -> None:
    for year in YEARS:
        values = faq.year_figures(year)
        fig = figures_for(year)
        assert tuple(values) == YEAR_FIGURE_NAMES
        assert all(isinstance(v, str) for v in values.values())
        assert values["tax_year"] == str(year)
        assert values["deferral_limit"] == usd(fig.elective_deferral_limit)
        assert values["catch_up_50"] == usd(fig.catch_up_50)
        assert values["annual_additions_limit"] == usd(fig.annual_additions_limit)
        assert values["compensation_limit"] == usd(fig.compensation_limit)
        assert values["hce_threshold"] == usd(fig.hce_threshold)
        assert values["section_457b_limit"] == usd(fig.section_457b_limit)
        assert values["ira_limit"] == usd(fig.ira_limit)
        assert values["ira_catch_up"] == usd(fig.ira_catch_up)
        assert values["phaseout_single_start"] == usd(fig.roth_ira_phaseout_single.start)
        assert values["phaseout_single_end"] == usd(fig.roth_ira_phaseout_single.end)
        assert values["phaseout_joint_start"] == usd(fig.roth_ira_phaseout_joint.start)
        assert values["phaseout_joint_end"] == usd(fig.roth_ira_phaseout_joint.end)
        separate = fig.roth_ira_phaseout_married_separate
        assert values["phaseout_married_separate_start"] == usd(separate.start)
        assert values["phaseout_married_separate_end"] == usd(separate.end)
        assert values["form_5500ez_threshold"] == usd(fig.form_5500ez_threshold)
        assert values["roth_ira_rounding"] == usd(fig.roth_ira_reduced_limit_rounding)
        assert values["roth_ira_floor"] == usd(fig.roth_ira_reduced_limit_floor)
        for name, value in (
            ("catch_up_60_63", fig.catch_up_60_63),
            ("roth_catch_up_threshold", fig.roth_catch_up_wage_threshold),
        ):
            assert values[name] == ("" if value is None else usd(value))
    assert faq.year_figures(2024)["catch_up_60_63"] == ""
    assert faq.year_figures(2025)["roth_catch_up_threshold"] == ""


@pytest.mark.parametrize("year", [None, 1999, 2099])
def test_year_figures_default_to_the_newest_year(year: int | None) -> None:
    assert faq.year_figures(year) == faq.year_figures(NEWEST)
    assert faq.year_figures(year)["tax_year"] == str(NEWEST)


def test_year_figures_returns_a_fresh_dict() -> None:
    faq.year_figures(NEWEST)["deferral_limit"] = "$1"
    assert faq.year_figures(NEWEST)["deferral_limit"] != "$1"


def test_figure_keywords_must_name_a_yearly_amount() -> None:
    raw = {
        "id": "x",
        "title": "x",
        "answer": "x",
        "sources": ["x"],
        "figure_keywords": ["age"],
    }
    with pytest.raises(ValueError, match="not a yearly amount"):
        faq._entry(raw, 0)


def test_ranking_is_deterministic() -> None:
    for question, _ in QUESTIONS[:10]:
        first = faq.search(question, limit=10)
        second = faq.search(question, limit=10)
        assert first == second
        assert [s for _, s in first] == sorted((s for _, s in first), reverse=True)


def test_equal_scores_are_ordered_by_id() -> None:
    ranked = faq.search("plan roth ira 401k", limit=len(ENTRIES))
    for (a, score_a), (b, score_b) in itertools.pairwise(ranked):
        assert score_a > score_b or (score_a == score_b and a.id < b.id)


def test_search_limit() -> None:
    assert len(faq.search("roth ira", limit=5)) == 5
    assert faq.search("roth ira", limit=0) == []
    assert len(faq.search("roth ira")) == 3


def test_bigram_gives_a_bonus() -> None:
    def score(question: str, entry_id: str) -> float:
        found: dict[str, Any] = {e.id: s for e, s in faq.search(question, limit=len(ENTRIES))}
        return float(found[entry_id])

    assert score("pro rata", "pro_rata_in_service") > score("rata pro", "pro_rata_in_service")


def test_tokenizer_joins_form_names() -> None:
    assert faq.answer("1099-R").entry == faq.answer("1099r").entry


# ---------------------------------------------------------------------------------------------
# Question or form answer?


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is the pro-rata rule?", True),
        ("what's a mega backdoor", True),
        ("whats the deadline", True),
        ("Why can't I do this", True),
        ("how does it work", True),
        ("can I use my side gig", True),
        ("is this legal", True),
        ("are catch-ups roth now", True),
        ("do I need three bank accounts", True),
        ("does my plan allow it", True),
        ("should I convert", True),
        ("when is the deadline", True),
        ("which form do I file", True),
        ("who qualifies", True),
        ("explain the five year rule", True),
        ("tell me about the 415c limit", True),
        ("so what is the pro rata rule", True),
        ("my employer match", False),
        ("pro rata rule?", True),
        ("65000", False),
        ("$65k", False),
        ("yes", False),
        ("no", False),
        ("not sure", False),
        ("2026", False),
        ("max", False),
        ("back", False),
        ("", False),
        ("   ", False),
        ("single", False),
        ("married filing jointly", False),
        ("I'm self-employed", False),
        ("$1.2m", False),
    ],
)
def test_looks_like_question(text: str, expected: bool) -> None:
    assert faq.looks_like_question(text) is expected
