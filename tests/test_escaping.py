"""HTML and script in anything a person types are shown as text, never as markup: on Telegram
(HTML parse mode: what the bot sends to the Bot API double), on the web chat pages and the REST
API's ``html``, and on the advisor pages and exports (where a spreadsheet formula must not run
either).

User text that is echoed back: the target of ``edit …`` ("I can't find answer … to change"),
typed or sent as a command (a web form's ``command`` field, Telegram's ``c|…`` callback data).
Everything else a person types (answers, FAQ questions, names, a forged question id, query
strings) is never echoed; these tests check that it does not appear as markup either.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from bot import build_dispatcher, make_bot
from conversations import Conversations
from conversations.db import upgrade
from conversations.storage import Storage
from tests.api.conftest import make_settings
from tests.support import updates
from tests.support.answers import ONE_JOB
from tests.support.pages import csrf_of
from tests.support.telegram_double import BotApiDouble

PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img_onerror": '<img src=x onerror="alert(1)">',
    "closing_tags": "</p></div><b>bold</b>",
    "attribute_breakout": "\" onmouseover='alert(1)' x=\"",
    "entities": "&lt;script&gt; &amp; &#60;",
    "telegram_link": '<a href="tg://user?id=1">me</a>',
}
# The tags each channel's own templates use; anything else in a reply is the person's markup.
TELEGRAM_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)")
ADVISOR_TOKEN = "escaping-advisor-token"
NO_LIMITS: dict[str, Any] = {
    "rate_limit_address_per_minute": 0,
    "rate_limit_conversation_per_minute": 0,
}


def _echoed(payload: str) -> str:
    """The payload as ``edit …`` echoes it: the flow lower-cases typed commands."""
    return " ".join(payload.lower().split())


def _no_markup_from(payload: str, shown: str) -> None:
    """``shown`` (HTML) holds none of ``payload``'s markup as markup."""
    for raw in (payload, payload.lower()):
        if "<" in raw or '"' in raw:
            assert raw not in shown, f"{raw!r} appears unescaped"


# --- Telegram ---------------------------------------------------------------------------------

CHAT = 880001


def _message(text: str, first_name: str = "Sam") -> dict[str, Any]:
    update = updates.message(text, chat=CHAT, first_name=first_name)
    update["message"]["chat"]["first_name"] = first_name
    update["message"]["from"]["last_name"] = first_name
    return update


def _tap(data: str) -> dict[str, Any]:
    return updates.tap(data, chat=CHAT)


class Telegram:
    def __init__(self, bot: Bot, storage: Storage, api: BotApiDouble) -> None:
        self.bot = bot
        self.api = api
        self.dispatcher = build_dispatcher(Conversations(storage, key_secret="escaping"))

    async def feed(self, update: dict[str, Any]) -> None:
        parsed = Update.model_validate(update, context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, parsed)

    def sent(self) -> list[dict[str, Any]]:
        return [c.params for c in self.api.calls_to("sendMessage", status=200)]


@pytest.fixture
async def telegram(tmp_path: Path, bot_api: BotApiDouble) -> AsyncIterator[Telegram]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    storage = Storage(url)
    bot = make_bot("123456:ESCAPING", bot_api.base_url)  # the app's bot: HTML parse mode
    try:
        yield Telegram(bot, storage, bot_api)
    finally:
        await bot.session.close()
        await storage.close()


def _telegram_html_ok(params: dict[str, Any]) -> None:
    text = str(params["text"])
    assert params.get("parse_mode") == "HTML", params
    tags = {t.lower() for t in TAG.findall(text)}
    assert tags <= TELEGRAM_TAGS, f"markup the templates don't use: {tags - TELEGRAM_TAGS}"
    assert "<script" not in text.lower()


@pytest.mark.parametrize("name", sorted(PAYLOADS))
async def test_telegram_shows_typed_markup_as_text(telegram: Telegram, name: str) -> None:
    payload = PAYLOADS[name]
    await telegram.feed(_message("/start", first_name=payload))
    await telegram.feed(_message(payload))  # an answer to the tax-year question
    await telegram.feed(_message(f"what is {payload}?"))  # a question for the FAQ
    await telegram.feed(_message(f"edit {payload}"))  # echoed back
    await telegram.feed(_tap(f"c|edit:{payload}"))  # echoed back, as sent
    await telegram.feed(_tap(f"a|{payload}|{payload}"))  # a forged tap
    sent = telegram.sent()
    assert sent
    for params in sent:
        _telegram_html_ok(params)
        _no_markup_from(payload, str(params["text"]))
    echoes = [str(p["text"]) for p in sent if "find answer" in str(p["text"])]
    assert len(echoes) == 2, [p["text"] for p in sent]
    shown = [html.unescape(t) for t in echoes]  # what the person reads in Telegram
    assert _echoed(payload) in shown[0]
    assert payload in shown[1]
    # The Bot API double keeps what Telegram displays (tags removed, entities read): the
    # person sees their own text, character for character.
    displayed = [
        str(c.result["text"])
        for c in telegram.api.calls_to("sendMessage", status=200)
        if "find answer" in str(c.result["text"])
    ]
    assert _echoed(payload) in displayed[0]
    assert payload in displayed[1]


# --- web chat and REST ------------------------------------------------------------------------


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, advisor_token=SecretStr(ADVISOR_TOKEN), **NO_LIMITS)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _csrf(client: TestClient, path: str) -> str:
    return csrf_of(client.get(path).text)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_web_chat_shows_typed_markup_as_text(app_client: TestClient, name: str) -> None:
    payload = PAYLOADS[name]
    client = app_client
    csrf = _csrf(client, f"/?advisor={payload}")
    started = client.post("/chat/start", data={"csrf": csrf, "advisor": payload})
    assert started.status_code == 303
    pages = [client.get(started.headers["location"]).text]
    for form in (
        {"text": payload},  # an answer (no question_id: typed into the box)
        {"text": payload, "question_id": "tax_year"},
        {"text": f"what is {payload}?"},
        {"command": f"edit:{payload}"[:32]},
        {"text": f"edit {payload}"},
        {"choice": payload[:64], "question_id": payload[:64]},
        {"command": payload[:32]},
    ):
        response = client.post("/chat", data={"csrf": csrf, **form})
        # Post/redirect/get: each answer is followed by the page it leads to.
        assert response.status_code == 303, response.text[:300]
        shown = client.get(response.headers["location"])
        assert shown.status_code == 200, shown.text[:300]
        pages.append(shown.text)
    pages.append(client.get(f"/?advisor={payload}").text)
    for shown in pages:
        _no_markup_from(payload, shown)
        assert "<script>alert" not in shown
    echoed = [p for p in pages if "find answer" in p]
    assert len(echoed) == 2
    assert _echoed(payload) in html.unescape(echoed[1])  # escaped, not stripped


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_rest_apis_html_escapes_typed_markup(app_client: TestClient, name: str) -> None:
    payload = PAYLOADS[name]
    cid = app_client.post("/v1/conversations", json={}).json()["id"]
    bodies = [
        app_client.post(f"/v1/conversations/{cid}/answers", json={"text": text}).json()
        for text in (payload, f"edit {payload}", f"what is {payload}?")
    ]
    bodies.append(
        app_client.post(
            f"/v1/conversations/{cid}/answers",
            json={"choice": {"question_id": payload, "value": payload}},
        ).json()
    )
    for body in bodies:
        for message in body["messages"]:
            _no_markup_from(payload, message["html"])
    echo = next(m for m in bodies[1]["messages"] if "find answer" in m["text"])
    assert _echoed(payload) in echo["text"]  # plain text: as typed (JSON needs no escaping)
    assert html.unescape(echo["html"]).count(_echoed(payload)) == 1


# --- advisor pages and exports ----------------------------------------------------------------


def _finish(client: TestClient, advisor: str) -> str:
    response = client.post(
        "/v1/conversations", json={"advisor_code": advisor, "consent_share": True}
    )
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    for text in ONE_JOB:
        client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
    assert client.get(f"/v1/conversations/{cid}").json()["status"] == "completed"
    return cid


def _sign_in(client: TestClient) -> None:
    csrf = _csrf(client, "/advisor/login")
    response = client.post("/advisor/login", data={"token": ADVISOR_TOKEN, "csrf": csrf})
    assert response.status_code == 303


@pytest.mark.parametrize(
    "code",
    [
        "<script>alert(1)</script>",
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "@SUM(A1)",
        "\t=1+1",
        "a b",
    ],
    ids=["script", "hyperlink_formula", "plus_formula", "at_formula", "tab_formula", "space"],
)
def test_an_advisor_code_with_markup_or_a_formula_is_refused_everywhere(
    app_client: TestClient, code: str
) -> None:
    """Codes are letters, digits, - and _: anything else never reaches the advisor."""
    refused = app_client.post("/v1/conversations", json={"advisor_code": code})
    assert refused.status_code == 422
    assert refused.json()["field"] == "advisor_code"
    page = app_client.get("/", params={"advisor": code}).text
    _no_markup_from(code, page)
    assert 'name="advisor"' not in page, "the web page took the code"


@pytest.mark.parametrize(
    ("code", "cell"),
    [("-1-1", "'-1-1"), ("-cmd", "'-cmd"), ("ADV_7", "ADV_7")],
    ids=["minus_formula", "minus_word", "plain"],
)
def test_advisor_pages_and_exports_show_a_code_safely(
    app_client: TestClient, code: str, cell: str
) -> None:
    """A code that starts like a formula (codes may start with "-") is made inert in the CSV;
    pages and the JSON export show it as it is."""
    _finish(app_client, code)
    _sign_in(app_client)
    listing = app_client.get("/advisor").text
    assert f'<td data-label="Code">{code}</td>' in listing
    detail_id = re.search(r'href="/advisor/intakes/([^"]+)"', listing)
    assert detail_id
    detail = app_client.get(f"/advisor/intakes/{detail_id.group(1)}").text
    assert f"<dd>{code}</dd>" in detail
    rows = list(csv.DictReader(io.StringIO(app_client.get("/advisor/export.csv").text)))
    assert [r["advisor_code"] for r in rows] == [cell]
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    exported = app_client.get("/advisor/export.json").json()["intakes"]
    assert [i["advisor_code"] for i in exported] == [code]


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_advisor_filters_echo_markup_as_text(app_client: TestClient, name: str) -> None:
    payload = PAYLOADS[name]
    _finish(app_client, "ADV-1")
    _sign_in(app_client)
    page = app_client.get(
        "/advisor", params={"verdict": payload, "since": payload, "until": payload}
    ).text
    _no_markup_from(payload, page)
    assert "<script>alert" not in page
    missing = app_client.get(f"/advisor/intakes/{payload}")
    assert missing.status_code == 404
    _no_markup_from(payload, missing.text)
