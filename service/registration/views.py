"""``/lti/register/<token>``: the page a platform opens to register Relais in one paste.

The platform's admin pastes the one-time link into the platform (Moodle 4.x: "LTI Advantage"
tool URL; Canvas, Brightspace: dynamic registration URL). The platform opens it in an iframe or
a new window with ``openid_configuration`` and a ``registration_token``; Relais fetches the
configuration, registers, stores the platform and ends with the LTI close message. Every
failure is a coded page, the link stays usable, and nothing is stored.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request

from lti.dynamic_registration import (
    ToolDescription,
    fetch_configuration,
    read_initiation,
    register,
)
from service import db
from service.errors import ServiceError
from service.launch import runtime
from service.platforms.registry import PlatformInput
from service.privacy import audit
from service.registration import links
from service.registration.cli import commands
from service.security import origin_of

log = logging.getLogger(__name__)

bp = Blueprint("registration", __name__, cli_group=None)
for _command in commands:
    bp.cli.add_command(_command)


def tool_description() -> ToolDescription:
    """What Relais says about itself to every platform."""
    tool = runtime.tool_config()
    base = tool.base_url.rstrip("/")
    return ToolDescription(
        client_name=str(current_app.config["REGISTRATION_CLIENT_NAME"]),
        initiate_login_uri=tool.login_url,
        redirect_uris=(tool.launch_url,),
        jwks_uri=tool.jwks_url,
        target_link_uri=f"{base}/home",
        deep_linking_uri=f"{base}/home",
        logo_uri=f"{base}/static/relais-logo.svg",
        description=str(current_app.config["REGISTRATION_DESCRIPTION"]),
        custom_parameters=dict(current_app.config["REGISTRATION_CUSTOM_PARAMETERS"]),
    )


@bp.get("/lti/register/<token>")
def start(token: str) -> tuple[str, int]:
    # The platform shows this page in its own iframe: let that origin frame it, success or not.
    framer = origin_of(request.args.get("openid_configuration", "").strip())
    if framer:
        g.frame_ancestors = (framer,)
    link_id = links.claim(token)
    try:
        initiation = read_initiation(request.args)
        http = runtime.http_client()
        configuration = fetch_configuration(http, initiation.configuration_url)
        result = register(http, configuration, tool_description(),
                          initiation.registration_token)
        if result.deployment_id is None:
            # Registered on the platform's side, but without a deployment no launch can be
            # accepted: the operator finishes with `relais platform add`.
            log.warning("registration without deployment_id: issuer=%s client_id=%s",
                        configuration.issuer, result.client_id)
            raise ServiceError("registration_deployment_missing", 502)
        adapter = "moodle" if configuration.product_family_code == "moodle" else "generic"
        issuer = urlsplit(configuration.issuer)
        name = links.free_name((issuer.netloc + issuer.path).rstrip("/"),
                               configuration.issuer, result.client_id)
        platform = links.complete(
            link_id,
            PlatformInput(
                name=name,
                issuer=configuration.issuer,
                client_id=result.client_id,
                auth_login_url=configuration.authorization_endpoint,
                auth_token_url=configuration.token_endpoint,
                jwks_url=configuration.jwks_uri,
                deployment_ids=(result.deployment_id,),
                adapter=adapter,
            ),
        )
    except ValueError as error:
        links.release(link_id)
        log.warning("registration refused by the registry: %s", error)
        raise ServiceError("registration_configuration_invalid", 502) from error
    except BaseException:
        links.release(link_id)
        raise
    log.info("registered platform %s (issuer %s, client %s, deployment %s, adapter %s)",
             platform.name, platform.issuer, platform.client_id, result.deployment_id, adapter)
    with db.transaction() as tx:
        audit.record(tx, platform.id, "platform_registered", actor_kind="operator",
                     detail=f"{configuration.product_family_code or 'lti'} "
                            f"{configuration.version}".strip()[:300])
    return render_template("registration/done.html", platform=platform, adapter=adapter), 200
