"""The paycheck plan over REST and in the web chat: the `paycheck` command after the result,
the `pay.` questions, and the plan (REST: the `paycheck` field; web: an HTML table), checked
against the planner run on the same figures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from conversations.paycheck_view import election_text
from engine.paycheck import MatchTier, PaycheckInputs, PaycheckJob, plan_paychecks
from engine.result import to_jsonable
from tests.api.conftest import make_settings
from tests.support.answers import ENDED_JOB, JOB_CHANGE, TWO_JOBS

# A job change in June: the match, the plan's rules and the strategy of the new job.
JOB_CHANGE_ANSWERS = [
    *JOB_CHANGE,
    ("pay.job1.match", "100% of the first 3%, 50% of the next 2%"),
    ("pay.job1.match_period", "each paycheck"),
    ("pay.job1.true_up", "no"),
    ("pay.job1.after_tax_matched", "no"),
    ("pay.job1.after_tax_cap", "15%"),
    ("pay.job1.unit", "whole percents"),
    ("pay.job1.floor", "no"),
    ("pay.strategy", "evenly"),
]
EXPECTED = plan_paychecks(
    PaycheckInputs(
        2026,
        45,
        (
            ENDED_JOB,
            PaycheckJob(
                name="your second job",
                pay_per_paycheck=Decimal(3000),
                frequency="biweekly",
                next_pay_date="2026-06-26",
                match=(MatchTier(Decimal(1), Decimal(3)), MatchTier(Decimal("0.5"), Decimal(2))),
                true_up="no",
                after_tax_cap_percent=Decimal(15),
            ),
        ),
    )
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, rate_limit_conversation_per_minute=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _say(client: TestClient, cid: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/v1/conversations/{cid}/answers", json=body)
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def test_a_job_change_over_rest(client: TestClient) -> None:
    cid = client.post("/v1/conversations", json={}).json()["id"]
    for text in TWO_JOBS:
        body = _say(client, cid, {"text": text})
    assert body["result"] is not None
    assert body["question"] is None
    assert body["paycheck"] is None
    body = _say(client, cid, {"command": "paycheck"})
    for asked, sent in JOB_CHANGE_ANSWERS:
        assert body["question"]["id"] == asked
        if asked == "pay.job1.ytd_pay":  # a wrong amount: refused, nothing lost
            wrong = _say(client, cid, {"text": "some"})
            assert wrong["question"]["id"] == asked
            assert [m["kind"] for m in wrong["messages"]] == ["problem"]
            assert "Type an amount" in wrong["messages"][0]["text"]
            assert len(wrong["summary"]) == len(body["summary"])
        choices = {c["label"].lower(): c["value"] for c in body["question"]["choices"]}
        if sent in choices:  # tapped
            body = _say(client, cid, {"choice": {"question_id": asked, "value": choices[sent]}})
        else:
            body = _say(client, cid, {"text": sent})
    assert body["question"] is None
    assert body["paycheck"] == to_jsonable(asdict(EXPECTED))
    # the result stands while the paychecks are planned: the conversation stays completed
    assert body["status"] == "completed"
    assert body["paycheck"]["total_402g"] <= body["paycheck"]["limit_402g"]
    shown = [m for m in body["messages"] if m["kind"] == "paycheck"]
    assert len(shown) == 1
    assert "<table" in shown[0]["html"]
    now = EXPECTED.now("your second job")
    assert now is not None
    assert f"defer {election_text(now.deferral, now.unit)}" in shown[0]["text"]
    # the plan is kept: reading the conversation again gives it, and the summary lists its answers
    again = client.get(f"/v1/conversations/{cid}").json()
    assert again["paycheck"] == body["paycheck"]
    assert any(i["question_id"] == "pay.job0.last_date" for i in again["summary"])
    # back reopens the last paycheck answer
    back = _say(client, cid, {"command": "back"})
    assert back["question"]["id"] == "pay.strategy"
    assert back["paycheck"] is None
    assert back["status"] == "completed"
    # a command after the result leaves it completed; going back into the questions reopens it
    assert _say(client, cid, {"command": "math"})["status"] == "completed"


def test_the_openapi_document_names_the_paycheck_command_and_field(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "paycheck" in schema["AnswerIn"]["properties"]["command"]["anyOf"][0]["enum"]
    assert "paycheck plan" in schema["ConversationOut"]["properties"]["paycheck"]["description"]


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _question_id(page: str) -> str:
    found = re.search(r'name="question_id" value="([^"]+)"', page)
    assert found, page[-2000:]
    return found.group(1)


def test_the_web_chat_plans_the_paychecks_of_a_job_change(client: TestClient) -> None:
    csrf = _csrf(client.get("/").text)
    client.post("/chat/start", data={"csrf": csrf})
    for text in TWO_JOBS:
        page = client.get("/chat").text
        client.post("/chat", data={"csrf": csrf, "text": text, "question_id": _question_id(page)})
    page = client.get("/chat").text
    assert 'value="paycheck"' in page
    assert "Plan my paychecks" in page
    page = client.post("/chat", data={"csrf": csrf, "command": "paycheck"}).text
    for asked, sent in JOB_CHANGE_ANSWERS:
        assert _question_id(page) == asked
        page = client.post("/chat", data={"csrf": csrf, "text": sent, "question_id": asked}).text
        assert 'role="alert"' not in page, (asked, sent)
    assert "Your paycheck plan for 2026" in page
    assert '<table class="paychecks">' in page
    assert '<th scope="row">26 June</th>' in page
    now = EXPECTED.now("your second job")
    assert now is not None
    assert f"defer {election_text(now.deferral, now.unit)}" in page
    assert 'value="paycheck"' not in page  # the offer gives way to the plan
