"""Registering platforms: validated input, one transaction, caches refreshed."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from service import db
from service.launch.stores import forget_registrations
from service.platforms.models import Deployment, Platform
from service.security import forget_platform_origins


def _url() -> fields.Url:
    # Platforms on an intranet have no top-level domain (https://moodle/, http://localhost).
    return fields.Url(required=True, schemes={"http", "https"}, require_tld=False)


class PlatformSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    issuer = _url()
    client_id = fields.String(required=True, validate=validate.Length(1, 255))
    auth_login_url = _url()
    auth_token_url = _url()
    jwks_url = _url()
    deployment_ids = fields.List(
        fields.String(validate=validate.Length(1, 255)), required=True,
        validate=validate.Length(min=1),
    )
    adapter = fields.String(load_default="generic",
                            validate=validate.OneOf(["generic", "moodle", "ent"]))
    allow_anonymous = fields.Boolean(load_default=False)


@dataclass(frozen=True)
class PlatformInput:
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    deployment_ids: tuple[str, ...]
    adapter: str = "generic"
    allow_anonymous: bool = False


def register(data: PlatformInput) -> Platform:
    """Create the platform, or update the one with the same issuer and client id.

    Raises ``ValueError`` with a readable message on invalid input; nothing is written then.
    """
    try:
        clean = PlatformSchema().load(
            {**data.__dict__, "deployment_ids": list(data.deployment_ids)}
        )
    except ValidationError as error:
        raise ValueError(_describe(error.messages)) from error
    with db.transaction() as tx:
        platform = tx.scalar(
            select(Platform).where(
                Platform.issuer == clean["issuer"], Platform.client_id == clean["client_id"]
            )
        )
        if platform is None:
            if tx.scalar(select(Platform.id).where(Platform.name == clean["name"])):
                raise ValueError(f"name: a platform is already named {clean['name']!r}")
            platform = Platform(issuer=clean["issuer"], client_id=clean["client_id"])
            tx.add(platform)
        for key in ("name", "auth_login_url", "auth_token_url", "jwks_url", "adapter",
                    "allow_anonymous"):
            setattr(platform, key, clean[key])
        known = {d.deployment_id for d in platform.deployments}
        for deployment_id in clean["deployment_ids"]:
            if deployment_id not in known:
                platform.deployments.append(Deployment(deployment_id=deployment_id))
    forget_registrations()
    forget_platform_origins()
    return platform


def unregister(name: str) -> bool:
    """Remove the platform named ``name`` and everything that belongs to it (the database
    cascades to every tenant row); False when there is none. This process stops accepting
    its launches and frames at once; other instances within their cache lifetime (30 s)."""
    with db.transaction() as tx:
        platform = tx.scalar(select(Platform).where(Platform.name == name))
        if platform is None:
            return False
        tx.delete(platform)
    forget_registrations()
    forget_platform_origins()
    return True


def _describe(messages: object) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {_describe(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return " ".join(map(str, messages))
    return str(messages)
