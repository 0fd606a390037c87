"""Schemathesis against the app's own OpenAPI document, in-process (ASGI), on a SQLite file of
its own with the lifespan running: every operation, with data that fits the document (positive)
and data that breaks it (negative), and never a 5xx.

Checks run on every response (schemathesis 4):

- ``not_a_server_error``: no 5xx, whatever is sent.
- ``status_code_conformance``: every status is one the document lists for the operation.
- ``content_type_conformance``: the body is of the media type the document gives.
- ``response_schema_conformance``: the body matches the documented schema.
- ``response_headers_conformance``: documented headers are present and valid.
- ``missing_required_header``: refused, not served.

Left out, on purpose:

- ``negative_data_rejection``: the request models are pydantic's lax mode (FastAPI's default),
  which takes values the document's JSON Schema calls wrong when they convert without loss:
  ``0`` or ``"false"`` for a boolean, ``"3"`` for an integer. Such data is still sent (negative
  mode), and must still never be a 5xx.

- ``positive_data_acceptance``: valid-by-the-document data is not always accepted, by design.
  A conversation id that fits the path's ``string`` is 404 unless that conversation exists, and
  ``POST /v1/evaluate`` documents its body as any object while the contract (docs/CONTRACT.md, a
  schema far richer than OpenAPI can hold here) refuses most objects with a 422 naming the field.
- ``use_after_free``, ``ensure_resource_availability``: stateful checks, for links between
  operations; the document declares none, and ``test_a_live_conversation_takes_anything`` below
  drives one real conversation instead.
- ``ignored_auth``: no operation in the document needs authentication.
- ``max_response_time``: no timed tests.

Rate limits are turned off here (``rate_limit_*_per_minute=0``): a 429 with Retry-After is how
the API answers a flood, not a failure, and it is tested where the limits are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi import checks as openapi_checks

from api.app import create_app
from tests.api.conftest import make_settings

NO_LIMITS: dict[str, Any] = {
    "rate_limit_address_per_minute": 0,
    "rate_limit_conversation_per_minute": 0,
}
EXAMPLES = 25


CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
]

# The document is the app's own; building it needs no database (nothing is created at the path
# below: the database is opened by the lifespan only).
DOCUMENT = create_app(make_settings(Path("/nonexistent/openapi-only"), **NO_LIMITS)).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    deterministic=True,
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _client(app: FastAPI) -> schemathesis_asgi.ASGIClient:
    """Schemathesis' in-process client for ``app`` (``with`` it to start the lifespan)."""
    return schemathesis_asgi.get_client(cast(Any, app))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app on its own SQLite file, its lifespan started by schemathesis' ASGI client (it
    stays up for the module) and shut down (database closed) at the end."""
    served = create_app(make_settings(tmp_path_factory.mktemp("openapi-fuzz"), **NO_LIMITS))
    try:
        with _client(served) as client:
            assert client.get("/healthz").json()["database"] == "ok"
        yield served
    finally:
        schemathesis_asgi.shutdown_lifespans()


def _call(case: Any, app: FastAPI) -> None:
    response = case.call(app=app)
    assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
    case.validate_response(response, checks=CHECKS)


def test_the_document_lists_every_operation() -> None:
    """The operations fuzzed below: a new one is fuzzed too, and this list says so."""
    operations = {
        f"{method.upper()} {path}"
        for path, methods in DOCUMENT["paths"].items()
        for method in methods
    }
    assert operations == {
        "POST /v1/evaluate",
        "POST /v1/conversations",
        "POST /v1/conversations/{conversation_id}/answers",
        "GET /v1/conversations/{conversation_id}",
        "DELETE /v1/conversations/{conversation_id}",
        "GET /healthz",
    }


@schema.parametrize()
@FUZZ
def test_every_operation_never_answers_5xx(case: Any, app: FastAPI) -> None:
    _call(case, app)


def _start(app: FastAPI) -> str:
    with _client(app) as client:
        response = client.post("/v1/conversations", json={})
    assert response.status_code == 201, response.text
    conversation: str = response.json()["id"]
    return conversation


@pytest.mark.parametrize(
    ("path", "method", "mode"),
    [
        ("/v1/conversations/{conversation_id}/answers", "POST", GenerationMode.POSITIVE),
        ("/v1/conversations/{conversation_id}/answers", "POST", GenerationMode.NEGATIVE),
        ("/v1/conversations/{conversation_id}", "GET", GenerationMode.POSITIVE),
        ("/v1/conversations/{conversation_id}", "DELETE", GenerationMode.POSITIVE),
    ],
    # GET and DELETE have nothing but the id to break, and the id is the live one.
    ids=["answer-positive", "answer-negative", "get", "delete"],
)
@FUZZ
@given(data=st.data())
def test_a_live_conversation_takes_anything(
    app: FastAPI, path: str, method: str, mode: GenerationMode, data: st.DataObject
) -> None:
    """The same operations on a conversation that exists (a random id is only ever a 404):
    whatever is sent to it, never a 5xx, and every answer matches the document."""
    conversation = _start(app)
    operation = schema[path][method]
    strategy = operation.as_strategy(mode, path_parameters={"conversation_id": conversation})
    case = data.draw(strategy)
    _call(case, app)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("int_5000_digits", b'{"tax_year": ' + b"9" * 5000 + b"}"),
        ("magi_5000_digits", b'{"magi": ' + b"9" * 5000 + b"}"),
        ("nan_literal", b'{"tax_year": 2026, "age": NaN}'),
        ("infinity_literal", b'{"tax_year": 2026, "age": 45, "magi": Infinity}'),
        ("float_overflow", b'{"tax_year": 2026, "age": 45, "magi": 1e999}'),
        ("deep_nesting", b'{"jobs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("lone_surrogate", b'{"filing_status": "\\ud800"}'),
        ("not_utf8", b'{"filing_status": "\xff\xfe"}'),
        ("nul_key", b'{"\\u0000": 1}'),
        ("duplicate_keys", b'{"age": 45, "age": "x"}'),
        ("array", b"[1, 2]"),
        ("string", b'"scenario"'),
        ("number", b"12"),
        ("null", b"null"),
        ("empty", b""),
        ("not_json", b"tax_year=2026"),
    ],
)
def test_hostile_scenario_bodies_are_refused_not_crashed(
    app: FastAPI, name: str, body: bytes
) -> None:
    """Bodies no generator writes: each is refused with a 4xx that says what is wrong."""
    with _client(app) as client:
        response = client.post(
            "/v1/evaluate", data=body, headers={"content-type": "application/json"}
        )
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
    detail = response.json()["detail"]
    assert detail, name
