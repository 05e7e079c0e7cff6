"""The OpenAPI 3 document of ``/api/v1``, built by apispec from the marshmallow schemas the
views use, so the document cannot drift from what is validated and answered."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from service.api.schemas import (
    ErrorSchema,
    EventList,
    EventQuery,
    EventSchema,
    RelayList,
    RelayQuery,
    RelaySchema,
    RequestStatisticsSchema,
    StatisticsQuery,
)

_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}


def _errors(*statuses: int) -> dict[str, Any]:
    said = {400: "A query parameter is not valid (see fields).",
            401: "No token, or an unknown or revoked one.",
            404: "Not found, or not this token's platform's.",
            429: "Too many calls with this token."}
    return {str(s): {"description": said[s],
                     "content": {"application/json": {"schema": "Error"}}} for s in statuses}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": schema}}}}


def build(base_url: str) -> dict[str, Any]:
    spec = APISpec(
        title="Relais API",
        version="1",
        openapi_version="3.0.3",
        info={"description": (
            "Relays, events and help-request statistics of one platform, for the platform's "
            "own systems. Every call needs a token made by one of the platform's admins on "
            "/admin/jetons: `Authorization: Bearer rls_…`. Nothing here names a parent.")},
        servers=[{"url": base_url.rstrip("/") + "/api/v1"}],
        plugins=[MarshmallowPlugin()],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in (("Relay", RelaySchema), ("Event", EventSchema),
                         ("RelayList", RelayList), ("EventList", EventList),
                         ("RequestStatistics", RequestStatisticsSchema),
                         ("Error", ErrorSchema)):
        spec.components.schema(name, schema=schema)
    secured: dict[str, Any] = {"security": [{"bearer": []}]}
    spec.path(path="/relays", operations={"get": {
        "operationId": "listRelays", "summary": "The platform's relays (people and places that "
        "help), by name.", "parameters": [{"in": "query", "schema": RelayQuery}],
        "responses": {**_ok("RelayList", "A page of relays."), **_errors(400, 401, 429)},
        **secured}})
    spec.path(path="/relays/{relay_id}", operations={"get": {
        "operationId": "getRelay", "summary": "One relay.",
        "parameters": [{"in": "path", "name": "relay_id", "required": True, "schema": _ID}],
        "responses": {**_ok("Relay", "The relay."), **_errors(401, 404, 429)}, **secured}})
    spec.path(path="/events", operations={"get": {
        "operationId": "listEvents", "summary": "The platform's events not yet over (or from "
        "a day), soonest first; class events included, with their class id.",
        "parameters": [{"in": "query", "schema": EventQuery}],
        "responses": {**_ok("EventList", "A page of events."), **_errors(400, 401, 429)},
        **secured}})
    spec.path(path="/events/{event_id}", operations={"get": {
        "operationId": "getEvent", "summary": "One event.",
        "parameters": [{"in": "path", "name": "event_id", "required": True, "schema": _ID}],
        "responses": {**_ok("Event", "The event."), **_errors(401, 404, 429)}, **secured}})
    spec.path(path="/statistics/requests", operations={"get": {
        "operationId": "requestStatistics", "summary": "Help requests made in a period: "
        "counts and median delays, nobody named.",
        "parameters": [{"in": "query", "schema": StatisticsQuery}],
        "responses": {**_ok("RequestStatistics", "The figures."), **_errors(400, 401, 429)},
        **secured}})
    return spec.to_dict()


def document(app: Flask) -> dict[str, Any]:
    """The document, built once per app."""
    found = app.extensions.get("relais_openapi")
    if found is None:
        found = build(str(app.config["BASE_URL"]))
        app.extensions["relais_openapi"] = found
    return dict(found)
