"""``/api/v1``: relays, events and request statistics of the token's platform, as JSON.

Every call but the OpenAPI document needs ``Authorization: Bearer <token>`` (a token an admin
made on /admin/jetons); the token names the platform, and every query is scoped to it. Errors
are JSON too (``{"error": code, "message": ...}``), with the status the code implies; an
object of another platform is a 404, like one that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from service import db
from service.admin.statistics import request_statistics
from service.api import openapi, tokens
from service.api.schemas import (
    EventQuery,
    EventSchema,
    RelayQuery,
    RelaySchema,
    RequestStatisticsSchema,
    StatisticsQuery,
)
from service.directory.models import Relay
from service.directory.search import commune_key
from service.errors import ServiceError, error_page
from service.events.models import Event
from service.privacy.models import as_utc, utcnow
from service.ratelimit import limited

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


F = TypeVar("F", bound=Callable[..., Any])
MAX_ID = 2**31 - 1  # beyond the database's integers an id is as unknown as any other

MESSAGES = {
    "token_missing": "Send the platform's API token: Authorization: Bearer <token>.",
    "token_invalid": "This token is unknown or revoked.",
    "invalid_query": "Some query parameters are not valid; see fields.",
    "not_found": "Nothing here, or not for this token's platform.",
    "method_not_allowed": "This path answers GET only.",
    "too_many_requests": "Too many calls with this token; slow down.",
    "server_error": "Something went wrong on our side.",
}


def error(code: str, status: int, fields: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"error": code, "message": MESSAGES.get(code, code)}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="relais"'
    return response


def _token_key() -> str:
    header = request.headers.get("Authorization", "")
    return "api:" + tokens._hash(header) if header else "api-ip:" + (request.remote_addr or "")


api_limit = limited("API_RATE_LIMIT", key=_token_key)


def token_required(view: F) -> F:
    """The token's platform goes in ``g.api_platform_id``; no token, or a bad one, is a 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization")
        if not header:
            return error("token_missing", 401)
        token = tokens.authenticate(db.session(), header)
        if token is None:
            return error("token_invalid", 401)
        g.api_platform_id = token.platform_id
        return view(*args, **kwargs)

    return api_limit(wrapper)  # type: ignore[return-value]


def _query(schema: Schema) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(request.args.to_dict())
        return loaded
    except ValidationError as invalid:
        messages = invalid.messages if isinstance(invalid.messages, dict) else {}
        raise _InvalidQuery({str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                             for k, v in messages.items()}) from invalid


class _InvalidQuery(Exception):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("invalid query")
        self.fields = fields


@bp.errorhandler(_InvalidQuery)
def _invalid(exc: _InvalidQuery) -> Response:
    return error("invalid_query", 400, exc.fields)


@bp.errorhandler(ServiceError)
def _service(exc: ServiceError) -> Response:
    return error(exc.code if exc.code in MESSAGES else "not_found", exc.status)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = {404: "not_found", 405: "method_not_allowed", 429: "too_many_requests"}.get(
        status, "invalid_query" if 400 <= status < 500 else "server_error")
    return error(code, status)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("API error")
    return error("server_error", 500)


def _page(query: Any, options: dict[str, Any]) -> tuple[list[Any], int]:
    session = db.session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(options["per_page"])
                           .offset((options["page"] - 1) * options["per_page"])).all()
    return list(rows), int(total or 0)


# --- relays ------------------------------------------------------------------------------------


def _relay(relay: Relay) -> dict[str, Any]:
    data: dict[str, Any] = RelaySchema().dump(relay)
    if relay.kind == "parent_ressource":
        data["phone"] = data["email"] = None
    data["updated_at"] = as_utc(relay.updated_at).isoformat() if relay.updated_at else None
    return data


@bp.get("/relays", merge_slashes=False)
@token_required
def relays() -> Response:
    options = _query(RelayQuery())
    query = select(Relay).where(Relay.platform_id == g.api_platform_id,
                                Relay.active == options["active"])
    if "kind" in options:
        query = query.where(Relay.kind == options["kind"])
    if "postcode" in options:
        query = query.where(Relay.postcode == options["postcode"])
    if "commune" in options:
        query = query.where(Relay.commune_key == commune_key(options["commune"]))
    rows, total = _page(query.order_by(Relay.name, Relay.id), options)
    return jsonify({"items": [_relay(r) for r in rows], "page": options["page"],
                    "per_page": options["per_page"], "total": total})


@bp.get("/relays/<int:relay_id>", merge_slashes=False)
@token_required
def relay(relay_id: int) -> Response:
    if relay_id > MAX_ID:
        return error("not_found", 404)
    found = db.session().scalar(select(Relay).where(Relay.platform_id == g.api_platform_id,
                                                    Relay.id == relay_id))
    if found is None:
        return error("not_found", 404)
    return jsonify(_relay(found))


# --- events ------------------------------------------------------------------------------------


def _event(event: Event) -> dict[str, Any]:
    data: dict[str, Any] = EventSchema().dump(event)
    data["starts_at"] = as_utc(event.starts_at).isoformat()
    data["ends_at"] = as_utc(event.ends_at).isoformat()
    return data


def _start_of(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@bp.get("/events", merge_slashes=False)
@token_required
def events() -> Response:
    options = _query(EventQuery())
    since = _start_of(options["from_"]) if "from_" in options else utcnow()
    query = select(Event).where(Event.platform_id == g.api_platform_id, Event.ends_at >= since)
    if "to" in options:
        query = query.where(Event.starts_at < _start_of(options["to"]) + timedelta(days=1))
    if "school_id" in options:
        query = query.where(Event.school_id == options["school_id"])
    rows, total = _page(query.order_by(Event.starts_at, Event.id), options)
    return jsonify({"items": [_event(e) for e in rows], "page": options["page"],
                    "per_page": options["per_page"], "total": total})


@bp.get("/events/<int:event_id>", merge_slashes=False)
@token_required
def event(event_id: int) -> Response:
    if event_id > MAX_ID:
        return error("not_found", 404)
    found = db.session().scalar(select(Event).where(Event.platform_id == g.api_platform_id,
                                                    Event.id == event_id))
    if found is None:
        return error("not_found", 404)
    return jsonify(_event(found))


# --- statistics --------------------------------------------------------------------------------


@bp.get("/statistics/requests", merge_slashes=False)
@token_required
def statistics() -> Response:
    options = _query(StatisticsQuery())
    today = utcnow().date()
    last = options.get("to") or today
    first = options.get("from_") or last - timedelta(days=29)
    stats = request_statistics(db.session(), g.api_platform_id, _start_of(first),
                               _start_of(last) + timedelta(days=1),
                               school_id=options.get("school_id"))
    data = RequestStatisticsSchema().dump(stats)
    data["since"], data["until"] = stats.since.isoformat(), stats.until.isoformat()
    return jsonify(data)


# --- the document, and everything else under /api/v1 -------------------------------------------


@bp.get("/openapi.json", merge_slashes=False)
def openapi_document() -> Response:
    response = jsonify(openapi.document(current_app))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _no_route(exc: HTTPException) -> Any:
    """Paths and methods no route answers: JSON under /api/, the usual page elsewhere (these
    handlers are the app's for 404 and 405, so they hand every other path back)."""
    if request.path.startswith(bp.url_prefix or "/api/v1"):
        return _http(exc)
    return error_page("not_found" if exc.code == 404 else "method_not_allowed", exc.code or 404)


def document_paths() -> list[tuple[str, str]]:
    """(path, endpoint) of the documented operations, for the OpenAPI builder and tests."""
    return [("/relays", "api.relays"), ("/relays/{relay_id}", "api.relay"),
            ("/events", "api.events"), ("/events/{event_id}", "api.event"),
            ("/statistics/requests", "api.statistics")]
