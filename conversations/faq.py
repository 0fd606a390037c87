"""FAQ follow-ups: a curated, sourced knowledge base (``faq.yaml``) and a small BM25 search.

A person who asks "what is the pro-rata rule?" mid-conversation gets the best entry, rendered
with their own figures where they have given them, plus its sources. Ranking is deterministic:
the same text always gives the same entries in the same order (ties broken by entry id).

The answers are Jinja2 templates. Every yearly figure they quote comes from the engine
(:func:`year_figures`, the names in :data:`YEAR_FIGURE_NAMES`), for the person's tax year or
else the newest supported one, so no year's figure is ever written in ``faq.yaml``; the
person's own figures (:data:`PERSONAL_FIGURE_NAMES`) are optional and render as nothing when
missing. Money arrives formatted, such as ``"$12,345"``. Output is plain text: channels escape it
when they lay it out.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from engine import figures_for, supported_years
from engine.money import usd

__all__ = [
    "FIGURE_NAMES",
    "MATCH_THRESHOLD",
    "PERSONAL_FIGURE_NAMES",
    "POPULAR_IDS",
    "UNKNOWN_TEXT",
    "YEAR_FIGURE_NAMES",
    "FaqAnswer",
    "FaqEntry",
    "answer",
    "get_entry",
    "load_entries",
    "looks_like_question",
    "render",
    "search",
    "year_figures",
]

FAQ_PATH = Path(__file__).parent / "faq.yaml"

# The year's figures, from the engine: always there when an answer renders (the two that a year
# may lack, catch_up_60_63 and roth_catch_up_threshold, are then empty strings).
YEAR_FIGURE_NAMES: tuple[str, ...] = (
    "tax_year",
    "deferral_limit",
    "catch_up_50",
    "catch_up_60_63",
    "annual_additions_limit",
    "compensation_limit",
    "hce_threshold",
    "section_457b_limit",
    "ira_limit",
    "ira_catch_up",
    "phaseout_single_start",
    "phaseout_single_end",
    "phaseout_joint_start",
    "phaseout_joint_end",
    "phaseout_married_separate_start",
    "phaseout_married_separate_end",
    "roth_catch_up_threshold",
    "form_5500ez_threshold",
    "roth_ira_rounding",
    "roth_ira_floor",
)
# The person's own figures: each optional, so a template uses one only inside {% if %}.
PERSONAL_FIGURE_NAMES: tuple[str, ...] = (
    "age",
    "catch_up_limit",  # the person's own catch-up for the year
    "after_tax_room",  # the person's total Mega Backdoor room
)
# Every figure an answer template may use.
FIGURE_NAMES: tuple[str, ...] = YEAR_FIGURE_NAMES + PERSONAL_FIGURE_NAMES
UNKNOWN_TEXT = "I don't know that one yet."
# Offered when a question shares no word with any entry.
POPULAR_IDS: tuple[str, ...] = (
    "what_is_mega_backdoor_roth",
    "pro_rata_in_service",
    "side_business_1099",
)
# The lowest BM25 score (bigram bonus included) that counts as an answer, and the best entry must
# also share a word or phrase with its title or keywords: words found only in an answer's body
# are not enough. Clear questions score well above it; one common word ("plan", "roth") stays
# below.
MATCH_THRESHOLD = 3.0
SUGGESTION_COUNT = 3

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------------------------------------
# The year's figures


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else usd(amount)


@cache
def _year_figures(year: int) -> tuple[tuple[str, str], ...]:
    fig = figures_for(year)
    values = {
        "tax_year": str(year),
        "deferral_limit": _money(fig.elective_deferral_limit),
        "catch_up_50": _money(fig.catch_up_50),
        "catch_up_60_63": _money(fig.catch_up_60_63),
        "annual_additions_limit": _money(fig.annual_additions_limit),
        "compensation_limit": _money(fig.compensation_limit),
        "hce_threshold": _money(fig.hce_threshold),
        "section_457b_limit": _money(fig.section_457b_limit),
        "ira_limit": _money(fig.ira_limit),
        "ira_catch_up": _money(fig.ira_catch_up),
        "phaseout_single_start": _money(fig.roth_ira_phaseout_single.start),
        "phaseout_single_end": _money(fig.roth_ira_phaseout_single.end),
        "phaseout_joint_start": _money(fig.roth_ira_phaseout_joint.start),
        "phaseout_joint_end": _money(fig.roth_ira_phaseout_joint.end),
        "phaseout_married_separate_start": _money(fig.roth_ira_phaseout_married_separate.start),
        "phaseout_married_separate_end": _money(fig.roth_ira_phaseout_married_separate.end),
        "roth_catch_up_threshold": _money(fig.roth_catch_up_wage_threshold),
        "form_5500ez_threshold": _money(fig.form_5500ez_threshold),
        "roth_ira_rounding": _money(fig.roth_ira_reduced_limit_rounding),
        "roth_ira_floor": _money(fig.roth_ira_reduced_limit_floor),
    }
    assert tuple(values) == YEAR_FIGURE_NAMES
    return tuple(values.items())


def year_figures(year: int | None) -> dict[str, str]:
    """The engine's figures for ``year`` (the newest supported year when ``year`` is None or
    not supported), formatted for people under :data:`YEAR_FIGURE_NAMES`; a figure the year
    doesn't have (``catch_up_60_63`` before 2025, ``roth_catch_up_threshold`` before 2026) is
    an empty string."""
    years = supported_years()
    if year is None or year not in years:
        year = years[-1]
    return dict(_year_figures(year))


def _tax_year(figures: Mapping[str, str]) -> int | None:
    """The tax year the caller asked about, when it is a whole number."""
    try:
        return int(str(figures.get("tax_year", "")).strip())
    except ValueError:
        return None


def _figure_terms(name: str) -> tuple[str, ...]:
    """Search terms for a yearly amount in every supported year: ``12345`` and, for whole
    thousands, ``12k``."""
    terms: list[str] = []
    for year in supported_years():
        digits = year_figures(year)[name].removeprefix("$").replace(",", "")
        if digits:
            terms.append(digits)
            if digits.endswith("000"):
                terms.append(f"{digits[:-3]}k")
    return tuple(dict.fromkeys(terms))


# ---------------------------------------------------------------------------------------------
# Entries


@dataclass(frozen=True)
class FaqEntry:
    id: str
    title: str
    keywords: tuple[str, ...]
    answer_template: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FaqAnswer:
    """The reply to a question: the entry (None when nothing fits), its rendered text and
    sources, and suggestions: related entries after a match, or the closest (else the most asked)
    entries when nothing fits."""

    entry: FaqEntry | None
    text: str
    sources: tuple[str, ...]
    suggestions: tuple[FaqEntry, ...]


# ---------------------------------------------------------------------------------------------
# Loading


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _entry(raw: Any, index: int) -> FaqEntry:
    if not isinstance(raw, dict):
        raise ValueError(f"faq entry {index} must be a mapping")
    fields = {}
    for key in ("id", "title", "answer"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"faq entry {index}: {key} must be a non-empty string")
        fields[key] = value.strip()
    if not _ID.match(fields["id"]):
        raise ValueError(f"faq entry {index}: id {fields['id']!r} is not snake_case")
    sources = _strings(raw.get("sources"), f"faq entry {fields['id']}: sources")
    if not sources:
        raise ValueError(f"faq entry {fields['id']}: needs at least one source")
    keywords = _strings(raw.get("keywords", []), f"faq entry {fields['id']}: keywords")
    # Amounts people may type ("12345", "12k") are searched from the engine's figures, never
    # written in the file.
    figure_keywords = _strings(
        raw.get("figure_keywords", []), f"faq entry {fields['id']}: figure_keywords"
    )
    for name in figure_keywords:
        if name not in YEAR_FIGURE_NAMES or name == "tax_year":
            raise ValueError(f"faq entry {fields['id']}: {name!r} is not a yearly amount")
        keywords += _figure_terms(name)
    return FaqEntry(
        id=fields["id"],
        title=fields["title"],
        keywords=tuple(dict.fromkeys(keywords)),
        answer_template=fields["answer"],
        sources=sources,
    )


@cache
def load_entries() -> tuple[FaqEntry, ...]:
    """Every entry in ``faq.yaml``, in file order (read once)."""
    data = yaml.safe_load(FAQ_PATH.read_text(encoding="utf-8"))
    raw_entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw_entries, list):
        raise ValueError(f"{FAQ_PATH.name} must hold a list under 'entries'")
    entries = tuple(_entry(raw, i) for i, raw in enumerate(raw_entries))
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate faq ids: {', '.join(duplicates)}")
    return entries


def get_entry(entry_id: str) -> FaqEntry:
    """The entry with this id (``KeyError`` when there is none)."""
    for entry in load_entries():
        if entry.id == entry_id:
            return entry
    raise KeyError(entry_id)


# ---------------------------------------------------------------------------------------------
# Text analysis

_STOPWORD_GROUPS = (
    # function words (stemmed, so "does" is "doe")
    "a about also am an and any are as at be been but by can could did do doe does doing dont",
    "doesnt didnt isnt arent cant wont for from get got had has have how i if im in into is it",
    "its just me my not of on or our please should so some tell than that the their them then",
    "there these they this those to too us very was we were what whats when where which who",
    "why will with would you your yours explain really",
    # chat words that carry no topic
    "best good great hello help hi know like name need nice ok okay thank thanks thing time",
    "today want way yes",
)
_STOPWORDS = frozenset(word for group in _STOPWORD_GROUPS for word in group.split())
# Run-together spellings people type, split so they meet the phrase they stand for.
_SPLITS = {
    "megabackdoor": ("mega", "backdoor"),
    "prorata": ("pro", "rata"),
    "rothlite": ("roth", "lite"),
    "catchup": ("catch", "up"),
    "backdoorroth": ("backdoor", "roth"),
    "inplan": ("in", "plan"),
    "aftertax": ("after", "tax"),
    "pretax": ("pre", "tax"),
    "scorp": ("s", "corp"),
}
_ARTICLES = frozenset({"a", "an", "the"})
_NUMBER_WORDS = {"2": "two", "3": "three", "5": "five"}
_ALIASES = {
    "conversion": "convert",
    "converts": "convert",
    "withdrawal": "withdraw",
    "contribution": "contribute",
    "contributing": "contribute",
    "contributed": "contribute",
    "bdr": "backdoor",
}
# Two-word phrases that mean more together than apart: a query that contains one gets a bonus
# from entries whose title or keywords (more) or answer (less) contain it.
_BIGRAMS = frozenset(
    {
        ("pro", "rata"),
        ("five", "year"),
        ("in", "plan"),
        ("in", "service"),
        ("after", "tax"),
        ("catch", "up"),
        ("backdoor", "roth"),
        ("mega", "backdoor"),
        ("roth", "ira"),
        ("roth", "401k"),
        ("solo", "401k"),
        ("side", "business"),
        ("side", "gig"),
        ("side", "hustle"),
        ("s", "corp"),
        ("bank", "account"),
        ("income", "limit"),
        ("plan", "document"),
        ("controlled", "group"),
        ("highly", "compensated"),
        ("form", "8606"),
        ("form", "1099r"),
        ("self", "employ"),
        ("separate", "account"),
        ("same", "fund"),
        ("one", "fund"),
        ("off", "shelf"),
        ("too", "much"),
    }
)
_TITLE_BIGRAM_BONUS = 1.5
_ANSWER_BIGRAM_BONUS = 0.5
_FIELD_WEIGHT = {"title": 2, "keywords": 2, "answer": 1}
_K1 = 1.2
_B = 0.75

_JINJA_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)


def _stem(word: str) -> str:
    """Light stemming: plural "s"/"es"/"ies", then "ing" or "ed" (aliases before and after)."""
    word = _ALIASES.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 5 and word.endswith("ed"):
        word = word[:-2]
    return _ALIASES.get(word, word)


def _words(text: str) -> list[str]:
    """Lower-cased, stemmed words in order, stopwords kept (phrases need them)."""
    text = text.lower().replace("’", "'").replace("'", "")
    text = text.replace("(", "").replace(")", "").replace("§", " ")
    # "1099-R" -> "1099r", "W-2" -> "w2", "5500-EZ" -> "5500ez"; other hyphens split words.
    text = re.sub(r"(?<=\d)-(?=[a-z])|(?<=\b[a-z])-(?=\d)", "", text)
    words: list[str] = []
    for token in re.findall(r"[a-z0-9½]+", text):
        token = _NUMBER_WORDS.get(token, token)
        words.extend(_stem(part) for part in _SPLITS.get(token, (token,)))
    return words


def _terms(words: Iterable[str]) -> list[str]:
    return [w for w in words if w not in _STOPWORDS]


def _pairs(words: list[str]) -> set[tuple[str, str]]:
    """The known phrases in ``words`` (articles skipped: "off the shelf" is "off shelf")."""
    kept = [w for w in words if w not in _ARTICLES]
    return {pair for pair in itertools.pairwise(kept) if pair in _BIGRAMS}


@dataclass(frozen=True)
class _Doc:
    entry: FaqEntry
    tf: Counter[str]
    length: int
    strong_terms: frozenset[str]
    strong_pairs: frozenset[tuple[str, str]]
    weak_pairs: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _Index:
    docs: tuple[_Doc, ...]
    idf: Mapping[str, float]
    avg_length: float


def _plain(template: str) -> str:
    return _JINJA_TAG.sub(" ", template)


@cache
def _index() -> _Index:
    docs = []
    for entry in load_entries():
        fields = {
            "title": [_words(entry.title)],
            "keywords": [_words(k) for k in entry.keywords],
            "answer": [_words(_plain(entry.answer_template))],
        }
        tf: Counter[str] = Counter()
        for name, phrases in fields.items():
            for words in phrases:
                for term in _terms(words):
                    tf[term] += _FIELD_WEIGHT[name]
        named = fields["title"] + fields["keywords"]
        strong_terms = frozenset(term for words in named for term in _terms(words))
        strong = {p for words in named for p in _pairs(words)}
        weak = _pairs(fields["answer"][0]) - strong
        docs.append(
            _Doc(entry, tf, sum(tf.values()), strong_terms, frozenset(strong), frozenset(weak))
        )
    n = len(docs)
    df: Counter[str] = Counter(term for doc in docs for term in doc.tf)
    idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in df.items()}
    avg = sum(doc.length for doc in docs) / n if n else 1.0
    return _Index(tuple(docs), idf, avg)


def _score(doc: _Doc, terms: set[str], pairs: set[tuple[str, str]], index: _Index) -> float:
    score = 0.0
    for term in terms:
        tf = doc.tf.get(term, 0)
        if tf:
            norm = tf + _K1 * (1 - _B + _B * doc.length / index.avg_length)
            score += index.idf[term] * tf * (_K1 + 1) / norm
    for pair in pairs:
        if pair in doc.strong_pairs:
            score += _TITLE_BIGRAM_BONUS
        elif pair in doc.weak_pairs:
            score += _ANSWER_BIGRAM_BONUS
    return score


@dataclass(frozen=True)
class _Hit:
    entry: FaqEntry
    score: float
    named: bool  # shares a word or phrase with the entry's title or keywords


def _ranked(text: str) -> list[_Hit]:
    words = _words(text)
    terms = set(_terms(words))
    pairs = _pairs(words)
    if not terms and not pairs:
        return []
    index = _index()
    hits = [
        _Hit(
            doc.entry,
            round(_score(doc, terms, pairs, index), 6),
            bool(terms & doc.strong_terms or pairs & doc.strong_pairs),
        )
        for doc in index.docs
    ]
    hits = [hit for hit in hits if hit.score > 0]
    hits.sort(key=lambda hit: (-hit.score, hit.entry.id))
    return hits


def search(text: str, limit: int = 3) -> list[tuple[FaqEntry, float]]:
    """The entries that best match ``text``, best first, with their BM25 scores (only entries
    that share something with the text; ties in id order)."""
    if limit <= 0:
        return []
    return [(hit.entry, hit.score) for hit in _ranked(text)[:limit]]


# ---------------------------------------------------------------------------------------------
# Rendering


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        undefined=jinja2.ChainableUndefined,
        autoescape=False,  # plain text; each channel escapes when it lays the answer out
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _template(source: str) -> jinja2.Template:
    return _environment().from_string(source)


def _values(figures: Mapping[str, str] | None) -> dict[str, str]:
    """The year's figures (for the caller's ``tax_year``, else the newest year) with the
    caller's figures on top; ``tax_year`` always names the year whose figures these are, and
    unknown names are ignored."""
    given = figures or {}
    values = year_figures(_tax_year(given))
    values.update(
        (name, given[name]) for name in FIGURE_NAMES if name in given and name != "tax_year"
    )
    return values


def render(entry: FaqEntry, figures: Mapping[str, str] | None = None) -> str:
    """The entry's answer for the year in ``figures["tax_year"]`` (the newest supported year
    when absent or unsupported), with the person's own figures filled in where given."""
    values = _values(figures)
    text = _template(entry.answer_template).render(**values)
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def answer(question: str, figures: Mapping[str, str] | None = None) -> FaqAnswer:
    """Answer a free-text question from the knowledge base: always with the figures of the
    year in question (:func:`year_figures`), personalised with the caller's ``figures``."""
    ranked = _ranked(question)
    # The best entry that names what was asked (in its title or keywords) and scores enough.
    found = next((h for h in ranked if h.named and h.score >= MATCH_THRESHOLD), None)
    if found is not None:
        best = found.entry
        related = tuple(h.entry for h in ranked if h is not found)[: SUGGESTION_COUNT - 1]
        return FaqAnswer(best, render(best, figures), best.sources, related)
    suggestions = [hit.entry for hit in ranked[:SUGGESTION_COUNT]]
    for entry_id in POPULAR_IDS:
        if len(suggestions) >= SUGGESTION_COUNT:
            break
        entry = get_entry(entry_id)
        if entry not in suggestions:
            suggestions.append(entry)
    return FaqAnswer(None, UNKNOWN_TEXT, (), tuple(suggestions))


# ---------------------------------------------------------------------------------------------
# Question or answer?

_QUESTION_START = re.compile(
    r"^(?:what|whats|why|how|can|could|is|are|am|do|does|should|would|will|when|where|which|"
    r"who|explain|tell me)(?:\s|$)"
)
_WHAT_IS = re.compile(r"\bwhat(?:\s+is|'s|s)\b")


def looks_like_question(text: str) -> bool:
    """True when free text reads as a question rather than an answer to a form question."""
    cleaned = " ".join(text.strip().lower().replace("’", "'").split())
    if not cleaned:
        return False
    if cleaned.endswith("?"):
        return True
    return bool(_QUESTION_START.match(cleaned) or _WHAT_IS.search(cleaned))
