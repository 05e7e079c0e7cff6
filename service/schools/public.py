"""Finding the school of a public help page: its slug is the only key, and the tenant."""

from __future__ import annotations

from sqlalchemy import select

from service import db
from service.errors import ServiceError
from service.schools.models import School


def school_or_404(slug: str) -> School:
    """The school whose short link is ``slug``; the 404 page otherwise (same page whether the
    slug is malformed or unknown, so nothing can be enumerated)."""
    if not slug or len(slug) > 16 or not slug.isalnum():
        raise ServiceError("not_found", 404)
    school = db.session().scalar(select(School).where(School.slug == slug))
    if school is None:
        raise ServiceError("not_found", 404)
    return school
