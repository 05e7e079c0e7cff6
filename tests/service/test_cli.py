"""The ``relais`` command: platforms, keys, database; and launches of a platform it registered.
"""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, inspect, select, text

from service import db
from service.launch.tool_keys import tool_key_set
from service.platforms.models import Deployment, Platform
from tests.conftest import https_client, make_app
from tests.helpers import LIS, LaunchHelper
from tests.lti.platform import TOOL_BASE_URL, FakePlatform
from tests.service.test_launch import rejected
from tests.service.test_security import checked

ENT = FakePlatform(issuer="https://ent.example.net", client_id="relais-ent", deployment_id="d-1")


def add_args(fake: FakePlatform = ENT, **changes: Any) -> list[str]:
    options = {
        "--issuer": fake.issuer,
        "--client-id": fake.client_id,
        "--auth-login-url": fake.auth_login_url,
        "--auth-token-url": fake.auth_token_url,
        "--jwks-url": fake.jwks_url,
        "--deployment-id": fake.deployment_id,
        "--adapter": "generic",
        "--name": "Collège Jean Moulin",
        **changes,
    }
    args = ["platform", "add"]
    for name, value in options.items():
        for one in value if isinstance(value, list) else [value]:
            args += [name, one]
    return args


def invoke(runner: Any, *args: str | list[str]) -> Result:
    flat: list[str] = []
    for arg in args:
        flat += arg if isinstance(arg, list) else [arg]
    return runner.invoke(args=flat)


def platform_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Platform)) or 0


@pytest.fixture
def ent(app: Flask, runner: Any) -> FakePlatform:
    """ENT registered by the command line, its key set served."""
    result = invoke(runner, add_args())
    assert result.exit_code == 0, result.output
    app.extensions["relais_http"].documents[ENT.jwks_url] = ENT.jwks()
    return ENT


# --- launches of a platform registered by `relais platform add` -------------------------------

ROLES = {
    "parent": {"roles": [LIS + "membership#Mentor"], "role_scope_mentor": ["pupil-1", "pupil-2"]},
    "teacher": {"roles": [LIS + "membership#Instructor"]},
    "admin": {"roles": [LIS + "institution/person#Administrator"]},
    "learner": {"roles": [LIS + "membership#Learner"]},
}


@pytest.mark.parametrize("audience", ROLES)
def test_each_role_lands_on_its_home(app: Flask, ent: FakePlatform, audience: str):
    client = https_client(app)
    # No custom parameter on the link: the roles alone decide.
    response = LaunchHelper(app, ent).launch(client, audience, custom={}, **ROLES[audience])
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    home = client.get(response.headers["Location"])
    assert home.status_code == 200
    assert checked(home).audience == audience
    assert "Collège Jean Moulin" in home.get_data(as_text=True)


# --- platform add / list / remove -------------------------------------------------------------


def test_add_then_list(app: Flask, runner, ent):
    result = invoke(runner, "platform", "list")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Collège Jean Moulin\thttps://ent.example.net\tclient=relais-ent\tadapter=generic\t"
        "deployments=d-1"
    ]


def test_add_again_updates_and_adds_deployments(app: Flask, runner, ent):
    result = invoke(runner, add_args(**{"--deployment-id": ["d-1", "d-2"], "--adapter": "ent"}))
    assert result.exit_code == 0, result.output
    assert platform_count(app) == 1
    with app.app_context():
        deployments = db.session().scalars(select(Deployment.deployment_id)).all()
        adapter = db.session().scalar(select(Platform.adapter))
    assert sorted(deployments) == ["d-1", "d-2"]
    assert adapter == "ent"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"--jwks-url": "not a url"}, "jwks_url"),
        ({"--issuer": "ftp://ent.example.net"}, "issuer"),
        ({"--auth-login-url": "https://"}, "auth_login_url"),
        ({"--auth-token-url": "javascript:alert(1)"}, "auth_token_url"),
        ({"--client-id": ""}, "client_id"),
        ({"--deployment-id": ""}, "deployment_ids"),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(app: Flask, runner, changes, field):
    result = invoke(runner, add_args(**changes))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {field}: ")
    assert "Traceback" not in result.output
    assert platform_count(app) == 0


def test_a_name_already_taken_is_explained(app: Flask, runner, ent):
    other = FakePlatform(issuer="https://autre.example.net")
    result = invoke(runner, add_args(other))
    assert result.exit_code == 1
    assert "already named 'Collège Jean Moulin'" in result.output
    assert platform_count(app) == 1


def test_an_unknown_adapter_is_refused_by_the_option(app: Flask, runner):
    result = invoke(runner, add_args(**{"--adapter": "blackboard"}))
    assert result.exit_code == 2
    assert "blackboard" in result.output
    assert platform_count(app) == 0


def test_remove_stops_launches_at_once(app: Flask, runner, ent):
    client = https_client(app)
    helper = LaunchHelper(app, ent)
    assert helper.launch(client, "teacher").status_code == 303  # caches the registration
    result = invoke(runner, "platform", "remove", "Collège Jean Moulin")
    assert result.exit_code == 0
    assert result.output == "removed Collège Jean Moulin\n"
    assert platform_count(app) == 0
    assert invoke(runner, "platform", "list").output == ""
    response = client.get("/lti/login", query_string={
        "iss": ent.issuer, "login_hint": "u", "target_link_uri": TOOL_BASE_URL + "/home"})
    rejected(response, "platform_unknown", 403)
    # and it may no longer frame Relais
    assert ent.issuer not in response.headers["Content-Security-Policy"]


def test_remove_an_unknown_platform(app: Flask, runner):
    result = invoke(runner, "platform", "remove", "nobody")
    assert result.exit_code == 1
    assert "no platform named 'nobody'" in result.output


# --- keys ---------------------------------------------------------------------------------


def test_keys_rotate_changes_the_signing_key_and_keeps_the_old_one_published(app: Flask, runner):
    client = https_client(app)
    before = client.get("/lti/jwks").get_json()  # the first keys: current and next
    with app.app_context():
        old = tool_key_set()
    assert old.current is not None and old.next is not None
    assert [k["kid"] for k in before["keys"]] == [old.next.kid, old.current.kid]

    result = invoke(runner, "keys", "rotate")
    assert result.exit_code == 0, result.output
    assert result.output == f"signing with {old.next.kid}; published: 3 keys\n"
    with app.app_context():
        new = tool_key_set()
    assert new.signing_key().kid == old.next.kid != old.current.kid
    kids = [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]]
    assert new.next is not None
    assert kids == [new.next.kid, old.next.kid, old.current.kid]
    assert kids == [k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]]


def test_keys_rotate_on_an_empty_database_creates_the_first_keys(app: Flask, runner):
    result = invoke(runner, "keys", "rotate")
    assert result.exit_code == 0
    with app.app_context():
        keys = tool_key_set()
    assert keys.current is not None
    assert result.output == f"signing with {keys.current.kid}; published: 2 keys\n"


# --- db upgrade -------------------------------------------------------------------------


def test_db_upgrade_is_idempotent(app: Flask, runner, ent):
    for _ in range(2):
        result = invoke(runner, "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert result.output == "database is up to date\n"
    assert platform_count(app) == 1  # data kept


def test_db_upgrade_creates_a_fresh_database_then_changes_nothing(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", str(tmp_path))
    try:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        engine = app.extensions["relais_engine"]
        tables = set(inspect(engine).get_table_names())
        assert {"platform", "deployment", "lti_nonce", "lti_handoff", "tool_key"} <= tables
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert set(inspect(engine).get_table_names()) == tables
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == (
                version
            )
    finally:
        app.extensions["relais_engine"].dispose()
