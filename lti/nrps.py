"""Names and Role Provisioning Services 2.0: who is in a class, read from the platform.

The roster is read whole: the platform pages it with ``Link: <...>; rel="next"`` headers and
every page is followed, within bounds (pages, members, and one time budget for the whole read,
the token included), so a slow or endless platform cannot hold a worker. The bearer token is
only ever sent to the origin of the memberships URL the signed launch gave: a ``next`` link to
another origin ends the read rather than leak the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lti.errors import (
    MembershipsInvalid,
    MembershipsRefused,
    PlatformUnreachable,
)
from lti.http import HttpClient, HttpResponse
from lti.keys import ToolKeySet
from lti.registration import Clock, PlatformRegistration
from lti.service_token import SCOPE_NRPS, ServiceTokens
from lti.tool import origin

__all__ = [
    "MEDIA_TYPE",
    "ROLE_LEARNER",
    "Member",
    "Roster",
    "fetch_roster",
    "next_link",
]

MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"

_MAX_STR = 512  # a name or an id longer than this is cut: it is shown, never trusted


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the class. Only what a teacher's page shows is kept (no email, no
    picture): the roster is read for a page and forgotten."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str = ""
    given_name: str = ""
    family_name: str = ""

    @property
    def active(self) -> bool:
        return self.status.casefold() == "active"

    @property
    def learner(self) -> bool:
        """Whether one of the roles is Learner (full URI, context role or short name)."""
        return any(role.rsplit("#", 1)[-1].rsplit("/", 1)[-1] == "Learner" for role in self.roles)


@dataclass(frozen=True, slots=True)
class Roster:
    """The members read. ``complete`` is False when a bound stopped the read early."""

    members: tuple[Member, ...]
    complete: bool = True
    pages: int = 1


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def next_link(headers: Mapping[str, str], base: str) -> str | None:
    """The absolute ``rel="next"`` URL of a ``Link`` header (RFC 8288), or None.

    Several links may share one header, separated by commas; ``rel`` may list several
    relation types separated by spaces.
    """
    value = headers.get("Link") or ""
    for match in _LINK.finditer(value):
        url, params = match.group(1).strip(), match.group(2)
        for rel in _REL.finditer(params):
            types = (rel.group(1) or rel.group(2) or "").lower().split()
            if "next" in types and url:
                return str(urljoin(base, url))
    return None


def _text(value: object) -> str:
    return value[:_MAX_STR] if isinstance(value, str) else ""


def _member(value: object) -> Member | None:
    if not isinstance(value, dict):
        return None
    user_id = value.get("user_id")
    if not isinstance(user_id, str) or not user_id or len(user_id) > 255:
        return None  # a member without a usable id cannot be matched with anything
    roles = value.get("roles")
    role_list = tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else ()
    return Member(
        user_id=user_id,
        roles=role_list,
        status=_text(value.get("status")) or "Active",
        name=_text(value.get("name")),
        given_name=_text(value.get("given_name")),
        family_name=_text(value.get("family_name")),
    )


def _first_url(url: str, role: str | None, limit: int | None) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if role:
        query.append(("role", role))
    if limit:
        query.append(("limit", str(limit)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _page(response: HttpResponse) -> list[Any]:
    if response.status >= 500:
        raise PlatformUnreachable(f"memberships answered {response.status}")
    if response.status in (401, 403, 404):
        raise MembershipsRefused(f"memberships answered {response.status}")
    if not response.ok:
        raise MembershipsInvalid(f"memberships answered {response.status}")
    try:
        body = response.json()
    except (ValueError, RecursionError):
        raise MembershipsInvalid("the memberships answer is not JSON") from None
    members = body.get("members") if isinstance(body, dict) else None
    if not isinstance(members, list):
        raise MembershipsInvalid("the memberships answer has no members list")
    return members


def fetch_roster(
    memberships_url: str,
    registration: PlatformRegistration,
    *,
    http: HttpClient,
    tokens: ServiceTokens,
    key_set: ToolKeySet,
    clock: Clock,
    role: str | None = None,
    page_size: int | None = None,
    timeout: float = 3.0,
    budget: float = 6.0,
    max_pages: int = 50,
    max_members: int = 5000,
) -> Roster:
    """Every member of the class at ``memberships_url`` (the launch's NRPS claim), following
    ``next`` links; ``role`` asks the platform to filter (it may not: filter again).

    Each call waits ``timeout`` seconds at most and the whole read, token included, stops
    once ``budget`` seconds are spent. A read cut by ``max_pages``, ``max_members``, a repeated
    or foreign ``next`` link is returned with ``complete=False``.

    Raises ``PlatformUnreachable`` (no answer, a timeout, a 5xx, or the budget spent),
    ``ServiceTokenRefused``, ``ScopeNotGranted``, ``MembershipsRefused`` (401/403/404, after
    one retry with a fresh token on 401) and ``MembershipsInvalid``.
    """
    deadline = clock.now() + budget

    def remaining() -> float:
        left = deadline - clock.now()
        if left <= 0:
            raise PlatformUnreachable("the time given to read the class list is spent")
        return min(timeout, left)

    home = origin(memberships_url)
    if home is None:
        raise MembershipsInvalid("the memberships URL is not an http(s) URL")
    scopes = (SCOPE_NRPS,)
    url: str | None = _first_url(memberships_url, role, page_size)
    seen: set[str] = set()
    members: dict[str, Member] = {}
    pages = 0
    complete = True
    retried = False
    while url is not None:
        if pages >= max_pages or url in seen or origin(url) != home:
            complete = False
            break
        token = tokens.get(registration, scopes, key_set=key_set, timeout=remaining())
        response = http.get(
            url,
            timeout=remaining(),
            headers={"Authorization": token.authorization, "Accept": MEDIA_TYPE},
        )
        if response.status == 401 and not retried:
            # Revoked before its expiry (a platform restart, a key change): one fresh token.
            tokens.forget(registration, scopes)
            retried = True
            continue
        seen.add(url)
        pages += 1
        for raw in _page(response):
            member = _member(raw)
            if member is not None:
                members.setdefault(member.user_id, member)
        url = next_link(response.headers, url)
        if len(members) >= max_members:
            complete = url is None and len(members) == max_members
            break
    return Roster(members=tuple(members.values())[:max_members], complete=complete, pages=pages)
