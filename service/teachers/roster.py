"""The class list from the platform (NRPS), wired for the service, and never a 5xx.

The dashboard asks for the list on each view: the service token is cached per process (reused
until it expires), the list itself is not (it is personal data, read for one page). Calls to
the platform have their own connection pool and a short timeout, and the whole read has one
time budget: ``NRPS_TIMEOUT_SECONDS`` per call and ``NRPS_BUDGET_SECONDS`` in all (settings),
so a platform that is down or slow costs the teacher a few seconds, not a hanging page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from lti.errors import LtiError
from lti.http import RequestsHttpClient
from lti.keys import NoSigningKey
from lti.nrps import ROLE_LEARNER, Member, fetch_roster
from lti.registration import PlatformRegistration
from lti.service_token import ServiceTokens
from service import db
from service.launch import runtime
from service.launch.tool_keys import tool_key_set
from service.platforms.models import Platform

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0
BUDGET_SECONDS = 6.0


@dataclass(frozen=True, slots=True)
class ClassList:
    """The class's pupils as the platform lists them, or why there is no list.

    ``status``: ``ok``, ``partial`` (a bound stopped the read), ``no_service`` (the platform
    offers no NRPS for this class), ``unreachable`` (down or slow), ``refused`` (the platform
    did not allow it) or ``invalid`` (an answer Relais cannot read).
    """

    status: str
    pupils: tuple[Member, ...] = ()
    error_code: str | None = None

    @property
    def known(self) -> bool:
        return self.status in ("ok", "partial")


_STATUS = {
    "platform_unreachable": "unreachable",
    "service_token_refused": "refused",
    "scope_not_granted": "refused",
    "memberships_refused": "refused",
    "memberships_invalid": "invalid",
}


def services_http() -> RequestsHttpClient:
    """The HTTP client for platform services: its own pool and timeout."""
    timeout = float(current_app.config.get("NRPS_TIMEOUT_SECONDS", TIMEOUT_SECONDS))
    return current_app.extensions.setdefault(  # type: ignore[no-any-return]
        "relais_services_http", RequestsHttpClient(timeout=timeout)
    )


def service_tokens() -> ServiceTokens:
    ext = current_app.extensions
    if "relais_service_tokens" not in ext:
        ext["relais_service_tokens"] = ServiceTokens(services_http(), runtime.clock())
    return ext["relais_service_tokens"]  # type: ignore[no-any-return]


def class_list(platform_id: int, memberships_url: str | None) -> ClassList:
    """The active pupils of the class at ``memberships_url``; never raises for the platform's
    faults (they become a status the page explains)."""
    if not memberships_url:
        return ClassList("no_service")
    registration = _registration(platform_id)
    if registration is None:
        return ClassList("no_service")
    config = current_app.config
    try:
        roster = fetch_roster(
            memberships_url,
            registration,
            http=services_http(),
            tokens=service_tokens(),
            key_set=tool_key_set(),
            clock=runtime.clock(),
            role=ROLE_LEARNER,
            timeout=float(config.get("NRPS_TIMEOUT_SECONDS", TIMEOUT_SECONDS)),
            budget=float(config.get("NRPS_BUDGET_SECONDS", BUDGET_SECONDS)),
        )
    except LtiError as error:
        log.warning("class list unavailable: %s (platform %s)", error.code, platform_id)
        return ClassList(_STATUS.get(error.code, "invalid"), error_code=error.code)
    except NoSigningKey:
        log.error("class list unavailable: the tool has no signing key")
        return ClassList("refused", error_code="no_signing_key")
    pupils = tuple(m for m in roster.members if m.learner and m.active)
    return ClassList("ok" if roster.complete else "partial", pupils)


def _registration(platform_id: int) -> PlatformRegistration | None:
    row = db.session().get(Platform, platform_id)
    if row is None:
        return None
    return runtime.registrations.find(row.issuer, row.client_id)
