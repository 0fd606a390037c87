"""Questions asked mid-flow over REST (the turn's ``faq`` JSON, "did you mean" choices sent back
as ``faq``) and in the web chat (answers, "did you mean" links, the topic pages), each
conversation then finished."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from conversations import faq
from tests.support.answers import ONE_JOB
from tests.support.pages import csrf_of

RESULT = "a Mega Backdoor Roth works for you, with $40,000 of after-tax money"


def _post(client: TestClient, cid: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/v1/conversations/{cid}/answers", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_rest_questions_mid_flow_then_the_result(client: TestClient) -> None:
    cid = client.post("/v1/conversations", json={}).json()["id"]
    _post(client, cid, {"text": "2026"})
    # A strong match: the answer, its detail and sources; the question is still pending.
    answered = _post(client, cid, {"text": "pro rata rule"})
    assert answered["faq"]["kind"] == "answer"
    assert answered["faq"]["entry"] == "pro_rata_in_service"
    assert answered["faq"]["more"]
    assert "IRC §72(e)(8)" in answered["faq"]["sources"]
    assert answered["faq"]["year"] == 2026
    assert answered["question"]["id"] == "age"
    assert [m["kind"] for m in answered["messages"]] == ["faq", "notice"]
    # A close call: choices, one sent back as `faq`.
    close = _post(client, cid, {"text": "catch up"})
    assert close["faq"]["kind"] == "choose"
    choices = close["faq"]["choices"]
    assert 2 <= len(choices) <= 3
    picked = _post(client, cid, {"faq": choices[1]["id"]})
    assert picked["faq"]["entry"] == choices[1]["id"]
    assert picked["question"]["id"] == "age"
    # The topics, a decline, a miss.
    topics = _post(client, cid, {"command": "faq"})
    assert topics["faq"]["kind"] == "topics"
    assert [c["id"] for c in topics["faq"]["choices"]] == list(faq.entry_ids())
    declined = _post(client, cid, {"text": "which stocks should I buy"})
    assert declined["faq"]["kind"] == "decline"
    assert declined["faq"]["decline"] == "investment"
    missed = _post(client, cid, {"text": "what's the weather"})
    assert missed["faq"]["kind"] == "miss"
    # A plain answer has no faq; the conversation finishes.
    for text in ONE_JOB[1:]:
        body = _post(client, cid, {"text": text})
        assert body["faq"] is None
    assert body["result"]["mega_backdoor_total"] == 40000
    after = _post(client, cid, {"text": "how much after tax room do i have"})
    assert after["faq"]["text"].startswith("About $40,000")
    bad = client.post(f"/v1/conversations/{cid}/answers", json={"faq": "Not An Id!"})
    assert bad.status_code == 422


def _say(client: TestClient, csrf: str, **form: str) -> str:
    response = client.post("/chat", data={"csrf": csrf, **form})
    assert response.status_code == 200
    return response.text


def test_web_chat_questions_mid_flow_then_the_result(client: TestClient) -> None:
    csrf = csrf_of(client.get("/").text)
    client.post("/chat/start", data={"csrf": csrf})
    page = _say(client, csrf, text="do RMDs apply to roth 401k money?", question_id="tax_year")
    assert "Do required minimum distributions (RMDs) apply to Roth 401(k) money?" in page
    assert 'href="/faq/rmds_roth_401k"' in page
    assert 'name="question_id" value="tax_year"' in page, "the question again"
    page = _say(client, csrf, choice="2026", question_id="tax_year")
    # Typed into the answer box of a typed question: taken as a question, not an answer.
    page = _say(client, csrf, text="catch up", question_id="age")
    links = re.findall(r'<a href="/faq/([a-z0-9_]+)">', page)
    assert len(links) >= 2
    assert 'name="question_id" value="age"' in page
    page = _say(client, csrf, text="45", question_id="age")
    # How you earn takes buttons; the box beside them takes a question too.
    assert 'id="answer"' in page
    assert 'href="/faq"' in page
    page = _say(client, csrf, text="<script>alert(1)</script> hide income from the irs")
    assert "<script>alert(1)" not in page
    assert "hiding income" in html.unescape(page)
    assert 'name="question_id" value="income"' in page
    # A topic page in the person's own figures, and the list of topics.
    topic = client.get(f"/faq/{links[0]}")
    assert topic.status_code == 200
    assert "Sources:" in topic.text
    listing = client.get("/faq")
    for entry_id in faq.entry_ids():
        assert f'href="/faq/{entry_id}"' in listing.text
    assert client.get("/faq/no_such_topic").status_code == 404
    for text in ONE_JOB[2:]:
        page = _say(client, csrf, text=text)
    assert RESULT in html.unescape(page)
    page = _say(client, csrf, text="how much after tax room do i have")
    assert "About $40,000" in page
    own = client.get("/faq/after_tax_room_calculation").text
    assert "About $40,000" in own, "the topic page in the person's own figures"
