"""The picker's items and the signed answer posted back to the platform.

Each item is an ``ltiResourceLink`` whose custom parameters say who it is for
(``audience=parents``) and what it opens (``view=help|wizard|events``), with the options the
teacher chose (``languages`` shown first, ``topics`` shown). The platform shows the title to the
whole class, so titles are written in French, as the school's own pages are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lti.deep_linking import build_response
from lti.launch_data import MESSAGE_DEEP_LINKING, DeepLinkingSettings, LaunchData
from service import db
from service.launch import runtime
from service.launch.tool_keys import tool_key_set
from service.platforms.models import Platform
from service.teachers.models import DeepLinkRequest
from service.topics import TOPICS

RESOURCE_LINK = "ltiResourceLink"

# view -> (title, text) as the platform shows them in the class.
ITEMS: dict[str, tuple[str, str]] = {
    "help": ("Espace parents : besoin d'aide ?",
             "Se connecter, retrouver un mot de passe, suivre la scolarité : de l'aide pas à "
             "pas et des personnes près de chez vous."),
    "wizard": ("Espace parents : se connecter pas à pas",
               "Un parcours simple pour installer l'application et se connecter, à votre "
               "rythme."),
    "events": ("Espace parents : les prochains rendez-vous",
               "Cafés des parents, ateliers, réunions : les moments pour se rencontrer et se "
               "faire aider."),
}


def accepts_links(request: DeepLinkRequest) -> bool:
    return RESOURCE_LINK in (request.accept_types or ())


def items(views: Sequence[str], *, languages: Sequence[str], topics: Sequence[str]) -> list[
        dict[str, Any]]:
    """One ``ltiResourceLink`` per chosen view, with its custom parameters (strings only, as
    LTI wants). ``topics`` is left out when every topic is kept (a topic added later shows)."""
    launch_url = runtime.tool_config().launch_url
    out = []
    for view in views:
        title, text = ITEMS[view]
        custom = {"audience": "parents", "view": view}
        if languages:
            custom["languages"] = ",".join(languages)
        if view == "help" and topics and set(topics) != set(TOPICS):
            custom["topics"] = ",".join(t for t in TOPICS if t in topics)
        out.append({"type": RESOURCE_LINK, "title": title, "text": text, "url": launch_url,
                    "custom": custom})
    return out


def _launch(request: DeepLinkRequest) -> LaunchData:
    """The parts of the original launch the answer echoes (``lti`` builds answers from a
    ``LaunchData``; the rest of the launch is not needed and not kept)."""
    platform = db.session().get(Platform, request.platform_id)
    if platform is None:
        raise LookupError("the platform of this deep-linking request is gone")
    return LaunchData(
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_id=request.deployment_id,
        message_type=MESSAGE_DEEP_LINKING,
        version=request.version,
        target_link_uri=runtime.tool_config().launch_url,
        sub=request.user_id or None,
        roles=(),
        nonce="",
        deep_linking=DeepLinkingSettings(
            deep_link_return_url=request.return_url,
            accept_types=tuple(request.accept_types or ()),
            accept_presentation_document_targets=(),
            accept_multiple=request.accept_multiple,
            data=request.data,
        ),
    )


def answer(request: DeepLinkRequest, chosen: list[dict[str, Any]], *, msg: str | None = None,
           errormsg: str | None = None) -> str:
    """The signed ``LtiDeepLinkingResponse`` for ``chosen`` (lti's checks apply: types and
    multiplicity)."""
    return build_response(_launch(request), chosen, key_set=tool_key_set(),
                          clock=runtime.clock(), msg=msg, errormsg=errormsg)
