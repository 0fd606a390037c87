"""Inputs the fuzzing found that once crashed or misbehaved, kept as named cases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conversations.flow import Incoming, State, step
from tests.api.test_hostile_webhook import A, B, Webhook, message, tap, webhook  # noqa: F401


@pytest.mark.parametrize("text", ["²", "①", "edit ²", "edit ①"])
def test_digits_int_cannot_read_are_refused_not_crashed(text: str) -> None:
    """str.isdigit() is True for "²" and "①", which int() cannot read."""
    state = State()
    step(state, Incoming(command="start"))
    outcome = step(state, Incoming(text=text))
    assert outcome.replies


def test_rest_answer_with_a_superscript_digit_is_not_a_500(client: TestClient) -> None:
    cid = client.post("/v1/conversations", json={}).json()["id"]
    response = client.post(f"/v1/conversations/{cid}/answers", json={"text": "²"})
    assert response.status_code == 200


def test_a_tap_by_someone_else_on_a_message_in_another_persons_chat(webhook: Webhook) -> None:  # noqa: F811
    """B's forged tap on a message in A's private chat runs B's conversation and sends
    B's replies into A's chat (and removes A's buttons)."""
    before = webhook.state_of(A)
    response = webhook.update(tap("a|age|45", chat=A, by=B, message_id=webhook.prompt))
    assert response.status_code == 200
    assert webhook.state_of(A) == before
    assert webhook.state_of(B) is None, "a conversation was made for B"
    assert webhook.sent(A) == [], "B's tap made the bot write into A's chat"


@pytest.mark.parametrize("update_id", [2**63, 2**70])
def test_an_update_id_beyond_64_bits_is_ignored(webhook: Webhook, update_id: int) -> None:  # noqa: F811
    """An update_id outside BIGINT fails the processed_update insert; the error handler
    then tells the person "Sorry, something went wrong"."""
    rows = webhook.rows()
    response = webhook.update({**message("45"), "update_id": update_id})
    assert response.status_code == 200
    assert webhook.rows() == rows
    assert webhook.sent() == []


def test_edit_superscript_on_telegram_is_not_an_error(webhook: Webhook) -> None:  # noqa: F811
    webhook.update(message("edit ²"))
    assert not any("went wrong" in t for t in webhook.sent(A))


def test_405_carries_the_allow_header(client: TestClient) -> None:
    """The handler for HTTP errors keeps their headers."""
    response = client.request("TRACE", "/healthz")
    assert response.status_code == 405
    assert "allow" in response.headers


def test_a_new_person_with_an_advisor_code_is_welcomed_not_welcomed_back(
    client: TestClient,
) -> None:
    """The advisor link's answers make the first /start say "Welcome back"."""
    body = client.post(
        "/v1/conversations", json={"advisor_code": "ADV-1", "consent_share": True}
    ).json()
    assert not any("Welcome back" in m["text"] for m in body["messages"])
