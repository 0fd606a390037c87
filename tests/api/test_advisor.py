"""Advisor pages: accounts and their isolation, sign-in and sign-out, the shared intakes,
detail, exports, and /forget removing them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.advisor import (
    ANSWER_COLUMNS,
    EXPORT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    SESSION_COOKIE,
    LoginThrottle,
)
from api.app import create_app
from api.cli import main
from api.settings import get_settings
from tests.api.conftest import make_settings
from tests.support.answers import ONE_JOB
from tests.support.pages import csrf_of

TOKEN = "advisor-test-token"
# Married filing jointly, with a spouse whose own 401(k) takes after-tax money.
HOUSEHOLD = [*ONE_JOB[:10], "2", "300000", "0", "yes", "43", "1", "180000", "1", "yes", "yes"]
HOUSEHOLD += ["no", "max", "5000", "20000"]


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, advisor_token=SecretStr(TOKEN))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The ``megaroth`` command line on the same database as ``app_client``."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("USER_KEY_SECRET", "test-secret")
    monkeypatch.delenv("ADVISOR_TOKEN", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _add(cli: CliRunner, name: str, *codes: str) -> str:
    """Create an advisor with the command line; its sign-in token."""
    args = ["advisor", "add", name]
    for code in codes:
        args += ["--code", code]
    outcome = cli.invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    found = re.search(r"sign-in token.*: (\S+)$", outcome.output, re.MULTILINE)
    assert found, outcome.output
    for code in codes:
        assert f"/?advisor={code}" in outcome.output
    return found.group(1)


def _csrf(client: TestClient, path: str) -> str:
    return csrf_of(client.get(path).text)


def _finish(
    client: TestClient, advisor: str | None, consent: bool, answers: Sequence[str] = ONE_JOB
) -> str:
    body: dict[str, object] = {"consent_share": consent}
    if advisor:
        body["advisor_code"] = advisor
    cid: str = client.post("/v1/conversations", json=body).json()["id"]
    for text in answers:
        client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
    return cid


def _finish_on_web(client: TestClient) -> str:
    """A conversation finished in the web chat (ids are bound to their channel); its id."""
    csrf = _csrf(client, "/")
    client.post("/chat/start", data={"csrf": csrf})
    for text in ONE_JOB:
        client.post("/chat", data={"csrf": csrf, "text": text})
    cid = client.cookies.get("mr_conversation")
    assert cid
    return cid


def _login(client: TestClient, token: str = TOKEN) -> int:
    csrf = _csrf(client, "/advisor/login")
    return client.post("/advisor/login", data={"token": token, "csrf": csrf}).status_code


@pytest.mark.parametrize(
    "path", ["/advisor", "/advisor/export.csv", "/advisor/export.json", "/advisor/intakes/x"]
)
def test_nothing_is_served_without_signing_in(app_client: TestClient, path: str) -> None:
    response = app_client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/advisor/login"


def test_a_wrong_token_is_refused(app_client: TestClient) -> None:
    assert _login(app_client, "wrong") == 401
    assert app_client.get("/advisor").status_code == 303


def test_login_without_the_csrf_token_says_so(app_client: TestClient) -> None:
    app_client.get("/advisor/login")
    response = app_client.post("/advisor/login", data={"token": TOKEN, "csrf": "forged"})
    assert response.status_code == 403
    assert "form had expired" in response.text
    response = app_client.post("/advisor/login", data={"token": TOKEN})
    assert response.status_code == 403
    assert "form had expired" in response.text
    assert app_client.get("/advisor").status_code == 303, "not signed in"


def test_the_session_cookie_is_http_only_and_strict(app_client: TestClient) -> None:
    csrf = _csrf(app_client, "/advisor/login")
    response = app_client.post("/advisor/login", data={"token": TOKEN, "csrf": csrf})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie


def test_only_shared_intakes_are_listed_with_their_flags(app_client: TestClient) -> None:
    shared = _finish(app_client, "ACME1", consent=True)
    _finish(app_client, "ACME1", consent=False)
    _finish(app_client, None, consent=False)
    assert _login(app_client) == 303
    page = app_client.get("/advisor").text
    assert page.count('href="/advisor/intakes/') == 1
    assert "ACME1" in page
    assert '<td data-label="Verdict">Works</td>' in page, "the verdict in words"
    assert "$40,000" in page, "the amount as money"
    assert "ACP testing risk" in page
    intake_id = re.search(r'href="/advisor/intakes/([^"]+)"', page)
    assert intake_id
    detail = app_client.get(f"/advisor/intakes/{intake_id.group(1)}").text
    assert "Your job: pay" in detail, "every answer"
    assert "$150,000" in detail
    assert "How each figure was worked out" in detail, "the trace"
    assert "tax_year&#34;: 2026" in detail, "the scenario, escaped"
    assert shared not in page, "conversation ids stay internal"


def test_filters_and_exports(app_client: TestClient) -> None:
    _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    assert app_client.get("/advisor?verdict=unavailable").text.count('href="/advisor/intakes/') == 0
    response = app_client.get("/advisor/export.csv?verdict=available")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["verdict"] == "available"
    assert rows[0]["mega_backdoor_total"] == "40000.00"
    data = app_client.get("/advisor/export.json").json()
    assert data["intakes"][0]["result"]["mega_backdoor_total"] == 40000
    assert data["intakes"][0]["answers"]["age"] == 45


def test_the_csv_carries_every_answer_in_stable_columns(app_client: TestClient) -> None:
    _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    empty = app_client.get("/advisor/export.csv?verdict=unavailable").text
    header = empty.splitlines()[0].split(",")
    assert header == [*EXPORT_COLUMNS, *ANSWER_COLUMNS, *HOUSEHOLD_COLUMNS], "the same, no rows"
    (row,) = csv.DictReader(io.StringIO(app_client.get("/advisor/export.csv").text))
    assert row["answer.tax_year"] == "2026"
    assert row["answer.age"] == "45"
    assert row["answer.income"] == "A W-2 job"
    assert row["answer.job0.pay"] == "$150,000"
    assert row["answer.magi"] == "$140,000"
    assert row["answer.job1.pay"] == "", "a question never asked is empty"
    given = [k for k in ANSWER_COLUMNS if row[k]]
    assert len(given) >= len(ONE_JOB), "every answer given has its column"


@pytest.mark.parametrize(
    "query", ["since=2026-02-30", "until=yesterday", "since=2026-05-01&until=2026-04-01"]
)
def test_an_invalid_filter_date_is_an_error_not_everything(
    app_client: TestClient, query: str
) -> None:
    _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    page = app_client.get(f"/advisor?{query}")
    assert page.status_code == 400
    assert 'role="alert"' in page.text
    assert page.text.count('href="/advisor/intakes/') == 0, "not everything"
    export = app_client.get(f"/advisor/export.csv?{query}")
    assert export.status_code == 400
    assert "date" in export.text or "swap" in export.text


def test_a_persons_forget_removes_their_intake_from_the_advisor_view(
    app_client: TestClient,
) -> None:
    cid = _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    assert app_client.get("/advisor").text.count('href="/advisor/intakes/') == 1
    app_client.post(f"/v1/conversations/{cid}/answers", json={"command": "forget"})
    app_client.post(f"/v1/conversations/{cid}/answers", json={"text": "yes"})
    assert app_client.get("/advisor").text.count('href="/advisor/intakes/') == 0


def test_telegram_style_consent_question_is_asked_when_an_advisor_code_arrives(
    app_client: TestClient,
) -> None:
    body = app_client.post("/v1/conversations", json={}).json()
    assert body["question"]["id"] == "tax_year", "no advisor, no consent question"


def test_sign_in_is_throttled_after_repeated_failures(app_client: TestClient) -> None:
    codes = [_login(app_client, "wrong") for _ in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    csrf = _csrf(app_client, "/advisor/login")
    response = app_client.post("/advisor/login", data={"token": TOKEN, "csrf": csrf})
    assert response.status_code == 429, "even the right token waits out the window"
    assert int(response.headers["retry-after"]) > 0


def test_one_advisors_typos_do_not_lock_out_the_office(
    app_client: TestClient, cli: CliRunner
) -> None:
    ann = _add(cli, "Ann", "ANN1")
    ben = _add(cli, "Ben", "BEN1")
    typo = ann[:-3] + "xyz"
    assert [_login(app_client, typo) for _ in range(6)][-1] == 429
    assert _login(app_client, ann) == 429, "Ann waits out the window"
    assert _login(app_client, ben) == 303, "Ben, at the same address, signs in"


def test_the_lockout_counts_per_account_and_per_address() -> None:
    throttle = LoginThrottle(attempts=2, per_address=5)
    for _ in range(2):
        throttle.failed("10.0.0.1", "ann")
    assert throttle.retry_after("10.0.0.1", "ann") > 0
    assert throttle.retry_after("10.0.0.2", "ann") == 0, "Ann from elsewhere"
    assert throttle.retry_after("10.0.0.1", "ben") == 0, "Ben from the same office"
    for account in ("b", "c", "d"):
        throttle.failed("10.0.0.1", account)
    assert throttle.retry_after("10.0.0.1", "e") > 0, "an address trying many accounts stops"
    throttle.succeeded("10.0.0.2", "ann")
    assert throttle.retry_after("10.0.0.2", "zed") == 0


# --- accounts --------------------------------------------------------------------------------


def _listed(client: TestClient) -> int:
    return client.get("/advisor").text.count('href="/advisor/intakes/')


def _sign_out(client: TestClient) -> None:
    csrf = _csrf(client, "/advisor")
    assert client.post("/advisor/logout", data={"csrf": csrf}).status_code == 303


def test_each_advisor_sees_only_their_codes_and_the_administrator_sees_all(
    app_client: TestClient, cli: CliRunner
) -> None:
    ann = _add(cli, "Ann", "ANN1")
    ben = _add(cli, "Ben", "BEN1", "BEN2")
    _finish(app_client, "ANN1", consent=True)
    _finish(app_client, "BEN1", consent=True)
    _finish(app_client, "BEN2", consent=True)
    _finish(app_client, "BEN1", consent=False)
    _finish(app_client, "STRAY", consent=True)

    assert _login(app_client, ann) == 303
    page = app_client.get("/advisor").text
    assert "Signed in as <strong>Ann</strong>" in page
    assert _listed(app_client) == 1
    assert "BEN1" not in page.split("</div>", 1)[1]
    (row,) = csv.DictReader(io.StringIO(app_client.get("/advisor/export.csv").text))
    assert row["advisor_code"] == "ANN1"
    assert [
        i["advisor_code"] for i in app_client.get("/advisor/export.json").json()["intakes"]
    ] == ["ANN1"]
    _sign_out(app_client)

    assert _login(app_client, ben) == 303
    page = app_client.get("/advisor").text
    assert _listed(app_client) == 2
    ids = re.findall(r'href="/advisor/intakes/([^"]+)"', page)
    _sign_out(app_client)

    assert _login(app_client, ann) == 303
    assert app_client.get(f"/advisor/intakes/{ids[0]}").status_code == 404, "not Ann's"
    _sign_out(app_client)

    assert _login(app_client) == 303
    assert "administrator" in app_client.get("/advisor").text
    assert _listed(app_client) == 4, "every shared intake, a code without an account too"
    assert app_client.get(f"/advisor/intakes/{ids[0]}").status_code == 200


def test_sign_out_ends_the_session_on_the_server(app_client: TestClient) -> None:
    assert _login(app_client) == 303
    copied = app_client.cookies.get(SESSION_COOKIE, path="/advisor")
    assert copied
    assert app_client.get("/advisor").status_code == 200
    _sign_out(app_client)
    assert app_client.get("/advisor").status_code == 303
    app_client.cookies.set(SESSION_COOKIE, copied, path="/advisor")
    refused = app_client.get("/advisor")
    assert refused.status_code == 303, "a copied cookie is refused after sign-out"
    assert refused.headers["location"] == "/advisor/login"


def test_sign_out_without_the_csrf_token_says_so_and_keeps_the_session(
    app_client: TestClient,
) -> None:
    assert _login(app_client) == 303
    response = app_client.post("/advisor/logout", data={})
    assert response.status_code == 403
    assert "still signed in" in response.text
    assert app_client.get("/advisor").status_code == 200


def test_revoking_an_advisor_ends_their_sessions_and_token(
    app_client: TestClient, cli: CliRunner
) -> None:
    ann = _add(cli, "Ann", "ANN1")
    assert _login(app_client, ann) == 303
    assert app_client.get("/advisor").status_code == 200
    outcome = cli.invoke(main, ["advisor", "revoke", "Ann"])
    assert outcome.exit_code == 0, outcome.output
    assert app_client.get("/advisor").status_code == 303
    assert _login(app_client, ann) == 401
    listed = cli.invoke(main, ["advisor", "list"])
    assert "Ann\tANN1\trevoked" in listed.output
    again = cli.invoke(main, ["advisor", "revoke", "Ann"])
    assert again.exit_code == 2
    assert "no active advisor" in again.output


def test_the_command_line_refuses_taken_names_and_codes_and_bad_codes(cli: CliRunner) -> None:
    _add(cli, "Ann", "ANN1")
    for args, says in (
        (["Ann"], "exists already"),
        (["Ben", "--code", "ANN1"], "belongs to another advisor"),
        (["Ben", "--code", "no spaces"], "letters, digits"),
    ):
        outcome = cli.invoke(main, ["advisor", "add", *args])
        assert outcome.exit_code == 2
        assert says in outcome.output
    made = cli.invoke(main, ["advisor", "add", "Cleo Díaz"])
    assert made.exit_code == 0
    assert re.search(r"code: CLEODAZ-[0-9A-F]{4}", made.output), made.output


def test_an_edit_after_the_result_updates_the_one_intake(app_client: TestClient) -> None:
    cid = _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    assert _listed(app_client) == 1
    assert '<td data-label="Changed">—</td>' in app_client.get("/advisor").text
    client = app_client
    summary = client.get(f"/v1/conversations/{cid}").json()["summary"]
    number = next(item["number"] for item in summary if item["question_id"] == "age")
    reopened = client.post(f"/v1/conversations/{cid}/answers", json={"edit": number}).json()
    assert reopened["question"]["id"] == "age"
    done = client.post(f"/v1/conversations/{cid}/answers", json={"text": "46"}).json()
    assert done["status"] == "completed"
    page = app_client.get("/advisor").text
    assert _listed(app_client) == 1, "one row per conversation"
    assert '<td data-label="Changed">—</td>' not in page, "with a changed time"
    (row,) = csv.DictReader(io.StringIO(app_client.get("/advisor/export.csv").text))
    assert row["answer.age"] == "46"
    assert row["updated_at"] > row["created_at"]
    intake_id = re.search(r'href="/advisor/intakes/([^"]+)"', page)
    assert intake_id
    detail = app_client.get(f"/advisor/intakes/{intake_id.group(1)}").text
    assert "<strong>46</strong>" in detail


def test_an_advisor_link_opened_mid_conversation_asks_for_consent_there(
    app_client: TestClient,
) -> None:
    _finish_on_web(app_client)
    _login(app_client)
    assert _listed(app_client) == 0
    asked = app_client.get("/?advisor=ACME1")
    assert asked.status_code == 200
    assert "You came with the advisor code ACME1" in asked.text
    assert 'action="/chat/advisor"' in asked.text
    token = csrf_of(asked.text)
    forged = app_client.post(
        "/chat/advisor", data={"csrf": "forged", "advisor": "ACME1", "consent": "yes"}
    )
    assert forged.status_code == 403, "a forged answer is refused, and the question shown again"
    assert "ACME1" in forged.text
    assert _listed(app_client) == 0
    declined = app_client.post(
        "/chat/advisor", data={"csrf": token, "advisor": "ACME1", "consent": "no"}
    )
    assert declined.status_code == 303
    assert _listed(app_client) == 0, "no: nothing shared"
    agreed = app_client.post(
        "/chat/advisor", data={"csrf": token, "advisor": "ACME1", "consent": "yes"}
    )
    assert agreed.status_code == 303
    assert _listed(app_client) == 1, "yes: the finished conversation's result is shared"
    again = app_client.get("/?advisor=ACME1")
    assert "/chat/advisor" not in again.text, "asked once"


def test_a_household_intake_adds_the_spouse_columns_after_the_others(
    app_client: TestClient,
) -> None:
    _finish(app_client, "ACME1", consent=True)
    _finish(app_client, "ACME1", consent=True, answers=HOUSEHOLD)
    _login(app_client)
    text = app_client.get("/advisor/export.csv").text
    header = text.splitlines()[0].split(",")
    # The columns an export had before: first, in their order; the spouse's after them.
    before = [*EXPORT_COLUMNS, *(c for c in ANSWER_COLUMNS if not c.startswith("answer.spouse"))]
    assert header[: len(before)] == before
    spouse_columns = header[len(before) :]
    assert "answer.spouse.age" in spouse_columns
    assert spouse_columns[-len(HOUSEHOLD_COLUMNS) :] == list(HOUSEHOLD_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    (couple,) = [r for r in rows if r["answer.spouse"]]
    (alone,) = [r for r in rows if not r["answer.spouse"]]
    assert couple["answer.filing_status"] == "Married filing jointly"
    assert couple["answer.spouse"] == "Add my spouse"
    assert couple["answer.spouse.age"] == "43"
    assert couple["answer.spouse.job0.pay"] == "$180,000"
    assert couple["mega_backdoor_total"] == "40000.00", "the person's own, as before"
    assert couple["spouse.verdict"] == "available"
    assert couple["spouse.mega_backdoor_total"] == "42500.00"
    assert couple["household.mega_backdoor_total"] == "82500.00"
    assert couple["household.roth_ira_contribution_limit"] == "15000.00"
    assert all(alone[c] == "" for c in HOUSEHOLD_COLUMNS), "no spouse: empty"
    data = app_client.get("/advisor/export.json").json()
    (item,) = [i for i in data["intakes"] if "spouse" in i["scenario"]]
    assert item["result"]["household"]["mega_backdoor_total"] == 82500
    assert item["household.mega_backdoor_total"] == "82500.00"
    assert item["answers"]["spouse.age"] == 43
    page = app_client.get("/advisor").text
    ids = re.findall(r'href="/advisor/intakes/([^"]+)"', page)
    details = [app_client.get(f"/advisor/intakes/{i}").text for i in ids]
    (detail,) = [d for d in details if "Spouse&#39;s verdict" in d or "Spouse's verdict" in d]
    assert "Your spouse: age on 31 December: <strong>43</strong>" in detail
    assert "$82,500" in detail
