"""A conversation id is bound to its channel: the REST API reads and writes only the
conversations it started, the web chat only its own; another channel's id answers exactly like
an unknown one, and changes nothing."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from conversations.storage import Storage


def _storage(client: TestClient) -> Storage:
    storage: Storage = client.app.state.megaroth.storage  # type: ignore[attr-defined]
    return storage


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _web_conversation(client: TestClient) -> str:
    csrf = _csrf(client.get("/").text)
    client.post("/chat/start", data={"csrf": csrf})
    client.post("/chat", data={"csrf": csrf, "text": "2026", "question_id": "tax_year"})
    conversation = client.cookies["mr_conversation"]
    client.cookies.clear()
    return conversation


def _telegram_conversation(client: TestClient) -> str:
    record = client.portal.call(  # type: ignore[union-attr]
        lambda: _storage(client).get_or_create("telegram", "someone", chat_key="chat")
    )
    return record.id


def _rest_calls(client: TestClient, conversation: str) -> list[tuple[int, object]]:
    calls = [
        client.get(f"/v1/conversations/{conversation}"),
        client.post(f"/v1/conversations/{conversation}/answers", json={"text": "45"}),
        client.post(f"/v1/conversations/{conversation}/answers", json={"command": "forget"}),
        client.delete(f"/v1/conversations/{conversation}"),
    ]
    return [(r.status_code, r.json()) for r in calls]


def test_rest_treats_other_channels_ids_as_unknown(client: TestClient) -> None:
    unknown = _rest_calls(client, str(uuid.uuid4()))
    assert [status for status, _ in unknown] == [404] * 4
    for foreign in (_web_conversation(client), _telegram_conversation(client)):
        before = client.portal.call(_storage(client).load, foreign)  # type: ignore[union-attr]
        assert before is not None
        assert _rest_calls(client, foreign) == unknown, "word for word like an unknown id"
        after = client.portal.call(_storage(client).load, foreign)  # type: ignore[union-attr]
        assert after is not None, "not deleted"
        assert (after.version, after.state) == (before.version, before.state), "not changed"


def test_rest_still_serves_its_own_conversations(client: TestClient) -> None:
    mine = client.post("/v1/conversations").json()["id"]
    assert client.get(f"/v1/conversations/{mine}").status_code == 200
    answered = client.post(f"/v1/conversations/{mine}/answers", json={"text": "2026"})
    assert answered.status_code == 200
    assert client.delete(f"/v1/conversations/{mine}").status_code == 204


def test_the_web_chat_takes_no_other_channels_id_as_its_cookie(client: TestClient) -> None:
    rest = client.post("/v1/conversations").json()["id"]
    telegram = _telegram_conversation(client)
    client.cookies.clear()
    fresh = client.get("/").text  # no cookie: the start page
    for foreign in (rest, telegram, str(uuid.uuid4())):
        before = client.portal.call(_storage(client).load, foreign)  # type: ignore[union-attr]
        client.cookies.set("mr_conversation", foreign)
        page = client.get("/").text
        assert "/chat/start" in page, "the start page, as for no conversation"
        assert page.replace(_csrf(page), "") == fresh.replace(_csrf(fresh), "")
        answered = client.post("/chat", data={"csrf": _csrf(page), "text": "2026"})
        assert answered.status_code == 200
        assert "/chat/start" in answered.text
        after = client.portal.call(_storage(client).load, foreign)  # type: ignore[union-attr]
        if before is not None:
            assert after is not None
            assert after.version == before.version, "not changed"
        client.cookies.clear()


def test_the_web_chat_shows_a_household_result(client: TestClient) -> None:
    csrf = _csrf(client.get("/").text)
    client.post("/chat/start", data={"csrf": csrf})
    person = ["2026", "45", "1", "$150,000", "1", "yes", "yes", "no", "max", "7.5k"]
    spouse = ["43", "1", "180000", "1", "yes", "yes", "no", "max", "5000", "20000"]
    for text in [*person, "2", "300000", "0"]:
        client.post("/chat", data={"csrf": csrf, "text": text})
    offer = client.get("/chat").text
    assert "Shall I add your spouse" in offer
    assert 'value="no"' in offer, "Skip is a button"
    client.post("/chat", data={"csrf": csrf, "question_id": "spouse", "choice": "yes"})
    for text in spouse:
        client.post("/chat", data={"csrf": csrf, "text": text})
    page = client.get("/chat").text
    assert 'class="household-mega-total">$82,500<' in page
    assert 'class="spouse-mega-total">$42,500<' in page
    assert "401(k) at your spouse&#39;s job" in page
    assert "Your spouse&#39;s next steps" in page
