"""``/lti/login``, ``/lti/launch``, ``/lti/jwks`` and the ways through blocked cookies.

Browser-bound state rides in a partitioned cookie (CHIPS), which survives a cross-site iframe
where third-party cookies are blocked. When the platform offers its own storage
(``lti_storage_target``), a secret is also put there by postMessage. When neither comes back,
the launch is restarted at top level in a new window, where first-party cookies work. Nothing
that grants access travels in a URL.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from lti.launch import validate
from lti.oidc import begin_login
from plugin import get_adapter
from service import db
from service.admin.settings import adapter_settings
from service.errors import ServiceError
from service.identity import bounded_id, sign_in
from service.launch import handoff as handoff_codes
from service.launch import login_tokens, runtime
from service.launch.tool_keys import tool_key_set
from service.security import origin_of
from service.teachers.launch import after_launch, take_landing

bp = Blueprint("launch", __name__)

STATE_COOKIE = "relais_state_"
_MAX_FIELD = 20_000


def _params() -> dict[str, str]:
    """GET and POST parameters as plain strings; anything oversized is dropped here so
    that ``lti`` reports it missing or invalid with its own code."""
    return {k: v for k, v in request.values.items() if len(v) <= _MAX_FIELD}


def _set_state_cookie(response: Response, state: str) -> None:
    response.set_cookie(
        STATE_COOKIE + login_tokens.short_name(state),
        state,
        max_age=int(current_app.config["LOGIN_TTL_SECONDS"]),
        path="/lti/",
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
    )


def _browser_state(state: str) -> str | None:
    value = request.cookies.get(STATE_COOKIE + login_tokens.short_name(state))
    if value and hmac.compare_digest(value, state):
        return state
    return None


def _has_any_state_cookie() -> bool:
    """Whether this browser keeps our state cookies here at all.

    A browser that sends the state cookie of another login but not this one's keeps cookies:
    the state was not started by it (a forged or stolen launch), which is a mismatch and
    never a case for the cookie-less ways round.
    """
    return any(name.startswith(STATE_COOKIE) for name in request.cookies)


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    auth = begin_login(
        _params(),
        registrations=runtime.registrations,
        tool=runtime.tool_config(),
        new_state=login_tokens.new_state,
        new_nonce=login_tokens.new_nonce,
    )
    if auth.storage_target:
        response = make_response(
            render_template(
                "launch/storage_put.html",
                auth_url=auth.url,
                target=auth.storage_target,
                platform_origin=origin_of(auth.registration.auth_login_url),
                key=f"relais_{login_tokens.short_name(auth.state)}",
                value=login_tokens.storage_secret(auth.state),
            )
        )
    else:
        response = redirect(auth.url, code=302)
    _set_state_cookie(response, auth.state)
    return response


@bp.post("/lti/launch")
def launch() -> Response | tuple[str, int] | str:
    form = _params()
    state = form.get("state", "")
    browser_state = _browser_state(state) if state else None
    cookies_work = browser_state is not None
    if (
        browser_state is None
        and state
        and not _has_any_state_cookie()
        and not runtime.nonces.was_used(form.get("id_token"))
    ):
        params = login_tokens.login_params(state)
        secret = form.get("relais_storage_secret")
        if params is not None and params.get("lti_storage_target") and secret != "":
            if secret is None:
                # Ask the platform's storage for the secret we put there at login time.
                return render_template(
                    "launch/storage_get.html",
                    form=form,
                    target=params["lti_storage_target"],
                    platform_origin=_platform_origin(str(params.get("iss", ""))),
                    key=f"relais_{login_tokens.short_name(state)}",
                )
            if hmac.compare_digest(secret, login_tokens.storage_secret(state)):
                browser_state = state
        elif params is not None:
            # Neither cookie nor platform storage (it answered nothing, e.g. it timed out):
            # restart at top level, in a new window.
            return render_template("launch/new_window.html", state=state), 200

    data = validate(
        form,
        browser_state=browser_state,
        registrations=runtime.registrations,
        keys=runtime.platform_keys(),
        nonces=runtime.nonces,
        clock=runtime.clock(),
        tool=runtime.tool_config(),
    )
    platform = runtime.registrations.platform(data.issuer, data.client_id)
    if platform is None:  # removed between validation and now
        raise ServiceError("platform_unknown", 400)
    # How this platform says who is a parent, a teacher, an admin (its admins set it).
    settings = adapter_settings(platform.platform_id, db.session())
    context = get_adapter(platform.adapter).to_context(data, settings)
    # Ids beyond our 255-character columns travel on as their hash, everywhere.
    context = replace(
        context, class_id=bounded_id(context.class_id), link_id=bounded_id(context.link_id)
    )
    sign_in(platform.platform_id, platform.name, context)
    # A deep-linking request lands on the picker, a link's view on its page.
    after_launch(data, context, platform.platform_id)
    if not cookies_work:
        # The launch is proven, but this iframe keeps no cookie: continue in a new window
        # with a one-time code carried in a POST body.
        return render_template("launch/handoff.html", code=handoff_codes.issue(dict(session))), 200
    response = redirect(take_landing() or url_for("home.home"), code=303)
    response.delete_cookie(
        STATE_COOKIE + login_tokens.short_name(state),
        path="/lti/",
        secure=True,
        samesite="None",
        partitioned=True,
    )
    return response


def _platform_origin(issuer: str) -> str | None:
    found = runtime.registrations.platforms(issuer)
    return origin_of(found[0].registration.auth_login_url) if found else None


@bp.post("/lti/handoff")
def handoff() -> Response:
    data = handoff_codes.redeem(request.form.get("code", ""))
    if data is None:
        raise ServiceError("session_missing", 401)
    session.clear()
    session.update(data)
    session.permanent = True
    return redirect(take_landing() or url_for("home.home"), code=303)


@bp.post("/lti/relaunch")
def relaunch() -> Response:
    """Restart the OIDC flow at top level with the parameters of a login whose cookie the
    iframe lost. The platform authenticates the person again; nothing is carried over."""
    params = login_tokens.login_params(request.form.get("state", ""))
    if params is None:
        raise ServiceError("login_expired", 400)
    # At top level there is no platform frame to keep storage for us; first-party cookies work.
    params.pop("lti_storage_target", None)
    return redirect(url_for("launch.login", **params), code=303)


@bp.get("/lti/jwks")
@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(tool_key_set().jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
