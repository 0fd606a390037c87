"""Rate limits (per address, per conversation, per Telegram chat) and the cap on what is kept per
person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.limits import RateLimiter
from conversations.db import upgrade
from conversations.storage import Storage
from tests.api.conftest import make_settings
from tests.support import updates
from tests.support.stored import answer_log
from tests.support.telegram_double import BotApiDouble

SECRET = "limits-secret"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the token bucket ------------------------------------------------------------------------


def test_a_burst_then_one_request_per_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=3, clock=clock)
    assert [limiter.wait("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert limiter.wait("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.wait("a") == 0.0
    assert limiter.wait("b") == 0.0, "every key has a bucket of its own"


def test_a_refused_request_takes_no_token() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=1, clock=clock)
    assert limiter.wait("a") == 0.0
    for _ in range(5):
        assert limiter.wait("a") > 0
    clock.now += 1.0
    assert limiter.wait("a") == 0.0


def test_blocked_peeks_without_taking() -> None:
    clock = Clock()
    limiter = RateLimiter(30, burst=1, clock=clock)
    assert limiter.blocked("a") == 0.0
    assert limiter.wait("a") == 0.0
    assert limiter.blocked("a") == pytest.approx(2.0)
    assert limiter.blocked("a") == pytest.approx(2.0)
    clock.now += 2.0
    assert limiter.blocked("a") == 0.0


def test_zero_per_minute_turns_the_limit_off() -> None:
    limiter = RateLimiter(0)
    assert not limiter.on
    assert all(limiter.wait("a") == 0.0 for _ in range(1000))
    assert len(limiter) == 0


def test_buckets_are_bounded_least_recently_used_first() -> None:
    limiter = RateLimiter(60, burst=1, max_keys=100)
    for n in range(1000):
        limiter.wait(f"client-{n}")
    assert len(limiter) == 100
    assert limiter.blocked("client-999") > 0
    assert limiter.blocked("client-0") == 0.0, "the oldest bucket was dropped"


def test_keys_whose_buckets_have_filled_up_again_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=2, clock=clock)
    for n in range(50):
        limiter.wait(f"chat-{n}")
    assert len(limiter) == 50
    clock.now += 0.5  # half a token back each: not full yet
    limiter.wait("chat-new")
    assert len(limiter) == 51
    clock.now += 0.5  # full again: the same as never seen
    for n in range(30):
        limiter.wait(f"later-{n}")
    assert len(limiter) < 51 + 30 - 50 + 5, "the idle keys went as new ones came"
    assert limiter.blocked("chat-0") == 0.0
    # A key still short of tokens is kept, so its limit holds.
    assert [limiter.wait("flood") for _ in range(2)] == [0.0, 0.0]
    assert limiter.wait("flood") > 0
    for n in range(100):
        limiter.wait(f"passer-{n}")
    assert limiter.wait("flood") > 0


# --- REST and web ----------------------------------------------------------------------------


def test_rest_over_the_address_limit_gets_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_address_per_minute=3)
    with TestClient(create_app(settings)) as client:
        statuses = [client.get("/v1/conversations/nothing").status_code for _ in range(3)]
        assert statuses == [404, 404, 404]
        refused = client.post("/v1/evaluate", json={})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        body = refused.json()
        assert body["field"] is None
        assert "wait" in body["detail"]
        assert "seconds" in body["detail"]
        assert refused.headers["content-security-policy"], "security headers on a 429 too"
        # Health and metrics are never limited: an orchestrator must always reach them.
        assert client.get("/healthz").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert 'megaroth_rate_limited_total{limit="address"}' in client.get("/metrics").text


def test_web_pages_over_the_limit_get_a_readable_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_address_per_minute=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 200
        refused = client.get("/")
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("text/html")
        assert "Please wait" in refused.text
        assert "nothing you answered is lost" in refused.text
        assert "retry-after" in refused.headers


def test_each_address_has_its_own_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_address_per_minute=1)
    app = create_app(settings)
    with TestClient(app) as first, TestClient(app, client=("203.0.113.9", 5000)) as second:
        assert first.get("/v1/conversations/x").status_code == 404
        assert first.get("/v1/conversations/x").status_code == 429
        assert second.get("/v1/conversations/x").status_code == 404


def test_answers_over_the_conversation_limit_get_429_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, rate_limit_conversation_per_minute=2)
    with TestClient(create_app(settings)) as client:
        started = client.post("/v1/conversations", json={})
        cid = started.json()["id"]
        first = started.json()["question"]["id"]
        answers = [
            client.post(f"/v1/conversations/{cid}/answers", json={"text": "2026"}) for _ in range(3)
        ]
        assert [r.status_code for r in answers] == [200, 200, 429]
        assert answers[2].headers["retry-after"]
        state = client.get(f"/v1/conversations/{cid}").json()
        assert state["question"]["id"] != first, "the answers taken before the limit are kept"
        # Another conversation from the same address is not held back by this one.
        other = client.post("/v1/conversations", json={}).json()["id"]
        again = client.post(f"/v1/conversations/{other}/answers", json={"text": "2026"})
        assert again.status_code == 200


# --- the Telegram webhook --------------------------------------------------------------------


@pytest.fixture
async def telegram_app(tmp_path: Path, bot_api: BotApiDouble) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        tmp_path,
        telegram_bot_token=SecretStr("123456:LIMITS"),
        telegram_webhook_secret=SecretStr(SECRET),
        telegram_api_base=bot_api.base_url,
        rate_limit_conversation_per_minute=3,
    )
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 443))
        async with httpx.AsyncClient(transport=transport, base_url="http://megaroth") as client:
            yield client


def _message(text: str, chat: int = 7001) -> dict[str, Any]:
    return updates.message(text, chat=chat)


async def _post(client: httpx.AsyncClient, update: dict[str, Any], secret: str = SECRET) -> Any:
    return await client.post(
        "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
    )


async def test_a_chat_over_its_limit_is_told_once_and_telegram_gets_200(
    telegram_app: httpx.AsyncClient, bot_api: BotApiDouble
) -> None:
    for text in ["/start", "2026", "45"]:
        answered = await _post(telegram_app, _message(text))
        assert answered.status_code == 200
        await bot_api.carry_out("123456:LIMITS", answered.json())
        assert answered.json().get("method") != "sendMessage"
    sent_before = len(bot_api.sent_texts(7001))
    flood = await _post(telegram_app, _message("single"))
    assert flood.status_code == 200, "a 429 would make Telegram hold back every chat"
    notice = flood.json()
    assert notice["method"] == "sendMessage"
    assert notice["chat_id"] == 7001
    assert "faster than I can answer" in notice["text"]
    assert "your earlier answers are saved" in notice["text"]
    again = await _post(telegram_app, _message("single"))
    assert again.status_code == 200
    assert again.json() == {}, "the notice is sent once a minute"
    assert len(bot_api.sent_texts(7001)) == sent_before, "skipped updates reach no handler"
    # Another person is not held back.
    assert (await _post(telegram_app, _message("/start", chat=7002))).json() == {}
    assert bot_api.sent_texts(7002)


async def test_wrong_secrets_from_one_address_are_cut_off_with_429(
    telegram_app: httpx.AsyncClient,
) -> None:
    statuses = [(await _post(telegram_app, _message("x"), "guess")).status_code for _ in range(10)]
    assert statuses == [401] * 10
    refused = await _post(telegram_app, _message("x"), "guess")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


async def test_wrong_secrets_never_lock_out_the_right_one(
    telegram_app: httpx.AsyncClient, bot_api: BotApiDouble
) -> None:
    """A misbehaving client behind the same address as Telegram (the proxy's) sends wrong
    secrets past the limit: Telegram's own deliveries, with the right secret, still go in."""
    chat = 7101
    for n, text in enumerate(["/start", "2026", "45"]):
        for _ in range(15 if n == 0 else 5):
            await _post(telegram_app, _message("x", chat=chat + 1), "guess")
        assert (await _post(telegram_app, _message("x"), "guess")).status_code == 429
        answered = await _post(telegram_app, _message(text, chat=chat))
        assert answered.status_code == 200, "the right secret is never refused"
        await bot_api.carry_out("123456:LIMITS", answered.json())
    texts = bot_api.sent_texts(chat)
    assert "How do you earn" in texts[-1], "all three updates were handled"
    assert not bot_api.sent_texts(chat + 1), "nothing with a wrong secret was handled"


# --- forwarded addresses ---------------------------------------------------------------------


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 5000))


@pytest.mark.parametrize("proxies", [None, "10.0.0.2"])
def test_forwarded_addresses_from_anyone_else_are_ignored(
    tmp_path: Path, proxies: str | None
) -> None:
    """Not a named proxy (by default none is, loopback included): rotating X-Forwarded-For
    does not dodge the per-address limit."""
    settings = make_settings(tmp_path, rate_limit_address_per_minute=2, trusted_proxies=proxies)
    with _from(create_app(settings), "127.0.0.1") as client:
        statuses = [
            client.get(
                "/v1/conversations/x", headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            for n in range(4)
        ]
    assert statuses == [404, 404, 429, 429]


def test_a_named_proxy_gets_each_forwarded_address_its_own_limit(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, rate_limit_address_per_minute=1, trusted_proxies="10.0.0.0/24, 192.0.2.1"
    )
    app = create_app(settings)
    with _from(app, "10.0.0.7") as proxy, _from(app, "192.0.2.1") as other_proxy:

        def get(client: TestClient, person: str) -> int:
            headers = {"X-Forwarded-For": f"{person}, 10.0.0.9", "X-Forwarded-Proto": "https"}
            return client.get("/v1/conversations/x", headers=headers).status_code

        # The address the proxy saw: the last in the list that is not a proxy itself.
        assert get(proxy, "203.0.113.1") == 404
        assert get(proxy, "203.0.113.1") == 429
        assert get(proxy, "203.0.113.2") == 404, "another person behind the proxy"
        assert get(other_proxy, "203.0.113.3") == 404
        # A forwarded https is believed too: the web chat's cookies are then Secure.
        page = proxy.get(
            "/", headers={"X-Forwarded-For": "203.0.113.4", "X-Forwarded-Proto": "https"}
        )
        assert "secure" in page.headers["set-cookie"].lower()


def test_trusted_proxies_setting_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", " 10.0.0.2 ,, 10.1.0.0/16 ")
    assert make_settings(tmp_path).proxies() == ["10.0.0.2", "10.1.0.0/16"]
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert make_settings(tmp_path).proxies() == []


# --- what is kept per person -----------------------------------------------------------------


@pytest.fixture
async def small_storage(tmp_path: Path) -> AsyncIterator[Storage]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cap.db'}"
    upgrade(url)
    storage = Storage(url, max_conversations_per_user=3)
    try:
        yield storage
    finally:
        await storage.close()


async def test_only_the_newest_conversations_are_kept_per_person(small_storage: Storage) -> None:
    ids = []
    for _ in range(6):
        async with small_storage.locked("telegram", "dana") as record:
            record.log("answer", "tax_year", 2026)
            record.status = "inactive"
        ids.append(record.id)
    current = await small_storage.get_or_create("telegram", "dana")
    kept = [i for i in ids if await small_storage.load(i) is not None]
    assert kept == ids[-2:], "two closed ones and the open one: three in all"
    assert current.id not in ids
    assert await answer_log(small_storage, ids[0]) == [], "their rows went with them"
    # Somebody else's conversations are untouched.
    other = await small_storage.get_or_create("telegram", "eve")
    assert await small_storage.load(other.id) is not None


async def test_a_conversation_keeps_one_result_however_often_it_completes(
    small_storage: Storage,
) -> None:
    ids = []
    for n in range(5):
        async with small_storage.locked("api", "fay") as record:
            ids.append(
                await record.record_intake(
                    scenario={"n": n},
                    result={},
                    rules_version="test",
                    verdict="available",
                    total=n,
                    flags=[],
                )
            )
    intakes = await small_storage.list_intakes(None)
    assert len(intakes) == 1
    assert intakes[0].scenario == {"n": 4}, "the newest replaces the others"
    assert set(ids) == {intakes[0].id}, "under one id"
    assert intakes[0].updated_at > intakes[0].created_at


def test_storage_refuses_a_cap_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Storage(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", max_conversations_per_user=0)
