"""The sandbox platform, served on its own origin beside Relais (``relais run --sandbox``)."""

from __future__ import annotations

import html
import json
import threading
import time
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, request
from werkzeug.serving import make_server

from lti.keys import ToolKeySet, generate_key_record, sign_jwt
from service.sandbox.personas import PERSONAS, launch_claims

CLIENT_ID = "relais-sandbox"
DEPLOYMENT_ID = "sandbox-deployment"
NAME = "Bac à sable"


def create_sandbox_app(tool_url: str, sandbox_url: str) -> Flask:
    """The platform side only: course page with the iframe, auth endpoint, key set."""
    app = Flask("relais_sandbox")
    record = generate_key_record(time.time(), activate=True)
    keys = ToolKeySet.from_records([record], time.time(), 0)
    tool = tool_url.rstrip("/")
    issuer = sandbox_url.rstrip("/")
    login_url = f"{tool}/lti/login"
    launch_url = f"{tool}/lti/launch"

    @app.get("/")
    def course() -> str:
        persona = request.args.get("as", "")
        buttons = "".join(
            f'<li><a class="persona" href="/?as={key}" data-as="{key}">'
            f"Ouvrir comme {html.escape(p['label'].lower())}</a></li>"
            for key, p in PERSONAS.items()
        )
        frame = ""
        if persona in PERSONAS:
            query = urlencode(
                {
                    "iss": issuer,
                    "login_hint": persona,
                    "target_link_uri": f"{tool}/home",
                    "client_id": CLIENT_ID,
                    "lti_deployment_id": DEPLOYMENT_ID,
                    "lti_message_hint": "sandbox",
                }
            )
            frame = (
                f'<iframe id="relais" name="relais" title="Relais" src="{login_url}?{query}" '
                'allow="storage-access"></iframe>'
            )
        return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plateforme d'essai · Relais</title><style>
body{{font-family:system-ui,sans-serif;margin:0;background:#eef1f5;color:#1b1b1f}}
header{{background:#263238;color:#fff;padding:.5rem 1rem}}
ul{{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;padding:0 1rem}}
a.persona{{display:inline-flex;align-items:center;box-sizing:border-box;padding:.6rem .9rem;
background:#fff;border:2px solid #1d4f91;border-radius:.4rem;color:#1d4f91;text-decoration:none;
min-height:44px}}
iframe{{width:100%;height:80vh;border:0;background:#fff}}</style></head>
<body><header><strong>Plateforme d'essai</strong> — Collège Jean Moulin, classe de 5e B</header>
<main><p style="padding:0 1rem">Choisissez qui ouvre Relais :</p><ul>{buttons}</ul>
{frame}</main></body></html>"""

    @app.get("/auth")
    def auth() -> Response:
        args = request.args
        if args.get("redirect_uri") != launch_url or args.get("client_id") != CLIENT_ID:
            abort(400, "redirect_uri or client_id not registered")
        if (args.get("scope"), args.get("response_type")) != ("openid", "id_token"):
            abort(400, "unsupported authentication request")
        persona = args.get("login_hint", "")
        if persona not in PERSONAS:
            abort(400, "unknown login_hint")
        claims = launch_claims(
            persona, issuer=issuer, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID,
            nonce=args.get("nonce", ""), target_link_uri=f"{tool}/home", now=int(time.time()),
        )
        id_token = sign_jwt(claims, keys.signing_key())
        body = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Connexion</title></head><body>
<form id="f" method="post" action="{html.escape(launch_url)}">
<input type="hidden" name="id_token" value="{id_token}">
<input type="hidden" name="state" value="{html.escape(args.get('state', ''))}">
<noscript><button type="submit">Continuer</button></noscript></form>
<script>document.getElementById('f').submit();</script></body></html>"""
        return Response(body, mimetype="text/html")

    @app.get("/jwks")
    def jwks() -> Response:
        return Response(json.dumps(keys.jwks()), mimetype="application/json")

    @app.post("/token")
    def token() -> Response:
        return Response(json.dumps({"error": "unsupported_grant_type"}), 400,
                        mimetype="application/json")

    return app


def register_sandbox(tool_app: Flask) -> None:
    """Register the sandbox as a platform of this Relais, with its demo school and events
    (idempotent)."""
    from service.events.demo import seed_sandbox
    from service.platforms.registry import PlatformInput, register

    sandbox = str(tool_app.config["SANDBOX_URL"]).rstrip("/")
    with tool_app.app_context():
        platform = register(
            PlatformInput(
                name=NAME,
                issuer=sandbox,
                client_id=CLIENT_ID,
                auth_login_url=f"{sandbox}/auth",
                auth_token_url=f"{sandbox}/token",
                jwks_url=f"{sandbox}/jwks",
                deployment_ids=(DEPLOYMENT_ID,),
            )
        )
        seed_sandbox(platform.id)


def start_sandbox(tool_app: Flask) -> threading.Thread:
    """Serve the sandbox platform in a background thread, on SANDBOX_URL's host and port."""
    tool_app.config["SANDBOX"] = True
    register_sandbox(tool_app)
    sandbox_url = str(tool_app.config["SANDBOX_URL"])
    parts = urlsplit(sandbox_url)
    app = create_sandbox_app(str(tool_app.config["BASE_URL"]), sandbox_url)
    server = make_server(parts.hostname or "127.0.0.1", parts.port or 80, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    print(f"Sandbox platform: {sandbox_url}/  (open it and click a role)")  # noqa: T201
    return thread
