"""A property-based run over the OpenAPI document: hypothesis draws, for every documented
operation, valid and invalid values of every parameter it declares (from the schemas in the
document, so a new parameter is fuzzed without editing this file) and calls the WSGI app.
Never a 5xx; always a documented status, a JSON body, and an answer that matches its schema."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.schemas import (
    ErrorSchema,
    EventList,
    EventSchema,
    RelayList,
    RelaySchema,
    RequestStatisticsSchema,
)
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_admin import platform_id, signed_in
from tests.service.test_api import add_event, add_relay, bearer, make_token

SCHEMAS = {"Relay": RelaySchema, "Event": EventSchema, "RelayList": RelayList,
           "EventList": EventList, "RequestStatistics": RequestStatisticsSchema,
           "Error": ErrorSchema}

# Text a URL can carry (lone surrogates cannot be encoded by any client).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
GARBAGE = st.one_of(
    TEXT,
    st.sampled_from(["", " ", "null", "-1", "0", "1e9", "NaN", "true", "\x00", "%00", "9" * 30,
                     "2025-02-30", "0001-01-01", "9999-12-31", "<script>", "' OR 1=1 --"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def valid_values(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Values the schema accepts, as the strings a query string carries."""
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    kind = schema.get("type")
    if kind == "integer":
        low = schema.get("minimum", -(2**40))
        high = schema.get("maximum", 2**40)
        return st.integers(min_value=low, max_value=high).map(str)
    if kind == "boolean":
        return st.sampled_from(["true", "false", "1", "0", "True", "FALSE"])
    if kind == "string" and schema.get("format") == "date":
        return st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat)
    if kind == "string" and "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1,
                   max_size=schema.get("maxLength", 40))


def value_of(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    return st.one_of(valid_values(schema), GARBAGE)


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item["get"]) for path, item in document["paths"].items() if "get" in item]


def resolve(document: dict[str, Any], schema: Any) -> str | None:
    """The component name a response points at ("#/components/schemas/Relay" -> "Relay")."""
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    return ref.rsplit("/", 1)[-1] or None


@pytest.fixture
def api(app: Flask, launcher: LaunchHelper, platform: FakePlatform) -> tuple[FlaskClient, str,
                                                                              dict[str, Any]]:
    app.config["API_RATE_LIMIT"] = "1000000/minute"
    pid = platform_id(app, platform)
    add_relay(app, pid, "Centre social")
    add_relay(app, pid, "Fatima", kind="parent_ressource")
    add_event(app, pid, "Café des parents", datetime.now(UTC) + timedelta(days=1))
    from tests.service.test_admin import make_requests

    make_requests(app, pid, datetime.now(UTC))
    secret = make_token(app, signed_in(app, launcher, "admin"))
    client = https_client(app)
    document = client.get("/api/v1/openapi.json").get_json()
    return client, secret, document


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_makes_the_api_fail(api: tuple[FlaskClient, str, dict[str, Any]],
                                     data: st.DataObject) -> None:
    client, secret, document = api
    path, operation = data.draw(st.sampled_from(operations(document)), label="operation")
    url = path
    query: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path":
            raw = data.draw(st.one_of(valid_values(schema), GARBAGE), label=parameter["name"])
            url = url.replace("{" + parameter["name"] + "}", quote(raw, safe="") or "x")
        elif parameter["in"] == "query" and data.draw(st.booleans()):
            query[parameter["name"]] = data.draw(value_of(schema), label=parameter["name"])
    auth = data.draw(st.sampled_from(["good", "good", "good", "none", "bad"]), label="auth")
    headers = {"good": bearer(secret), "none": {},
               "bad": {"Authorization": "Bearer rls_" + "x" * 43}}[auth]

    response = client.get("/api/v1" + url, query_string=query, headers=headers)

    assert response.status_code < 500, (url, query, response.get_data(as_text=True)[:300])
    documented = set(operation["responses"]) | {"404"}  # an undecodable path is no route
    assert str(response.status_code) in documented, (url, query, response.status_code)
    body = response.get_json(silent=True)
    assert body is not None, (url, query, response.get_data(as_text=True)[:200])
    answer = operation["responses"].get(str(response.status_code), {})
    name = resolve(document, answer.get("content", {}).get("application/json", {})
                   .get("schema")) if response.status_code != 404 else "Error"
    if name:
        problems = SCHEMAS[name]().validate(body)
        assert problems == {}, (url, query, name, problems)
