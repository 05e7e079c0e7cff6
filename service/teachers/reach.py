"""The reach dashboard's figures: the class list (NRPS) beside Relais' own records.

A *family* is a pupil of the class: a parent's visit counts for the pupils it names (the
children the platform sent with the launch, or the parent's own account when it is the pupil's,
as when a family shares one login). Without a class list, the families are the children named
by the visits (or the parents themselves), and nothing can be said about the others.

Nothing here ranks anyone: the figures are counts, the families not reached yet are listed in
alphabetical order so the teacher can reach them another way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from lti.nrps import Member
from service import db
from service.teachers.models import ClassVisit
from service.teachers.roster import ClassList

_IN_CHUNK = 500  # ids per IN (...) list: far below every database's limit


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    value: int | None  # None: Relais cannot know it here


@dataclass(frozen=True, slots=True)
class Reach:
    class_list: ClassList
    funnel: tuple[Figure, ...]
    requests: tuple[Figure, ...]
    not_reached: tuple[str, ...] = ()
    unmatched_visits: int = 0
    wizard_available: bool = True
    at_events: tuple[Figure, ...] = ()  # empty: event tallies are not installed


def _pupil_name(member: Member) -> str:
    name = member.name.strip() or f"{member.given_name} {member.family_name}".strip()
    return name or _("Un élève dont la plateforme ne donne pas le nom")


def _sort_key(member: Member) -> tuple[str, str, str]:
    return (member.family_name.casefold(), member.given_name.casefold(), member.name.casefold())


def _keys(visit: ClassVisit, pupils: frozenset[str] | None) -> frozenset[str]:
    named = set(visit.children_ids or ()) | {visit.user_id}
    if pupils is None:
        return frozenset(visit.children_ids or ()) or frozenset({visit.user_id})
    return frozenset(named & pupils)


def _wizard(platform_id: int, user_ids: Sequence[str]) -> tuple[set[str], set[str]] | None:
    """The parents among ``user_ids`` who started the wizard, and those who finished it;
    None when the wizard is not installed."""
    try:
        from service.onboarding.models import WizardProgress
        from service.onboarding.path import DONE
    except ImportError:
        return None
    started: set[str] = set()
    finished: set[str] = set()
    for i in range(0, len(user_ids), _IN_CHUNK):
        rows = db.session().execute(
            select(WizardProgress.user_id, WizardProgress.current_step).where(
                WizardProgress.platform_id == platform_id,
                WizardProgress.user_id.in_(user_ids[i:i + _IN_CHUNK]),
            )
        )
        for user_id, step in rows:
            started.add(user_id)
            if step == DONE:
                finished.add(user_id)
    return started, finished


def _requests(platform_id: int, class_id: str) -> tuple[int, int] | None:
    """The class's help requests still open, and those done with; None when help requests
    are not installed."""
    try:
        from service.help.models import OPEN_STATUSES, HelpRequest
    except ImportError:
        return None
    rows = db.session().execute(
        select(HelpRequest.status, func.count()).where(
            HelpRequest.platform_id == platform_id, HelpRequest.class_id == class_id
        ).group_by(HelpRequest.status)
    )
    open_, closed = 0, 0
    for status, count in rows:
        if status in OPEN_STATUSES:
            open_ += count
        else:
            closed += count
    return open_, closed


def _at_events(platform_id: int, class_id: str) -> tuple[Figure, ...]:
    """What volunteers counted at the events the class's families could come to, since the
    school year began: counts per topic, never a name; empty when tallies are not installed."""
    try:
        from service.volunteers.tallies import class_totals, school_year_start
    except ImportError:
        return ()
    from service.teachers.services import class_school, settings_of
    from service.topics import topic_label

    school = class_school(platform_id, settings_of(platform_id, class_id))
    found = class_totals(db.session(), platform_id, class_id, school.id if school else None,
                         school_year_start())
    return (Figure("events_helped", _("Parents aidés aux rendez-vous"), found.helped),
            Figure("events_counted", _("Rendez-vous où l'on a compté"), found.events),
            *(Figure(f"events_{topic}", topic_label(topic), n)
              for topic, n in found.by_topic.items()))


def _union(sets: Iterable[frozenset[str]]) -> set[str]:
    out: set[str] = set()
    for s in sets:
        out |= s
    return out


def reach(platform_id: int, class_id: str, class_list: ClassList,
          visits: Sequence[ClassVisit]) -> Reach:
    """The dashboard of the class, from its list (maybe unknown) and its parents' visits."""
    pupils = frozenset(m.user_id for m in class_list.pupils) if class_list.known else None
    keys = {v.user_id: _keys(v, pupils) for v in visits}
    opened = _union(keys.values())
    wizard = _wizard(platform_id, [v.user_id for v in visits])
    started = finished = None
    if wizard is not None:
        started = len(_union(keys[u] for u in wizard[0] if u in keys))
        finished = len(_union(keys[u] for u in wizard[1] if u in keys))
    funnel = (
        Figure("families", _("Familles de la classe"),
               len(pupils) if pupils is not None else None),
        Figure("opened", _("Ont ouvert Relais"), len(opened)),
        Figure("wizard_started", _("Ont commencé le pas à pas"), started),
        Figure("wizard_finished", _("Ont terminé le pas à pas"), finished),
    )
    counts = _requests(platform_id, class_id)
    requests = (
        Figure("requests_open", _("Demandes d'aide en cours"), counts[0] if counts else None),
        Figure("requests_closed", _("Demandes d'aide terminées"), counts[1] if counts else None),
    )
    not_reached: tuple[str, ...] = ()
    unmatched = 0
    if pupils is not None:
        waiting = sorted((m for m in class_list.pupils if m.user_id not in opened), key=_sort_key)
        not_reached = tuple(_pupil_name(m) for m in waiting)
        unmatched = sum(1 for k in keys.values() if not k)
    return Reach(class_list, funnel, requests, not_reached, unmatched,
                 wizard_available=wizard is not None,
                 at_events=_at_events(platform_id, class_id))
