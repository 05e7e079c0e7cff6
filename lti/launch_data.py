"""The validated result of a launch: immutable, typed, and trusted.

A ``LaunchData`` only exists once every check of the LTI 1.3 Security Framework has passed
(see ``lti.launch.validate``). Everything downstream (plugin adapters, the service) reads it
and never the raw id_token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MESSAGE_RESOURCE_LINK = "LtiResourceLinkRequest"
MESSAGE_DEEP_LINKING = "LtiDeepLinkingRequest"


@dataclass(frozen=True, slots=True)
class Context:
    """The LTI context: for Relais, a class (or a course)."""

    id: str
    label: str = ""
    title: str = ""
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceLink:
    """The LTI resource link: one placement of Relais in a class."""

    id: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class DeepLinkingSettings:
    """What the platform accepts back from a deep-linking picker."""

    deep_link_return_url: str
    accept_types: tuple[str, ...]
    accept_presentation_document_targets: tuple[str, ...]
    accept_multiple: bool = False
    auto_create: bool = False
    title: str = ""
    text: str = ""
    data: str | None = None


@dataclass(frozen=True, slots=True)
class NamesRoleService:
    """The NRPS endpoint of the class, when the platform offers one."""

    context_memberships_url: str
    service_versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LaunchData:
    """One validated LTI 1.3 launch.

    ``roles`` keeps the platform's strings as sent (full URIs or short names); adapters
    interpret them. ``custom`` holds the custom parameters (link or platform level) as strings.
    """

    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    version: str
    target_link_uri: str
    sub: str | None
    roles: tuple[str, ...]
    nonce: str
    resource_link: ResourceLink | None = None
    context: Context | None = None
    role_scope_mentor: tuple[str, ...] = ()
    custom: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    locale: str = ""
    document_target: str = ""
    return_url: str = ""
    platform_guid: str = ""
    platform_name: str = ""
    product_family_code: str = ""
    deep_linking: DeepLinkingSettings | None = None
    names_role_service: NamesRoleService | None = None
    # Claims Relais does not model are kept, read-only, for adapters that need them (e.g. the
    # SDET profile of a French ENT arrives in a custom claim whose name varies per ENT).
    extra_claims: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
