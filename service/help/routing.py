"""Who picks up a new request: routing rules per platform, then the school's default contact,
then the platform itself (unassigned, visible to its admins).

A rule matches when each of its criteria (topic, language, school) is empty or equal to the
request's. The most specific matching rules win (most criteria set), then the highest
``priority``; every rule tied at the top is applied, so a request can go to several relays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.directory.models import Relay
from service.help.models import (
    TARGET_RELAY,
    TARGET_SCHOOL_CONTACT,
    HelpAssignment,
    HelpRequest,
    HelpRequestEvent,
    RoutingRule,
    utcnow,
)
from service.schools.models import School
from service.topics import TOPICS

TARGET_PLATFORM = "platform"  # trail only: nobody in particular, the admins see it


@dataclass(frozen=True, slots=True)
class RuleInput:
    platform_id: int
    target: str  # TARGET_RELAY | TARGET_SCHOOL_CONTACT
    relay_id: int | None = None
    topic: str | None = None
    language: str | None = None
    school_id: int | None = None
    priority: int = 0


class RoutingError(ValueError):
    """A rule that cannot be saved; ``str(error)`` says why, for the command line and the form."""


def school_has_contact(school: School | None) -> bool:
    return school is not None and bool(school.contact_name.strip() or school.contact_phone.strip())


def _relay(db: Session, platform_id: int, relay_id: int) -> Relay | None:
    """The platform's relay with this id, or None (another tenant's relay is no relay)."""
    relay = db.get(Relay, relay_id)
    return relay if relay is not None and relay.platform_id == platform_id else None


def matching_rules(db: Session, request: HelpRequest) -> list[RoutingRule]:
    """Every rule of the request's platform whose criteria all match, best first."""
    query = select(RoutingRule).where(
        RoutingRule.platform_id == request.platform_id,
        or_(RoutingRule.topic.is_(None), RoutingRule.topic == request.topic),
        or_(RoutingRule.language.is_(None), RoutingRule.language == request.language),
    )
    if request.school_id is None:
        query = query.where(RoutingRule.school_id.is_(None))
    else:
        query = query.where(
            or_(RoutingRule.school_id.is_(None), RoutingRule.school_id == request.school_id)
        )
    rules = list(db.scalars(query))
    rules.sort(key=lambda r: (-r.specificity, -r.priority, r.id))
    return rules


def _usable(db: Session, request: HelpRequest, rule: RoutingRule, school: School | None) -> bool:
    if rule.target == TARGET_SCHOOL_CONTACT:
        return school_has_contact(school)
    if rule.relay_id is None:
        return False
    relay = _relay(db, request.platform_id, rule.relay_id)
    return relay is not None and relay.active  # a relay the admin paused gets nothing new


def assign(
    db: Session, request: HelpRequest, *, now: datetime | None = None
) -> list[HelpAssignment]:
    """Assign a new (flushed) request and write the trail, in the caller's transaction.

    Returns the assignments made; an empty list means the platform's admins will see the
    request as unassigned (the trail says so too).
    """
    now = now or utcnow()
    school = db.get(School, request.school_id) if request.school_id is not None else None
    if school is not None and school.platform_id != request.platform_id:
        school = None  # never route to another tenant's school
    usable = [r for r in matching_rules(db, request) if _usable(db, request, r, school)]
    chosen: list[RoutingRule] = []
    if usable:
        best = (usable[0].specificity, usable[0].priority)
        chosen = [r for r in usable if (r.specificity, r.priority) == best]

    made: list[HelpAssignment] = []
    seen: set[tuple[str, int | None]] = set()
    for rule in chosen:
        key = (rule.target, rule.relay_id)
        if key in seen:
            continue
        seen.add(key)
        made.append(_assignment(request, rule.target, rule.relay_id, school, rule.id, now))
    if not made and school_has_contact(school):
        made.append(_assignment(request, TARGET_SCHOOL_CONTACT, None, school, None, now))

    for a in made:
        _trail(request, a.target, a.relay_id, a.rule_id, now)
    if not made:
        _trail(request, TARGET_PLATFORM, None, None, now)
    return made


def _assignment(
    request: HelpRequest,
    target: str,
    relay_id: int | None,
    school: School | None,
    rule_id: int | None,
    now: datetime,
) -> HelpAssignment:
    assignment = HelpAssignment(
        platform_id=request.platform_id,
        target=target,
        relay_id=relay_id if target == TARGET_RELAY else None,
        school_id=school.id if target == TARGET_SCHOOL_CONTACT and school else None,
        rule_id=rule_id,
        assigned_at=now,
    )
    request.assignments.append(assignment)
    return assignment


def _trail(
    request: HelpRequest,
    target: str,
    relay_id: int | None,
    rule_id: int | None,
    now: datetime,
) -> None:
    request.events.append(
        HelpRequestEvent(
            platform_id=request.platform_id,
            at=now,
            kind="assigned",
            actor_kind="system",
            target=target,
            relay_id=relay_id,
            rule_id=rule_id,
        )
    )


# --- Rules: the command line and the admin page share these. ---


def add_rule(db: Session, rule: RuleInput) -> RoutingRule:
    """Check and add a rule in the caller's transaction. Raises ``RoutingError``."""
    if rule.topic is not None and rule.topic not in TOPICS:
        raise RoutingError(f"unknown topic {rule.topic!r} (one of: {', '.join(TOPICS)})")
    languages = list(current_app.config["LANGUAGES"])
    if rule.language is not None and rule.language not in languages:
        raise RoutingError(f"unknown language {rule.language!r} (one of: {', '.join(languages)})")
    if rule.school_id is not None:
        school = db.get(School, rule.school_id)
        if school is None or school.platform_id != rule.platform_id:
            raise RoutingError("no such school on this platform")
    if rule.target == TARGET_RELAY:
        if rule.relay_id is None or rule.relay_id <= 0:
            raise RoutingError("a relay rule needs a relay id")
        if _relay(db, rule.platform_id, rule.relay_id) is None:
            raise RoutingError(f"no relay {rule.relay_id} on this platform")
    elif rule.target == TARGET_SCHOOL_CONTACT:
        if rule.relay_id is not None:
            raise RoutingError("a school-contact rule takes no relay id")
    else:
        raise RoutingError("the target is a relay or the school contact")
    row = RoutingRule(
        platform_id=rule.platform_id,
        topic=rule.topic,
        language=rule.language,
        school_id=rule.school_id,
        target=rule.target,
        relay_id=rule.relay_id if rule.target == TARGET_RELAY else None,
        priority=rule.priority,
    )
    db.add(row)
    db.flush()
    return row


def list_rules(db: Session, platform_id: int) -> list[RoutingRule]:
    rules = list(db.scalars(select(RoutingRule).where(RoutingRule.platform_id == platform_id)))
    rules.sort(key=lambda r: (-r.specificity, -r.priority, r.id))
    return rules


def remove_rule(db: Session, platform_id: int, rule_id: int) -> bool:
    """Remove one of the platform's rules; False when there is none with this id there."""
    rule = db.get(RoutingRule, rule_id)
    if rule is None or rule.platform_id != platform_id:
        return False
    db.delete(rule)
    return True
