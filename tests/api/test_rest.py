"""The REST API: every endpoint, every error status, and a whole conversation over REST."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine import evaluate, parse_scenario
from engine.result import to_jsonable
from tests.support.answers import ONE_JOB

SCENARIO: dict[str, Any] = {
    "tax_year": 2024,
    "age": 40,
    "filing_status": "single",
    "jobs": [
        {
            "type": "employee",
            "compensation": 100000,
            "plan": {
                "type": "401k",
                "after_tax": "yes",
                "in_plan_conversion": "yes",
                "in_service_withdrawal": "no",
                "employee_deferrals": 23000,
                "employer_contributions": 5000,
            },
        }
    ],
}


def test_evaluate_returns_the_contract_result(client: TestClient) -> None:
    response = client.post("/v1/evaluate", json=SCENARIO)
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "available"
    assert body["plans"][0]["after_tax_room"] == 41000
    assert body == to_jsonable(evaluate(parse_scenario(SCENARIO)).to_dict())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age": 300}, "age"),
        ({"tax_year": 2027}, "tax_year"),
        ({"surprise": 1}, "surprise"),
        ({"jobs": []}, "jobs"),
    ],
)
def test_evaluate_refuses_bad_input_naming_the_field(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/evaluate", json={**SCENARIO, **change})
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"]


def test_evaluate_refuses_negative_money(client: TestClient) -> None:
    scenario = {**SCENARIO, "jobs": [{**SCENARIO["jobs"][0], "compensation": -1}]}
    response = client.post("/v1/evaluate", json=scenario)
    assert response.status_code == 422
    assert response.json() == {"detail": "must not be negative", "field": "jobs[0].compensation"}


def test_evaluate_refuses_a_body_that_is_not_an_object(client: TestClient) -> None:
    response = client.post("/v1/evaluate", json=[1, 2])
    assert response.status_code == 422


def _start(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/conversations", json={})
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def test_a_whole_conversation_over_rest(client: TestClient) -> None:
    body = _start(client)
    cid = body["id"]
    assert body["question"]["id"] == "tax_year"
    assert [c["value"] for c in body["question"]["choices"]] == ["2026", "2025", "2024"]
    for text in ONE_JOB:
        response = client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
        assert response.status_code == 200
        body = response.json()
    assert body["question"] is None
    assert body["status"] == "completed"
    result = body["result"]
    assert result["verdict"] == "available"
    assert result["mega_backdoor_total"] == 40000
    assert any(m["kind"] == "result" for m in body["messages"])
    state = client.get(f"/v1/conversations/{cid}").json()
    assert state["result"] == result
    assert len(state["summary"]) == len(ONE_JOB)


def test_a_tap_and_a_wrong_answer(client: TestClient) -> None:
    cid = _start(client)["id"]
    tapped = client.post(
        f"/v1/conversations/{cid}/answers",
        json={"choice": {"question_id": "tax_year", "value": "2025"}},
    ).json()
    assert tapped["question"]["id"] == "age"
    wrong = client.post(f"/v1/conversations/{cid}/answers", json={"text": "300"}).json()
    assert wrong["question"]["id"] == "age"
    assert wrong["messages"][0]["kind"] == "problem"
    assert "between 14 and 120" in wrong["messages"][0]["text"]
    assert wrong["summary"][0]["answer"] == "2025", "nothing answered is lost"


def test_back_and_edit(client: TestClient) -> None:
    cid = _start(client)["id"]
    for text in ONE_JOB[:3]:
        client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
    back = client.post(f"/v1/conversations/{cid}/answers", json={"command": "back"}).json()
    assert back["question"]["id"] == "income"
    assert back["question"]["current"] == "A W-2 job"
    client.post(f"/v1/conversations/{cid}/answers", json={"text": "same"})
    edit = client.post(f"/v1/conversations/{cid}/answers", json={"edit": 2}).json()
    assert edit["question"]["id"] == "age"
    after = client.post(f"/v1/conversations/{cid}/answers", json={"text": "61"}).json()
    assert after["question"]["id"] == "job0.pay", "back to the first unanswered question"


def test_answer_body_must_hold_exactly_one_thing(client: TestClient) -> None:
    cid = _start(client)["id"]
    response = client.post(
        f"/v1/conversations/{cid}/answers", json={"text": "1", "command": "back"}
    )
    assert response.status_code == 422
    assert "exactly one" in response.json()["detail"]
    response = client.post(f"/v1/conversations/{cid}/answers", json={"command": "dance"})
    assert response.status_code == 422
    assert response.json()["field"] == "command"


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert client.get("/v1/conversations/nope").status_code == 404
    assert client.post("/v1/conversations/nope/answers", json={"text": "1"}).status_code == 404
    assert client.delete("/v1/conversations/nope").status_code == 404
    assert client.get("/v1/conversations/nope").json()["detail"] == "no conversation with that id"


def test_delete_removes_the_conversation(client: TestClient) -> None:
    cid = _start(client)["id"]
    assert client.delete(f"/v1/conversations/{cid}").status_code == 204
    assert client.get(f"/v1/conversations/{cid}").status_code == 404


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "telegram": "off"}


def test_the_openapi_document_validates_and_has_examples(client: TestClient) -> None:
    from openapi_spec_validator import validate

    document = client.get("/openapi.json").json()
    validate(document)
    paths = document["paths"]
    for path in (
        "/v1/evaluate",
        "/v1/conversations",
        "/v1/conversations/{conversation_id}/answers",
    ):
        assert path in paths
    assert "examples" in str(paths["/v1/evaluate"]["post"]["requestBody"])


def test_money_in_results_is_exact(client: TestClient) -> None:
    scenario = {**SCENARIO, "jobs": [{**SCENARIO["jobs"][0], "compensation": 65000.55}]}
    body = client.post("/v1/evaluate", json=scenario).json()
    assert Decimal(str(body["plans"][0]["compensation"])) == Decimal("65000.55")


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/healthz", "/openapi.json", "/docs"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"


def test_docs_are_served_by_the_app_itself(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in page
    assert "http" not in page.replace("http-equiv", ""), "nothing from outside the app"
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_a_request_body_over_the_cap_is_refused(client: TestClient) -> None:
    response = client.post("/v1/evaluate", content=b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert response.status_code == 413


def test_metrics_count_requests_and_conversations_without_personal_data(client: TestClient) -> None:
    cid = _start(client)["id"]
    for text in ONE_JOB:
        client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
    text = client.get("/metrics").text
    assert "megaroth_http_requests_total" in text
    assert 'megaroth_conversations_completed_total{channel="api"}' in text
    assert 'route="/v1/conversations/{conversation_id}/answers"' in text
    assert cid not in text, "no ids in labels"
    assert "150000" not in text, "no amounts"


# --- bodies: not JSON, unknown fields, amounts ------------------------------------------------

ENDPOINTS = ["/v1/evaluate", "/v1/conversations", "/v1/conversations/{cid}/answers"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("body", "media"),
    [
        (b"not json", "application/json"),
        (b'{"text": ', "application/json"),
        (b'{"text": "2026"}', "text/plain"),
        (b"text=2026", "application/x-www-form-urlencoded"),
        (b"\xff\xfe{}", "application/json"),
    ],
)
def test_a_body_that_is_not_json_is_400_as_the_spec_says(
    client: TestClient, path: str, body: bytes, media: str
) -> None:
    url = path.format(cid=_start(client)["id"])
    response = client.post(url, content=body, headers={"content-type": media})
    assert response.status_code == 400, response.text
    assert "not JSON" in response.json()["detail"]
    assert response.json()["field"] is None
    spec = client.get("/openapi.json").json()["paths"][path.replace("{cid}", "{conversation_id}")]
    assert "400" in spec["post"]["responses"], "the spec promises it"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/evaluate", {**SCENARIO, "surprise": 1}, "surprise"),
        ("/v1/conversations", {"consent_share": True, "surprise": 1}, "surprise"),
        ("/v1/conversations/{cid}/answers", {"text": "2026", "surprise": 1}, "surprise"),
        (
            "/v1/conversations/{cid}/answers",
            {"choice": {"question_id": "tax_year", "value": "2026", "surprise": 1}},
            "choice.surprise",
        ),
    ],
)
def test_unknown_fields_are_refused_the_same_way_everywhere(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path.format(cid=_start(client)["id"]), json=body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith("unknown field; the fields here are ")


def test_an_empty_body_where_one_is_needed_is_400(client: TestClient) -> None:
    cid = _start(client)["id"]
    for path in ("/v1/evaluate", f"/v1/conversations/{cid}/answers"):
        response = client.post(path, content=b"", headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert "empty" in response.json()["detail"]
    assert client.post("/v1/conversations").status_code == 201, "starting needs no body"


def test_amounts_have_the_same_bounds_in_rest_as_in_the_chat(client: TestClient) -> None:
    from conversations.parsing import LARGEST_AMOUNT

    def evaluate_pay(amount: Decimal) -> int:
        job = {**SCENARIO["jobs"][0], "compensation": str(amount)}
        body = json.dumps({**SCENARIO, "jobs": [job]}).replace(f'"{amount}"', str(amount))
        return client.post(
            "/v1/evaluate", content=body, headers={"content-type": "application/json"}
        ).status_code

    def chat_pay(amount: Decimal) -> str:
        cid = _start(client)["id"]
        for text in ONE_JOB[:3]:
            client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
        body = client.post(f"/v1/conversations/{cid}/answers", json={"text": f"{amount}"}).json()
        question: str = body["question"]["id"]
        return question

    top = LARGEST_AMOUNT
    above = top + Decimal("0.01")
    assert evaluate_pay(top) == 200
    assert chat_pay(top) != "job0.pay", "the chat takes the largest amount too"
    assert evaluate_pay(above) == 422
    assert chat_pay(above) == "job0.pay", "and refuses a cent more, as REST does"
    assert evaluate_pay(Decimal("65000.555")) == 422
    assert chat_pay(Decimal("65000.555")) == "job0.pay"


# Married filing jointly: both spouses' W-2 plans take after-tax money.
HOUSEHOLD = [*ONE_JOB[:10], "2", "300000", "0"]
SPOUSE = ["43", "1", "180000", "1", "yes", "yes", "no", "max", "5000", "20000"]


def test_a_household_over_rest_and_single_drops_the_spouse(client: TestClient) -> None:
    cid = _start(client)["id"]
    for text in HOUSEHOLD:
        body = client.post(f"/v1/conversations/{cid}/answers", json={"text": text}).json()
    assert body["question"]["id"] == "spouse"
    assert [c["value"] for c in body["question"]["choices"]] == ["yes", "no"]
    tap = {"choice": {"question_id": "spouse", "value": "yes"}}
    body = client.post(f"/v1/conversations/{cid}/answers", json=tap).json()
    assert body["question"]["id"] == "spouse.age"
    for text in SPOUSE:
        body = client.post(f"/v1/conversations/{cid}/answers", json={"text": text}).json()
    assert body["status"] == "completed"
    result = body["result"]
    assert result["mega_backdoor_total"] == 40000
    assert result["spouse"]["mega_backdoor_total"] == 42500
    assert result["household"]["mega_backdoor_total"] == 82500
    text = next(m["text"] for m in body["messages"] if m["kind"] == "result")
    assert "Mega Backdoor Roth for both of you: $82,500" in text
    labels = {item["question_id"]: item for item in body["summary"]}
    assert labels["spouse.age"]["label"] == "Your spouse: age on 31 December"
    # Filing status to single, by its number in the summary: the spouse's answers go.
    number = labels["filing_status"]["number"]
    client.post(f"/v1/conversations/{cid}/answers", json={"edit": number})
    body = client.post(f"/v1/conversations/{cid}/answers", json={"text": "single"}).json()
    assert body["status"] == "completed"
    assert "spouse" not in body["result"]
    assert not [i for i in body["summary"] if i["question_id"].startswith("spouse")]
    assert len(body["summary"]) == len(HOUSEHOLD)
