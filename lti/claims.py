"""The id_token claims Relais reads, checked for shape and turned into typed values.

Every failure is ``ClaimMissing`` or ``ClaimInvalid`` with the claim path in ``field``
(``resource_link.id``, ``context.type``, ``custom.audience``); nothing else escapes. The
values come from ``json.loads``, so objects are checked with ``isinstance(value, dict)``: an
ABC check against ``Mapping`` costs several times more.

Why most claims are checked by hand and not with marshmallow: a whole launch must cost at most
three RSA-2048 verifications (~60 µs here), and base64 + JSON + the verification already take
~35 µs of it. Measured, one marshmallow ``load`` costs 7 µs for the three-string resource link
and 12 µs for the context (a list field), so the claims present in *every* launch (resource
link, context, NRPS endpoint, roles, custom, launch presentation, tool platform) are small
explicit checks. The deep-linking settings, sent only when a teacher places the tool and richer
in types (URL, booleans, lists), keep a marshmallow schema with ``unknown = EXCLUDE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from lti.errors import ClaimInvalid, ClaimMissing
from lti.launch_data import Context, DeepLinkingSettings, NamesRoleService, ResourceLink

__all__ = [
    "CLAIM",
    "CLAIM_CONTEXT",
    "CLAIM_CUSTOM",
    "CLAIM_DEEP_LINKING_SETTINGS",
    "CLAIM_DEPLOYMENT_ID",
    "CLAIM_LAUNCH_PRESENTATION",
    "CLAIM_MESSAGE_TYPE",
    "CLAIM_NRPS",
    "CLAIM_RESOURCE_LINK",
    "CLAIM_ROLES",
    "CLAIM_ROLE_SCOPE_MENTOR",
    "CLAIM_TARGET_LINK_URI",
    "CLAIM_TOOL_PLATFORM",
    "CLAIM_VERSION",
    "DL_CLAIM",
    "load_context",
    "load_custom",
    "load_deep_linking_settings",
    "load_names_role_service",
    "load_resource_link",
    "optional_str",
    "string_list",
    "string_map",
]

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM_MESSAGE_TYPE = CLAIM + "message_type"
CLAIM_VERSION = CLAIM + "version"
CLAIM_DEPLOYMENT_ID = CLAIM + "deployment_id"
CLAIM_TARGET_LINK_URI = CLAIM + "target_link_uri"
CLAIM_RESOURCE_LINK = CLAIM + "resource_link"
CLAIM_CONTEXT = CLAIM + "context"
CLAIM_ROLES = CLAIM + "roles"
CLAIM_ROLE_SCOPE_MENTOR = CLAIM + "role_scope_mentor"
CLAIM_CUSTOM = CLAIM + "custom"
CLAIM_LAUNCH_PRESENTATION = CLAIM + "launch_presentation"
CLAIM_TOOL_PLATFORM = CLAIM + "tool_platform"
CLAIM_DEEP_LINKING_SETTINGS = DL_CLAIM + "deep_linking_settings"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

_MAX_STR = 4096  # a claim string longer than this is not a title or an id but an attack


def _text(**kwargs: Any) -> fields.String:
    # Platforms send null or omit optional strings alike; both become "".
    return fields.String(allow_none=True, load_default="", **kwargs)


def _str_or_empty(value: str | None) -> str:
    return value or ""


class _DeepLinkingSettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    deep_link_return_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    accept_types = fields.List(fields.String(), required=True)
    accept_presentation_document_targets = fields.List(fields.String(), load_default=list)
    accept_multiple = fields.Boolean(load_default=False)
    auto_create = fields.Boolean(load_default=False)
    title = _text()
    text = _text()
    data = fields.String(allow_none=True, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> DeepLinkingSettings:
        return DeepLinkingSettings(
            deep_link_return_url=data["deep_link_return_url"],
            accept_types=tuple(data["accept_types"]),
            accept_presentation_document_targets=tuple(
                data["accept_presentation_document_targets"]
            ),
            accept_multiple=data["accept_multiple"],
            auto_create=data["auto_create"],
            title=_str_or_empty(data["title"]),
            text=_str_or_empty(data["text"]),
            data=data["data"],
        )


# Built once: a Schema instance compiles its fields; building one per launch would cost more
# than the load itself.
_DEEP_LINKING_SETTINGS = _DeepLinkingSettingsSchema()


def _first_error(messages: Any, prefix: str) -> tuple[str, bool]:
    """The dotted path of the first error in marshmallow ``messages``, and whether it is a
    missing field."""
    path = prefix
    while isinstance(messages, Mapping) and messages:
        key, messages = next(iter(messages.items()))
        if key != "_schema":
            path = f"{path}.{key}"
    missing = isinstance(messages, list) and any(
        isinstance(m, str) and m.startswith("Missing data") for m in messages
    )
    return path, missing


def _load(schema: Schema, value: object, name: str) -> Any:
    if not isinstance(value, dict):
        # marshmallow would say "Invalid input type"; the field name is more useful.
        raise ClaimInvalid(f"{name} must be an object", field=name)
    try:
        return schema.load(value)
    except ValidationError as exc:
        path, missing = _first_error(exc.messages, name)
        error = ClaimMissing if missing else ClaimInvalid
        raise error(f"{path} is {'missing' if missing else 'invalid'}", field=path) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise ClaimInvalid(f"{name} is invalid", field=name) from exc


def _object(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ClaimInvalid(f"{name} must be an object", field=name)
    return value


def _required_str(obj: Mapping[str, Any], key: str, parent: str) -> str:
    value = obj.get(key)
    if value is None or value == "":
        raise ClaimMissing(f"{parent}.{key} is missing", field=f"{parent}.{key}")
    return optional_str(obj, key, parent)


def _optional_list(obj: Mapping[str, Any], key: str, parent: str) -> tuple[str, ...]:
    value = obj.get(key)
    return () if value is None else string_list(value, f"{parent}.{key}")


def load_resource_link(value: object) -> ResourceLink:
    """The resource link claim. Raises ``ClaimMissing`` (``resource_link.id`` when the claim
    or its id is absent) or ``ClaimInvalid``."""
    if value is None:
        raise ClaimMissing("resource_link.id is missing", field="resource_link.id")
    link = _object(value, "resource_link")
    return ResourceLink(
        id=_required_str(link, "id", "resource_link"),
        title=optional_str(link, "title", "resource_link"),
        description=optional_str(link, "description", "resource_link"),
    )


def load_context(value: object) -> Context | None:
    """The context claim, or None when absent. Raises ``ClaimMissing``/``ClaimInvalid``."""
    if value is None:
        return None
    context = _object(value, "context")
    return Context(
        id=_required_str(context, "id", "context"),
        label=optional_str(context, "label", "context"),
        title=optional_str(context, "title", "context"),
        types=_optional_list(context, "type", "context"),
    )


def load_names_role_service(value: object) -> NamesRoleService | None:
    """The NRPS endpoint claim, or None when absent. Raises ``ClaimMissing``/``ClaimInvalid``
    (an endpoint that is not an http(s) URL is invalid)."""
    if value is None:
        return None
    service = _object(value, "namesroleservice")
    url = _required_str(service, "context_memberships_url", "namesroleservice")
    if not url.startswith(("https://", "http://")):
        raise ClaimInvalid(
            "context_memberships_url must be an http(s) URL",
            field="namesroleservice.context_memberships_url",
        )
    return NamesRoleService(url, _optional_list(service, "service_versions", "namesroleservice"))


def load_deep_linking_settings(value: object) -> DeepLinkingSettings:
    """The deep-linking settings. Raises ``ClaimMissing`` (``deep_linking_settings`` or one of
    its required members) or ``ClaimInvalid``."""
    if value is None:
        raise ClaimMissing("deep_linking_settings is missing", field="deep_linking_settings")
    settings: DeepLinkingSettings = _load(_DEEP_LINKING_SETTINGS, value, "deep_linking_settings")
    return settings


def _path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def optional_str(claims: Mapping[str, Any], key: str, parent: str = "") -> str:
    """``claims[key]`` as a string, "" when absent or null. Raises ``ClaimInvalid`` with
    ``field`` = ``parent.key`` (or ``key``)."""
    value = claims.get(key)
    # The common case first, and the field path built only on failure: this runs ~15 times
    # per launch.
    if value.__class__ is str and len(value) <= _MAX_STR:
        return value
    if value is None:
        return ""
    raise ClaimInvalid(f"{_path(parent, key)} must be a string", field=_path(parent, key))


def string_list(value: object, name: str) -> tuple[str, ...]:
    """A list of strings as a tuple ("" entries kept as sent). Raises ``ClaimInvalid``."""
    if not isinstance(value, list):
        raise ClaimInvalid(f"{name} must be a list of strings", field=name)
    for item in value:
        if not isinstance(item, str) or len(item) > _MAX_STR:
            raise ClaimInvalid(f"{name} must be a list of strings", field=name)
    return tuple(value)


def string_map(value: object, name: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The string members ``keys`` of an optional flat object ("" when absent).

    Raises ``ClaimInvalid`` when the object or one of those members has the wrong type.
    """
    if value is None:
        return ("",) * len(keys)
    if not isinstance(value, dict):
        raise ClaimInvalid(f"{name} must be an object", field=name)
    return tuple([optional_str(value, key, name) for key in keys])


def _scalar_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    return None


def load_custom(value: object) -> Mapping[str, str]:
    """The custom parameters as a read-only ``{str: str}``.

    Numbers and booleans are turned into their JSON text (some platforms send ``5`` for
    ``"5"``), null into "". Raises ``ClaimInvalid`` (``custom`` or ``custom.<name>``) for a
    non-object claim or a nested value.
    """
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict):
        raise ClaimInvalid("custom must be an object", field="custom")
    out: dict[str, str] = {}
    for key, item in value.items():
        text = _scalar_text(item)
        if not isinstance(key, str) or text is None or len(text) > _MAX_STR:
            raise ClaimInvalid("custom values must be strings", field=f"custom.{key}")
        out[key] = text
    return MappingProxyType(out)
