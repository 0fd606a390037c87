"""FAQ follow-ups: a curated, sourced knowledge base (``faq.yaml``) and its search.

A person who types "pro rata rule" or "do RMDs apply to roth 401k money" at any point of the
conversation gets one of four replies (:class:`FaqAnswer`, ``kind``):

- ``answer``: one entry clearly fits. Its short answer (the direct answer first), with the person's
  own figures where they have given them; its detail (``more``) and sources on request.
- ``choose``: a close call between two or three entries: "Did you mean …".
- ``decline``: a request for investment picks, for help hiding income from the IRS, or to drop
  the rules gets a short refusal.
- ``miss``: nothing fits: what the FAQ covers.

Ranking is BM25 over each entry's title, keywords and example questions (never its answer: an
answer mentions many things it is not about). Words that many entries share ("mega backdoor",
"roth") weigh little and rare ones much, adjacent word pairs count as terms of their own, and a
misspelt word is read as the known word one letter away. An answer needs both enough score and
a clear lead over the runner-up. The same text always gives the same result.

The answers are Jinja2 templates. Every yearly figure they quote comes from the engine
(:func:`year_figures`) for one year: the year the question names, else the person's tax year,
else the newest supported one, so no year's figure is ever written in ``faq.yaml``. The person's
own figures (:data:`PERSONAL_FIGURE_NAMES`) are optional, render as nothing when missing, and
are dropped when the question is about another year. Output is plain text: channels escape it
when they lay it out.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from conversations.wording import line
from engine import figures_for, supported_years
from engine.money import usd
from engine.yamlload import load_yaml

__all__ = [
    "ANSWER_LEAD",
    "ANSWER_SCORE",
    "CHOOSE_SCORE",
    "FIGURE_NAMES",
    "PERSONAL_FIGURE_NAMES",
    "YEAR_FIGURE_NAMES",
    "FaqAnswer",
    "FaqEntry",
    "Kind",
    "answer",
    "decline_of",
    "entry_ids",
    "get_entry",
    "load_entries",
    "looks_like_question",
    "render",
    "render_more",
    "search",
    "topic",
    "year_figures",
    "years_named",
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
    "covered_years",  # "2024 to 2026": the years the engine has figures for
    "newest_year",
)
# The person's own figures: each optional, so a template uses one only inside {% if %}.
PERSONAL_FIGURE_NAMES: tuple[str, ...] = (
    "age",
    "catch_up_limit",  # the person's own catch-up for the year (absent when it is $0)
    "after_tax_room",  # the person's total Mega Backdoor room
)
# Every figure an answer template may use.
FIGURE_NAMES: tuple[str, ...] = YEAR_FIGURE_NAMES + PERSONAL_FIGURE_NAMES

Kind = Literal["answer", "choose", "decline", "miss"]
Decline = Literal["investment", "evasion", "rules"]

# An answer needs a score of at least ANSWER_SCORE and ANSWER_LEAD times the runner-up's; a
# best score of CHOOSE_SCORE or more, without that lead, offers the close entries to choose from
# (those within CHOOSE_SHARE of the best, at most CHOOSE_COUNT). Set by measurement on the
# tuning part of tests/conversations/faq_questions.yaml.
ANSWER_SCORE = 6.0
ANSWER_LEAD = 1.1
CHOOSE_SCORE = 2.5
CHOOSE_SHARE = 0.6
COVER = 0.4  # an entry must know at least this share of the question's word weight
NEAR_LEAD = 0.2  # or its closest phrasing is this much more similar than any other entry's
CHOOSE_COUNT = 3
RELATED_COUNT = 2

# A question that names nothing but the topic itself ("mega backdoor?") gets the overview.
OVERVIEW_ENTRY = "what_is_mega_backdoor_roth"
_TOPIC_WORDS = frozenset({"mega", "backdoor", "roth", "mega_backdoor", "backdoor_roth"})
# The entry for years the engine has no figures for, and the term a question naming one gets.
UNPUBLISHED_YEAR_ENTRY = "years_not_published"
_UNPUBLISHED_YEAR_TERM = "unpublishedyear"

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------------------------------------
# The year's figures


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else usd(amount)


@cache
def _year_figures(year: int) -> tuple[tuple[str, str], ...]:
    fig = figures_for(year)
    years = supported_years()
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
        "covered_years": f"{years[0]} to {years[-1]}",
        "newest_year": str(years[-1]),
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


_YEAR = re.compile(r"(?<![\d$,.])(20\d\d)(?!\d|,\d|\.\d|k\b)")


def years_named(text: str) -> tuple[int, ...]:
    """The tax years a question names ("401k limit 2026" -> (2026,)), in order."""
    return tuple(dict.fromkeys(int(y) for y in _YEAR.findall(text)))


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
    more_template: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaqAnswer:
    """The reply to a question (see the module's docstring for ``kind``).

    ``text`` is the entry's short answer, or the sentence for a close call, a decline or a miss;
    ``more`` the entry's detail; ``choices`` the entries to choose from after a close call, and
    ``related`` those that came next after an answer. ``decline`` names the kind of refusal and
    ``year`` the year whose figures the answer shows."""

    kind: Kind
    entry: FaqEntry | None
    text: str
    more: str = ""
    sources: tuple[str, ...] = ()
    choices: tuple[FaqEntry, ...] = ()
    related: tuple[FaqEntry, ...] = ()
    decline: Decline | None = None
    year: int | None = None


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
    for key in ("id", "title", "answer", "more"):
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
    examples = _strings(raw.get("examples", []), f"faq entry {fields['id']}: examples")
    # Amounts people may type ("12345", "12k") are searched from the engine's figures, never
    # written in the file.
    figure_keywords = _strings(
        raw.get("figure_keywords", []), f"faq entry {fields['id']}: figure_keywords"
    )
    for name in figure_keywords:
        if name not in YEAR_FIGURE_NAMES or name in ("tax_year", "covered_years", "newest_year"):
            raise ValueError(f"faq entry {fields['id']}: {name!r} is not a yearly amount")
        keywords += _figure_terms(name)
    return FaqEntry(
        id=fields["id"],
        title=fields["title"],
        keywords=tuple(dict.fromkeys(keywords)),
        answer_template=fields["answer"],
        sources=sources,
        more_template=fields["more"],
        examples=examples,
    )


@cache
def load_entries() -> tuple[FaqEntry, ...]:
    """Every entry in ``faq.yaml``, in file order (read once)."""
    data = load_yaml(FAQ_PATH.read_text(encoding="utf-8"))
    raw_entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw_entries, list):
        raise ValueError(f"{FAQ_PATH.name} must hold a list under 'entries'")
    entries = tuple(_entry(raw, i) for i, raw in enumerate(raw_entries))
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate faq ids: {', '.join(duplicates)}")
    return entries


@cache
def _by_id() -> Mapping[str, FaqEntry]:
    return {entry.id: entry for entry in load_entries()}


def entry_ids() -> Mapping[str, FaqEntry]:
    """Every entry by id, in file order."""
    return _by_id()


def get_entry(entry_id: str) -> FaqEntry:
    """The entry with this id (``KeyError`` when there is none)."""
    return _by_id()[entry_id]


# ---------------------------------------------------------------------------------------------
# Text analysis

_STOPWORD_GROUPS = (
    # function words (stemmed, so "does" is "doe")
    "a about also am an and any are as at be been but by can could did do doe does doing dont",
    "doesnt didnt isnt arent cant wont for from get got had has have how i if im in into is it",
    "its just me my not of on or our please so some tell than that the their them then",
    "there these they this those to too us very was we were what whats when where which who",
    "why will with would you your yours explain really",
    # chat words that carry no topic
    "best good great hello help hi know like name need nice ok okay thank thanks thing time",
    "today want way yes even exactly mean meaning going gonna actually everyone anyone someone",
    "people talk talks talking heard hear reddit possible let lets guy guys anyway",
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
    "trueup": ("true", "up"),
    "5yr": ("five", "year"),
    "yr": ("year",),
    "yrs": ("year",),
}
_NUMBER_WORDS = {"2": "two", "3": "three", "5": "five"}
_ALIASES = {
    "conversion": "convert",
    "converts": "convert",
    "converting": "convert",
    "converted": "convert",
    "withdrawal": "withdraw",
    "withdrawals": "withdraw",
    "withdrawing": "withdraw",
    "contribution": "contribute",
    "contributing": "contribute",
    "contributed": "contribute",
    "contributions": "contribute",
    "distribution": "distribute",
    "distributions": "distribute",
    "bdr": "backdoor",
    "mbdr": "mega",
    "taxes": "tax",
    "taxed": "tax",
    "taxable": "tax",
    "wife": "spouse",
    "husband": "spouse",
    "spouses": "spouse",
    "limits": "limit",
    "maximum": "max",
    "recharacterise": "recharacterize",
    "recharacterization": "recharacterize",
    "recharacterizing": "recharacterize",
    "refunded": "refund",
    "matched": "match",
    "matching": "match",
    "employed": "employ",
    "prop": "proprietor",
    "company": "employer",
    "companies": "employer",
    "employers": "employer",
    "415": "415c",
    "402": "402g",
}
# Written forms joined into one term: "401(k)", "401 k" -> "401k"; "1099-R" -> "1099r";
# "59 1/2", "59.5" -> "59half".
_JOINS = (
    (re.compile(r"\b(401|403|457)\s*\(?\s*([kb])\s*\)?(?![a-z])"), r"\1\2 "),
    (re.compile(r"\b(1099|5500|w)\s*-?\s*(r|ez|nec|2)\b"), r"\1\2"),
    (re.compile(r"\b(415|402|414|408|408a|402a|72|404)\s*\(\s*([a-z])\s*\)"), r"\1\2"),
    (re.compile(r"\bk\s*-\s*1\b"), "k1"),
    (re.compile(r"\b59\s*(?:1/2|½|\.5|and a half|and half)"), "59half"),
    (re.compile(r"\b(\d+)\s*(?:%|percent)"), r"\1 percent"),
)
_K1 = 1.2
_B = 0.5
_FIELD_WEIGHT = {"title": 2, "keywords": 1, "examples": 1}
_PAIR_WEIGHT = 0.5  # a word pair's idf counts this much
_CLOSEST_WEIGHT = 10.0  # the weight of the closest phrasing's similarity (0 to 1)
# A word no entry knows weighs this much more than the rarest known word: a question that is
# mostly about something else is not answered for the one word it shares with an entry.
_UNKNOWN_WEIGHT = 1.5


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
    """Lower-cased, stemmed words in order, stopwords kept; tax years left out."""
    text = text.lower().replace("’", "'").replace("'", "")
    text = text.replace("§", " ")
    text = _YEAR.sub(" ", text)
    for pattern, joined in _JOINS:
        text = pattern.sub(joined, text)
    text = text.replace("(", " ").replace(")", " ")
    words: list[str] = []
    tokens = re.findall(r"[a-z0-9½]+", text)
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if following.isalpha():  # "2 jobs" is "two jobs"; "2+2" stays digits
            token = _NUMBER_WORDS.get(token, token)
        words.extend(_stem(part) for part in _SPLITS.get(token, (token,)))
    return words


def _terms(words: Iterable[str]) -> list[str]:
    """The words that carry meaning, then each adjacent pair of them ("pro rata")."""
    kept = [w for w in words if w not in _STOPWORDS]
    return kept + [f"{a}_{b}" for a, b in itertools.pairwise(kept)]


@cache
def _cached_words(text: str) -> tuple[str, ...]:
    """:func:`_words` for the index's own texts, read once while it is built."""
    return tuple(_words(text))


@dataclass(frozen=True)
class _Doc:
    entry: FaqEntry
    tf: Mapping[str, int]
    norm: float  # the BM25 length factor k1 * (1 - b + b * length / average)


@dataclass(frozen=True)
class _Index:
    docs: tuple[_Doc, ...]
    idf: Mapping[str, float]
    fixes: Mapping[str, str]  # a one-letter variant of a known word -> that word
    unknown_idf: float  # the weight of a word no entry knows
    # For each term, the entries that hold it: (position, the term's BM25 score there).
    term_docs: Mapping[str, tuple[tuple[int, float], ...]]
    # Each phrasing (title, keyword, example): its entry's position and one over its length
    # (the root of its terms' weights squared); and, for each term, the phrasings that hold it.
    phrasings: tuple[tuple[int, float], ...]
    postings: Mapping[str, tuple[int, ...]]
    # Words the entries only ever use in one phrase ("safe" in "safe harbor"): alone, they are
    # read as unknown words.
    bound: Mapping[str, frozenset[str]]


def _variants(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _index() -> _Index:
    docs: list[tuple[FaqEntry, Counter[str]]] = []
    for entry in load_entries():
        fields = {
            "title": [entry.title],
            "keywords": list(entry.keywords),
            "examples": list(entry.examples),
        }
        tf: Counter[str] = Counter()
        for name, texts in fields.items():
            for text in texts:
                for term in set(_terms(_cached_words(text))):
                    tf[term] += _FIELD_WEIGHT[name]
        if entry.id == UNPUBLISHED_YEAR_ENTRY:
            tf[_UNPUBLISHED_YEAR_TERM] += 4
        docs.append((entry, tf))
    n = len(docs)
    df: Counter[str] = Counter(term for _, tf in docs for term in tf)
    idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in df.items()}
    lengths = [sum(tf.values()) for _, tf in docs]
    avg = sum(lengths) / n if n else 1.0
    built = tuple(
        _Doc(entry, dict(tf), _K1 * (1 - _B + _B * length / avg))
        for (entry, tf), length in zip(docs, lengths, strict=True)
    )
    phrasings: list[tuple[int, float]] = []
    postings: dict[str, list[int]] = {}
    partners: dict[str, set[str]] = {}  # word -> the pairs it was part of every time
    seen: Counter[str] = Counter()
    for position, entry in enumerate(load_entries()):
        known_here: set[frozenset[str]] = set()
        for text in (entry.title, *entry.keywords, *entry.examples):
            kept = [w for w in _cached_words(text) if w not in _STOPWORDS]
            for i, word in enumerate(kept):
                pairs = {f"{a}_{b}" for a, b in itertools.pairwise(kept[max(i - 1, 0) : i + 2])}
                partners[word] = partners[word] & pairs if word in partners else pairs
                seen[word] += 1
            terms = frozenset(_terms(_cached_words(text)))
            if not terms or terms in known_here:  # the same phrasing twice counts once
                continue
            known_here.add(terms)
            for term in terms:
                postings.setdefault(term, []).append(len(phrasings))
            length = math.sqrt(sum(_weight(t, idf) ** 2 for t in terms))
            phrasings.append((position, 1.0 / length))
    # Misspellings: a typed word not in the index is read as the known word it meets after
    # deleting at most one letter from either (the most widely used such word; ties by spelling).
    known = sorted((t for t in df if "_" not in t and len(t) >= 4 and not t.isdigit()), key=str)
    fixes: dict[str, str] = {}
    for word in sorted(known, key=lambda w: (-df[w], w)):
        for key in {word} | _variants(word):
            fixes.setdefault(key, word)
    bound = {
        word: frozenset(pairs) for word, pairs in partners.items() if pairs and seen[word] >= 2
    }
    _cached_words.cache_clear()
    term_docs: dict[str, list[tuple[int, float]]] = {}
    for position, doc in enumerate(built):
        for term, count in doc.tf.items():
            bm25 = _weight(term, idf) * count * (_K1 + 1) / (count + doc.norm)
            term_docs.setdefault(term, []).append((position, bm25))
    return _Index(
        built,
        idf,
        fixes,
        _UNKNOWN_WEIGHT * math.log(1 + (n - 0.5) / 1.5),
        {term: tuple(found) for term, found in term_docs.items()},
        tuple(phrasings),
        {term: tuple(found) for term, found in postings.items()},
        bound,
    )


def _weight(term: str, idf: Mapping[str, float]) -> float:
    return idf[term] * (_PAIR_WEIGHT if "_" in term else 1.0)


def _fix(word: str, index: _Index) -> str:
    if word in index.idf or word in _STOPWORDS or len(word) < 5 or word.isdigit():
        return word
    for key in [word, *sorted(_variants(word))]:
        found = index.fixes.get(key)
        if found is not None and abs(len(found) - len(word)) <= 1:
            return found
    return word


def _query_terms(text: str) -> list[str]:
    index = _index()
    words = [_fix(w, index) for w in _words(text)]
    terms = list(dict.fromkeys(_terms(words)))
    found = set(terms)
    terms = [f"?{t}" if t in index.bound and not index.bound[t] & found else t for t in terms]
    years = supported_years()
    if any(y not in years for y in years_named(text)):
        terms.append(_UNPUBLISHED_YEAR_TERM)
    return terms


def _closest(terms: list[str], index: _Index) -> list[float]:
    """For each entry, the cosine similarity of the question with its closest phrasing (terms
    weighted by idf; a word no entry knows weighs in the question's length only)."""
    squares = {
        t: (_weight(t, index.idf) if t in index.idf else index.unknown_idf) ** 2 for t in terms
    }
    length = math.sqrt(sum(squares.values())) or 1.0
    shared: dict[int, float] = {}
    get = shared.get
    for term in terms:
        square = squares[term]
        for phrasing in index.postings.get(term, ()):
            shared[phrasing] = get(phrasing, 0.0) + square
    best = [0.0] * len(index.docs)
    phrasings = index.phrasings
    for phrasing, overlap in shared.items():
        position, inverse = phrasings[phrasing]
        value = overlap * inverse
        if value > best[position]:
            best[position] = value
    return [value / length for value in best]


@dataclass(frozen=True)
class _Hit:
    entry: FaqEntry
    score: float
    cover: float  # the share of the question's word weight this entry knows
    closest: float  # the similarity of its closest phrasing (0 to 1)


def _hits(text: str) -> list[_Hit]:
    terms = _query_terms(text)
    words = [t for t in terms if "_" not in t]
    if not any(not word.isdigit() or len(word) >= 3 for word in words):  # "2+2", "?"
        return []
    index = _index()
    closest = _closest(terms, index)
    bm25 = [0.0] * len(index.docs)
    known = [0.0] * len(index.docs)  # the word weight each entry knows
    total = 0.0
    for term in terms:
        weight = index.idf.get(term, index.unknown_idf)
        if "_" not in term:
            total += weight
        for position, score in index.term_docs.get(term, ()):
            bm25[position] += score
            if "_" not in term:
                known[position] += weight
    total = total or 1.0
    hits = []
    for position, doc in enumerate(index.docs):
        score = round(bm25[position] + _CLOSEST_WEIGHT * closest[position], 6)
        if score > 0:
            hits.append(_Hit(doc.entry, score, known[position] / total, closest[position]))
    hits.sort(key=lambda hit: (-hit.score, hit.entry.id))
    return hits


def _ranked(text: str) -> list[tuple[FaqEntry, float]]:
    return [(hit.entry, hit.score) for hit in _hits(text)]


def search(text: str, limit: int = 3) -> list[tuple[FaqEntry, float]]:
    """The entries that best match ``text``, best first, with their scores (only entries that
    share something with the text; ties in id order)."""
    if limit <= 0:
        return []
    return _ranked(text)[:limit]


# ---------------------------------------------------------------------------------------------
# Declines: asked before any ranking

_ASSET = (
    r"(?:bitcoin|btc|crypto\w*|ethereum|eth|stocks?|shares?|etfs?|index funds?|mutual funds?|"
    r"bonds?|gold|silver|nvidia|nvda|tesla|tsla|apple|amazon|google|meta|vti|voo|vtsax|fxaix|"
    r"s&p(?: 500)?|sp500|real estate|options|penny stocks?|meme stocks?)"
)
_DECLINES: tuple[tuple[Decline, re.Pattern[str]], ...] = (
    (
        "rules",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass|drop)\b.{0,40}"
            r"\b(?:instructions?|rules?|prompts?|guidelines?|restrictions?|above|previous)\b"
            r"|\b(?:pretend|roleplay|role play|act as|you are now|developer mode|jailbreak|"
            r"system prompt|no restrictions|without restrictions|without (?:any )?rules)\b"
        ),
    ),
    (
        "evasion",
        re.compile(
            r"\b(?:hide|hiding|conceal\w*|launder\w*|evade|evading|cheat\w*|underreport\w*|"
            r"unreported|under the table|off the books|falsif\w*|fake|lie|lying)\b"
            r"|\b(?:not|never|avoid|without|stop) (?:report\w*|declar\w*|pay(?:ing)? (?:any )?tax)"
            r"|\birs (?:doesnt|does not|wont|will not|never) (?:know|find out|see)"
        ),
    ),
    (
        "investment",
        re.compile(
            rf"\b(?:buy|sell|short|invest in|pick|recommend\w*)\b.{{0,40}}\b{_ASSET}\b"
            rf"|\b{_ASSET}\b.{{0,30}}\b(?:to buy|to sell|a good (?:buy|investment)|worth buying)\b"
            r"|\b(?:which|what)\b.{0,30}\b(?:funds?|etfs?|stocks?)\b.{0,30}"
            r"\b(?:should|buy|pick|choose|invest|best)\b"
            r"|\b(?:best|good|top)\b.{0,20}\b(?:funds?|etfs?|stocks?|investments?)\b"
            r"|\bgood (?:buy|investment)\b"
            rf"|\bput\b.{{0,40}}\bin(?:to)? {_ASSET}\b"
            r"|\bwhat (?:should|do|can) i invest\b|\bwhat to invest in\b"
        ),
    ),
)


# Plainly about something else, whatever words it shares with an entry.
_OFF_TOPIC = re.compile(
    r"\b(?:weather|forecast|stock market|market (?:today|doing|crash\w*)|news|joke|poem|recipe|"
    r"cook\w*|sports?|game|movie|song|dating|flight|hotel|translate|passport|credit score|"
    r"credit cards?|mortgage rates?|student loans?|car|tire|dog|cat)\b"
)


def decline_of(text: str) -> Decline | None:
    """The kind of refusal ``text`` calls for, or None."""
    cleaned = _cleaned(text)
    for kind, pattern in _DECLINES:
        if pattern.search(cleaned):
            return kind
    return None


def _cleaned(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").replace("'", "").split())


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
    values.update((name, given[name]) for name in PERSONAL_FIGURE_NAMES if given.get(name))
    return values


def _render(source: str, figures: Mapping[str, str] | None) -> str:
    text = _template(source).render(**_values(figures))
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def render(entry: FaqEntry, figures: Mapping[str, str] | None = None) -> str:
    """The entry's short answer for the year in ``figures["tax_year"]`` (the newest supported
    year when absent or unsupported), with the person's own figures filled in where given."""
    return _render(entry.answer_template, figures)


def render_more(entry: FaqEntry, figures: Mapping[str, str] | None = None) -> str:
    """The entry's detail, like :func:`render`."""
    return _render(entry.more_template, figures)


def _for_question(text: str, figures: Mapping[str, str] | None) -> dict[str, str]:
    """The figures to answer ``text`` with: a supported year the question names replaces the
    person's (and their own figures, which belong to their year, then go)."""
    given = dict(figures or {})
    years = supported_years()
    named = [y for y in years_named(text) if y in years]
    if named and str(named[0]) != given.get("tax_year"):
        return {"tax_year": str(named[0])}
    return given


def topic(
    entry_id: str, figures: Mapping[str, str] | None = None, *, question: str = ""
) -> FaqAnswer:
    """One entry's answer, picked by id (from a list of topics or a "Did you mean")."""
    entry = get_entry(entry_id)
    values = _for_question(question, figures)
    return FaqAnswer(
        kind="answer",
        entry=entry,
        text=render(entry, values),
        more=render_more(entry, values),
        sources=entry.sources,
        year=int(_values(values)["tax_year"]),
    )


def answer(question: str, figures: Mapping[str, str] | None = None) -> FaqAnswer:
    """Answer free text from the knowledge base: with the figures of the year in question
    (:func:`year_figures`), personalised with the caller's ``figures``."""
    refusal = decline_of(question)
    if refusal is not None:
        text = line(f"faq_decline.{refusal}")
        return FaqAnswer(kind="decline", entry=None, text=text, decline=refusal)
    if _OFF_TOPIC.search(_cleaned(question)):
        return FaqAnswer(kind="miss", entry=None, text=line("faq_miss"))
    newest = supported_years()[-1]
    if any(year > newest for year in years_named(question)):
        # Whatever it asks about that year, no figure of another year answers it.
        return topic(UNPUBLISHED_YEAR_ENTRY, figures)
    terms = set(_query_terms(question))
    if "mega" in terms and terms <= _TOPIC_WORDS:
        return topic(OVERVIEW_ENTRY, figures, question=question)
    hits = [hit for hit in _hits(question) if hit.cover >= COVER]
    best = hits[0].score if hits else 0.0
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    # A clear lead in score, or a phrasing much closer than any other entry's.
    near = hits[0].closest - max((h.closest for h in hits[1:]), default=0.0) if hits else 0.0
    if best >= ANSWER_SCORE and (best >= ANSWER_LEAD * runner_up or near >= NEAR_LEAD):
        found = topic(hits[0].entry.id, figures, question=question)
        close = [h.entry for h in hits[1 : 1 + RELATED_COUNT] if h.score >= CHOOSE_SHARE * best]
        return replace(found, related=tuple(close))
    if best >= CHOOSE_SCORE:
        choices = tuple(h.entry for h in hits[:CHOOSE_COUNT] if h.score >= CHOOSE_SHARE * best)
        return FaqAnswer(kind="choose", entry=None, text=line("faq_choose"), choices=choices)
    return FaqAnswer(kind="miss", entry=None, text=line("faq_miss"))


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
