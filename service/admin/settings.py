"""Reading and saving a platform's settings; what the rest of Relais asks of them.

``retention_days``, ``offered_languages``, ``platform_urls`` and ``adapter_settings`` always
answer, with the instance's defaults when the admin has set nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.context import AdapterSettings
from service.admin.models import PlatformSettings
from service.db import session as request_session
from service.identity import Identity
from service.platforms.models import Platform
from service.privacy import audit
from service.privacy.models import utcnow

URL_FIELDS = ("ent_url", "pronote_url", "ent_app_url", "educonnect_url")
TOOLS = ("pronote", "ent_app", "educonnect")
DEFAULT_TOOLS = frozenset({"pronote", "educonnect"})
# Launches read the mapping; a change made on another instance applies within this delay.
_AUDIENCE_TTL = 30.0


class NameTaken(ValueError):
    """Another platform of this instance already has that name."""


def row(db: Session, platform_id: int) -> PlatformSettings | None:
    return db.get(PlatformSettings, platform_id)


def default_retention_days() -> int:
    return int(current_app.config["RETENTION_DAYS"])


def retention_days(db: Session, platform_id: int) -> int:
    """Days the platform keeps help requests and parents' data after their last change."""
    found = row(db, platform_id)
    if found is not None and found.retention_days:
        return found.retention_days
    return default_retention_days()


def offered_languages(db: Session, platform_id: int) -> list[str]:
    """The languages offered to the platform's families, French first."""
    everything = list(current_app.config["LANGUAGES"])
    found = row(db, platform_id)
    chosen = [c for c in (found.languages.split(",") if found else []) if c in everything]
    return [c for c in everything if c in chosen] if chosen else everything


def offered_for(platform_id: int) -> tuple[str, ...]:
    """``offered_languages`` of the platform, kept 30 s: every page's language switch reads it.
    A change made on another instance applies within that delay."""
    cache: dict[int, tuple[float, tuple[str, ...]]] = current_app.extensions.setdefault(
        "relais_offered_languages", {})
    hit = cache.get(platform_id)
    if hit is not None and time.monotonic() - hit[0] < _AUDIENCE_TTL:
        return hit[1]
    offered = tuple(offered_languages(request_session(), platform_id))
    cache[platform_id] = (time.monotonic(), offered)
    return offered


def forget_offered_languages() -> None:
    current_app.extensions.pop("relais_offered_languages", None)


def platform_urls(db: Session, platform_id: int) -> dict[str, str]:
    """The platform's own addresses its admin gave (ENT, Pronote, the ENT's app, EduConnect);
    only those set."""
    found = row(db, platform_id)
    if found is None:
        return {}
    return {name: getattr(found, name) for name in URL_FIELDS if getattr(found, name)}


def wizard_installed() -> bool:
    """Whether the wizard (which reads what families use) is part of this instance."""
    return "onboarding" in current_app.blueprints


def tools_used(db: Session, platform_id: int) -> frozenset[str]:
    """What the platform's families use, as the wizard reads it."""
    if not wizard_installed():
        return DEFAULT_TOOLS
    from service.onboarding.services import tools_for

    return tools_for(db, platform_id)


def _set_tools(db: Session, platform_id: int, tools: frozenset[str]) -> None:
    from service.onboarding.services import set_tools

    set_tools(db, platform_id, tools)


@dataclass(frozen=True, slots=True)
class Settings:
    name: str
    retention_days: int | None
    languages: tuple[str, ...]
    tools: frozenset[str]
    urls: Mapping[str, str]


def read(db: Session, platform_id: int) -> Settings:
    platform = db.get(Platform, platform_id)
    assert platform is not None
    found = row(db, platform_id)
    return Settings(
        name=platform.name,
        retention_days=found.retention_days if found else None,
        languages=tuple(offered_languages(db, platform_id)),
        tools=tools_used(db, platform_id),
        urls={name: (getattr(found, name) if found else "") for name in URL_FIELDS},
    )


def save(db: Session, platform_id: int, clean: Mapping[str, Any], who: Identity) -> list[str]:
    """Apply validated settings (``schemas.SettingsSchema``) in the caller's transaction and
    audit them; returns the names of the fields that changed.

    Raises ``NameTaken`` when another platform has the name; nothing is written then.
    """
    before = read(db, platform_id)
    changed: list[str] = []
    platform = db.get(Platform, platform_id)
    assert platform is not None
    if clean["name"] != platform.name:
        taken = db.scalar(select(Platform.id).where(Platform.name == clean["name"],
                                                    Platform.id != platform_id))
        if taken is not None:
            raise NameTaken(clean["name"])
        platform.name = clean["name"]
        changed.append("name")
    settings = _ensure(db, platform_id)
    if clean["retention_days"] != before.retention_days:
        settings.retention_days = clean["retention_days"]
        changed.append("retention_days")
    languages = tuple(clean["languages"])
    if languages != before.languages:
        everything = tuple(current_app.config["LANGUAGES"])
        settings.languages = "" if set(languages) == set(everything) else ",".join(languages)
        changed.append("languages")
    for name in URL_FIELDS:
        if clean[name] != before.urls[name]:
            setattr(settings, name, clean[name])
            changed.append(name)
    if wizard_installed() and frozenset(clean["tools"]) != before.tools:
        _set_tools(db, platform_id, frozenset(clean["tools"]))
        changed.append("tools")
    if changed:
        settings.updated_at = utcnow()
        audit.record(db, platform_id, "settings_changed", who=who, detail=", ".join(changed))
    return changed


def _ensure(db: Session, platform_id: int) -> PlatformSettings:
    found = row(db, platform_id)
    if found is None:
        found = PlatformSettings(platform_id=platform_id, languages="")
        db.add(found)
    return found


# --- audience mapping --------------------------------------------------------------------------

AUDIENCE_FIELDS = ("audience_param", "parent_values", "ent_profile_claims", "admin_profiles",
                   "teacher_profiles", "parent_profiles", "learner_profiles")


def audience_values(db: Session, platform_id: int) -> dict[str, Any]:
    """The mapping as stored, with the adapters' defaults for what is not."""
    defaults = AdapterSettings()
    found = row(db, platform_id)
    stored = (found.audience or {}) if found else {}
    values: dict[str, Any] = {}
    for name in AUDIENCE_FIELDS:
        value = stored.get(name, getattr(defaults, name))
        values[name] = value if isinstance(value, str) else sorted(value) if isinstance(
            value, frozenset | set) else list(value)
    return values


def save_audience(db: Session, platform_id: int, clean: Mapping[str, Any],
                  who: Identity) -> list[str]:
    """Store a validated mapping (``schemas.AudienceSchema``) and audit it; returns the fields
    that changed."""
    before = audience_values(db, platform_id)
    changed = [n for n in AUDIENCE_FIELDS if _comparable(clean[n]) != _comparable(before[n])]
    if changed:
        settings = _ensure(db, platform_id)
        settings.audience = {n: (clean[n] if isinstance(clean[n], str) else list(clean[n]))
                             for n in AUDIENCE_FIELDS}
        settings.updated_at = utcnow()
        audit.record(db, platform_id, "audience_changed", who=who, detail=", ".join(changed))
    return changed


def _comparable(value: object) -> object:
    if isinstance(value, str):
        return value
    return sorted(str(v).casefold() for v in value)  # type: ignore[attr-defined]


def adapter_settings(platform_id: int, db: Session) -> AdapterSettings:
    """The ``AdapterSettings`` a launch of this platform is read with (cached 30 s)."""
    cache: dict[int, tuple[float, AdapterSettings]] = current_app.extensions.setdefault(
        "relais_adapter_settings", {})
    hit = cache.get(platform_id)
    if hit is not None and time.monotonic() - hit[0] < _AUDIENCE_TTL:
        return hit[1]
    found = row(db, platform_id)
    settings = _to_adapter_settings(found.audience if found else None)
    cache[platform_id] = (time.monotonic(), settings)
    return settings


def forget_adapter_settings() -> None:
    current_app.extensions.pop("relais_adapter_settings", None)


def _to_adapter_settings(stored: Mapping[str, Any] | None) -> AdapterSettings:
    if not stored:
        return AdapterSettings()
    kinds = {f.name: f.type for f in fields(AdapterSettings)}
    values: dict[str, Any] = {}
    for name in AUDIENCE_FIELDS:
        if name not in stored:
            continue
        value = stored[name]
        if name == "audience_param":
            values[name] = str(value)
        elif "tuple" in str(kinds[name]):
            values[name] = tuple(str(v) for v in value)
        else:
            values[name] = frozenset(str(v) for v in value)
    return AdapterSettings(**values)
