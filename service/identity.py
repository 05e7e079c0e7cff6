"""Who is using Relais right now: the launch context kept in the session.

The session cookie is signed and partitioned (see config); it holds only ids and the
audience, never a token. Every page names its audience with ``requires`` and every query
is scoped with ``current().platform_id``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import wraps
from typing import Any, TypeVar

from flask import session

from plugin.context import LaunchContext
from service.errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Identity:
    platform_id: int
    platform_name: str
    audience: str
    user_id: str | None
    display_name: str
    class_id: str | None
    class_title: str
    link_id: str | None
    children_ids: tuple[str, ...] = ()
    view: str | None = None

    def stored(self) -> dict[str, Any]:
        """What the session keeps: plain JSON values (``dataclasses.asdict`` deep-copies
        every field, a twentieth of a launch's CPU)."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values["children_ids"] = list(self.children_ids)
        return values


_FIELDS = tuple(f.name for f in fields(Identity))


# Ids are stored in columns of 255 characters; LTI allows longer ones. A longer id is kept
# as its hash: still unique and stable for that class or link, never truncated into another.
_MAX_ID = 255


def bounded_id(value: str | None) -> str | None:
    if value is None or len(value) <= _MAX_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def sign_in(platform_id: int, platform_name: str, ctx: LaunchContext) -> Identity:
    identity = Identity(
        platform_id=platform_id,
        platform_name=platform_name,
        audience=str(ctx.audience),
        user_id=ctx.user_id,
        display_name=ctx.display_name,
        class_id=bounded_id(ctx.class_id),
        class_title=ctx.class_title,
        link_id=bounded_id(ctx.link_id),
        children_ids=tuple(ctx.children_ids),
        view=ctx.view,
    )
    start_session(identity, fallback_lang=ctx.locale)
    return identity


def start_session(identity: Identity, *, fallback_lang: str | None = None,
                  **extra: Any) -> None:
    """A fresh session for ``identity`` (with ``extra`` keys beside it). A language the person
    chose themselves outlives the sign-in; else ``fallback_lang`` (the platform's)."""
    lang = session.get("lang") or fallback_lang
    session.clear()
    session.permanent = True
    session["who"] = identity.stored()
    session.update(extra)
    if lang:
        session["lang"] = lang


def current() -> Identity | None:
    data = session.get("who")
    if not isinstance(data, dict):
        return None
    try:
        data = {**data, "children_ids": tuple(data.get("children_ids") or ())}
        return Identity(**data)
    except TypeError:
        return None


def requires(*audiences: str) -> Callable[[F], F]:
    """Only these audiences may open the page: others get the 403 page, strangers the
    'session ended' page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = current()
            if who is None:
                raise ServiceError("session_missing", 401)
            if who.audience not in audiences:
                raise ServiceError("forbidden", 403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
