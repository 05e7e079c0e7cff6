"""Self-verifying OIDC state and nonce: a login writes nothing to the database.

The state carries the login parameters (to restart the flow at top level when an iframe kept
no cookie) and the nonce the issuer it was sent to, both signed with the app's secret and
timestamped. A forged or expired value fails its signature check, so a nonce "never issued"
is recognised without a lookup; "used once" is enforced at launch by a single INSERT of the
nonce (see ``SqlNonceStore``). This halves the work of a launch: measured, the ORM insert and
commit of a login row was about half of the login request's CPU.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadData

from lti.oidc import LoginRequest
from service.signing import Signed

# What a relaunch at top level needs to start the same login again.
_SAVED = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id",
          "lti_deployment_id", "lti_storage_target")


def _serializer(salt: str) -> Signed:
    cache = current_app.extensions.setdefault("relais_login_serializers", {})
    if salt not in cache:
        cache[salt] = Signed(current_app.config["SECRET_KEY"], salt=salt)
    return cache[salt]  # type: ignore[no-any-return]


def _ttl() -> int:
    return int(current_app.config["LOGIN_TTL_SECONDS"])


def _issuer_tag(issuer: str) -> str:
    return hashlib.sha256(issuer.encode()).hexdigest()[:12]


def new_state(login: LoginRequest) -> str:
    params = {k: getattr(login, k) for k in _SAVED if getattr(login, k) is not None}
    # The random part makes every state unique, even for the same login parameters.
    return _serializer("relais.lti.state").dumps({"r": secrets.token_urlsafe(12), "p": params})


def login_params(state: str) -> dict[str, Any] | None:
    """The parameters of the login that minted ``state``; None if forged or expired."""
    if not state or len(state) > 4096:
        return None
    try:
        data = _serializer("relais.lti.state").loads(state, max_age=_ttl())
    except BadData:
        return None
    params = data.get("p") if isinstance(data, dict) else None
    return params if isinstance(params, dict) else None


def new_nonce(login: LoginRequest) -> str:
    nonce = [secrets.token_urlsafe(12), _issuer_tag(login.iss)]
    return _serializer("relais.lti.nonce").dumps(nonce)


def nonce_issued_for(nonce: str, issuer: str) -> bool:
    """Whether we minted ``nonce`` for ``issuer`` less than the login lifetime ago."""
    if not nonce or len(nonce) > 512:
        return False
    try:
        data = _serializer("relais.lti.nonce").loads(nonce, max_age=_ttl())
    except BadData:
        return False
    return isinstance(data, list) and len(data) == 2 and data[1] == _issuer_tag(issuer)


def storage_secret(state: str) -> str:
    """The value put in the platform's storage for ``state``: derived, so nothing is stored."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"relais.lti.storage:" + state.encode(), hashlib.sha256).hexdigest()


def short_name(state: str) -> str:
    """A short, unique name for per-login cookies and storage keys."""
    return hashlib.sha256(state.encode()).hexdigest()[:20]
