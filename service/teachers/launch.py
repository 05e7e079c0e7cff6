"""What a launch leaves for the teachers' pages, and where it lands when not on the home page.

Called by the launch view once the person is signed in:

- a deep-linking request (a teacher's "Sélectionner un contenu") is kept until the teacher
  answers, and lands on the picker; anyone else gets the 403 page;
- a teacher's launch keeps the class's title and NRPS endpoint (for the dashboard);
- a parent's launch from a class is recorded once (for "families who opened Relais"); a link
  made with the picker (``view=help|wizard|events``) opens that page directly; a class whose
  teacher switched Relais off shows a short page instead.

The landing is also kept in the session, so a launch that continues in a new window (no
cookie in the iframe) still lands there.
"""

from __future__ import annotations

from flask import current_app, session, url_for

from lti.launch_data import LaunchData
from plugin.context import Audience, LaunchContext
from service.errors import ServiceError
from service.teachers import services

LANDING_KEY = "landing"
DEEP_LINK_KEY = "deep_link"
PICKER_AUDIENCES = (Audience.teacher, Audience.admin)

# A link's view -> the endpoint that shows it (the first one registered).
VIEW_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "help": ("parents.help_panel",),
    "wizard": ("onboarding.start", "parents.help_panel"),
    "events": ("events.ent_list",),
}


def view_url(view: str | None) -> str | None:
    """The page a link's ``view`` opens, or None when that part of Relais is not installed."""
    for endpoint in VIEW_ENDPOINTS.get(view or "", ()):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


def after_launch(data: LaunchData, context: LaunchContext, platform_id: int) -> str | None:
    """Record what the teachers' pages need from this launch; return where it should land
    (a local path), or None for the audience's home. Raises ``ServiceError("forbidden")`` for
    a deep-linking request by someone who may not add content."""
    landing = _landing(data, context, platform_id)
    if landing:
        session[LANDING_KEY] = landing
    return landing


def _landing(data: LaunchData, context: LaunchContext, platform_id: int) -> str | None:
    if context.is_deep_linking:
        settings = data.deep_linking
        if context.audience not in PICKER_AUDIENCES or settings is None:
            raise ServiceError("forbidden", 403)
        session[DEEP_LINK_KEY] = services.store_deep_link(
            platform_id,
            user_id=context.user_id or "",
            class_id=context.class_id,
            deployment_id=data.deployment_id,
            version=data.version,
            return_url=settings.deep_link_return_url,
            accept_types=settings.accept_types,
            accept_multiple=settings.accept_multiple,
            data=settings.data,
        )
        return url_for("teachers.picker")
    if context.audience is Audience.parent:
        if context.class_id:
            if context.user_id:
                services.record_visit(platform_id, context.class_id, context.user_id,
                                      context.children_ids)
            if not services.class_view(platform_id, context.class_id).enabled:
                return url_for("teachers.paused")
        return view_url(context.view)
    if context.audience in PICKER_AUDIENCES and context.class_id:
        nrps = data.names_role_service
        services.note_teacher_launch(platform_id, context.class_id, context.class_title,
                                     nrps.context_memberships_url if nrps else None)
    return None


def take_landing() -> str | None:
    """The landing kept by the launch, once (the new-window path of a cookie-less launch)."""
    landing = session.pop(LANDING_KEY, None)
    return landing if isinstance(landing, str) and landing.startswith("/") else None
