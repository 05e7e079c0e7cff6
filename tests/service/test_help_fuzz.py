"""Whatever is typed into 'be called back', the answer is a stored, clean request or a form
with its errors — never a 5xx, never a partial row, never raw markup echoed back."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service import db
from service.help.models import MOMENTS, HelpRequest
from service.schools.models import School
from tests.conftest import https_client
from tests.helpers import LaunchHelper
from tests.lti.platform import FakePlatform
from tests.service.test_help_support import VALID, count, csrf_of, make_school, platform_id

NASTY = [
    "", " ", "<script>alert(1)</script>", "\"><svg onload=alert(1)>", "' OR 1=1 --",
    "\x00", "\u202e", "\ud7ff", "é" * 600, "06 12 34 56 78", "+33 6 12 34 56 78", "yes",
    "morning", "fr", "other", "&amp;", "{{ 7*7 }}", "%(x)s", "\r\n", "ً", "٠٦١٢٣٤٥٦٧٨",
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=80),
                 st.text(alphabet=st.characters(codec="utf-8"), max_size=600))
# Wizard values around their column sizes (step 40, device 20).
slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{10,45}", fullmatch=True)
field_values = st.fixed_dictionaries(
    {},
    optional={
        "phone": text,
        "language": st.one_of(text, st.sampled_from(["fr", "ar", "xx"])),
        "topic": st.one_of(text, st.sampled_from(["bourse", "other", "nope"])),
        "first_name": text,
        "message": text,
        "consent": st.one_of(text, st.just("yes")),
        "moments": st.lists(st.one_of(text, st.sampled_from(MOMENTS)), max_size=7),
        "step": st.one_of(text, st.just("email"), slugs),
        "device": st.one_of(text, st.just("iphone"), slugs),
    },
)
# One field changed in an otherwise valid form: the bad field alone must be caught.
one_bad_field = st.sampled_from(sorted(VALID)).flatmap(
    lambda name: (st.lists(text, max_size=3) if name == "moments" else text).map(
        lambda value: {**VALID, name: value}
    )
)
forms = st.one_of(field_values, one_bad_field)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _clean(value: str) -> bool:
    return not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|<\s*[a-zA-Z/!?]", value)


def _check(app: Flask, client: FlaskClient, url: str, fields: dict) -> None:
    before = count(app, "help_request")
    response = client.post(url, data={"csrf_token": csrf_of(client.get(url)), **fields})
    assert response.status_code in (303, 400), response.status_code
    event(f"answered {response.status_code}")
    if response.status_code == 400:
        assert count(app, "help_request") == before
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html and "<svg onload" not in html
        return
    with app.app_context():
        saved = db.session().scalars(select(HelpRequest).order_by(HelpRequest.id.desc())).first()
        assert saved is not None
        assert re.fullmatch(r"\+\d{6,15}", saved.phone or "")
        assert saved.consent_at is not None
        assert _clean(saved.first_name) and _clean(saved.message.replace("\n", ""))
        assert len(saved.message) <= 500 and len(saved.first_name) <= 50


@FUZZ
@given(fields=forms)
def test_the_ent_form_never_fails(app: Flask, client: FlaskClient, launcher: LaunchHelper,
                                  fields: dict) -> None:
    if client.get("/aide/rappel").status_code != 200:
        launcher.as_(client, "parent")  # once: the client keeps its session between examples
    _check(app, client, "/aide/rappel", fields)


@FUZZ
@given(fields=forms)
def test_the_public_form_never_fails(app: Flask, platform: FakePlatform, fields: dict) -> None:
    app.config["HELP_PUBLIC_TRIES_LIMIT"] = "10000/hour"
    app.config["HELP_PUBLIC_SUBMIT_LIMIT"] = "10000/hour"
    with app.app_context():
        if db.session().scalar(select(School.id).where(School.slug == "fuzz")) is None:
            make_school(app, platform_id(app, platform), "fuzz")
    _check(app, https_client(app), "/e/fuzz/rappel", fields)
