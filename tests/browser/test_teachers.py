"""Issue 5 in a real Chromium: the real service (``relais run``) and a stub platform served for
real on another site (127.0.0.1) that frames it, signs launches, serves NRPS and receives
deep-linking answers.

- a teacher's "Sélectionner un contenu" inside the platform's iframe: the picker, the signed
  answer auto-posted back and accepted by the platform (joserfc, the tool's JWKS), then the
  created link opening a parent straight into its view;
- the class pages (settings, events, flyer, families with the NRPS class list): zero axe
  violations, screenshots (phone, and Arabic right to left);
- the flyer printed by Chromium (``page.pdf``) on exactly one A4 page (and one A5 page), its QR
  code read back from a screenshot with zxing-cpp, its "Imprimer" button present only with
  JavaScript.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from tests.browser.support import (
    PHONE,
    axe_violations,
    describe_violations,
    run_relais,
    screenshot,
)
from tests.stub_platform import ROLE_INSTRUCTOR, StubPlatform, learner, serve

pytestmark = pytest.mark.browser

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CLASS = {"id": "course-6a", "label": "6A", "title": "Sixième A"}
TEACHER = {"sub": "teacher-1", "roles": [LIS + "membership#Instructor"], "custom": {},
           "context": CLASS, "name": "Claire Martin", "given_name": "Claire"}
PARENT = {"sub": "parent-1", "roles": [LIS + "membership#Mentor"], "context": CLASS,
          "custom": {"audience": "parents"},
          "role_scope_mentor": ["pupil-1"], "name": "Amina Benali", "given_name": "Amina"}
PUPILS = [learner(n, given, family) for n, (given, family) in enumerate([
    ("Yanis", "Benali"), ("Inès", "Carvalho"), ("Emre", "Demir"), ("Lina", "Haddad"),
    ("Noah", "Martin"), ("Sara", "Ouali"),
], start=1)]


@dataclass
class Live:
    tool_url: str
    stub: StubPlatform
    school_slug: str


def _relais(env: dict[str, str], *args: str) -> str:
    from tests.browser.support import _relais_command

    result = subprocess.run([*_relais_command(), *args], env=env, capture_output=True,
                            text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    tool: dict[str, str] = {}

    def tool_jwks() -> dict[str, Any]:
        with urllib.request.urlopen(tool["url"] + "/lti/jwks", timeout=5) as response:  # noqa: S310
            return dict(json.loads(response.read()))

    stub = StubPlatform(tool_jwks=tool_jwks, client_id="relais-browser", course=CLASS["id"],
                        members=[{"user_id": "teacher-1", "roles": [ROLE_INSTRUCTOR]}, *PUPILS],
                        page_size=4)
    with serve(stub), tempfile.TemporaryDirectory(prefix="relais-teachers-") as tmp:
        assert stub.fake is not None
        database = f"sqlite:///{tmp}/relais.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
        env.update(RELAIS_DATABASE_URL=database, RELAIS_SECRET_KEY="browser-tests-only")
        # Registered before the service starts: its caches of platforms and origins start full.
        _relais(env, "db", "upgrade")
        _relais(env, "platform", "add", "--name", "Moodle du collège",
                "--issuer", stub.fake.issuer, "--client-id", stub.client_id,
                "--auth-login-url", stub.fake.auth_login_url,
                "--auth-token-url", stub.token_url, "--jwks-url", stub.fake.jwks_url,
                "--deployment-id", stub.deployment_id, "--adapter", "generic")
        _relais(env, "school", "add", "--platform", "Moodle du collège",
                "--name", "Collège Jean Moulin", "--commune", "Lyon", "--postcode", "69008")
        listed = _relais(env, "school", "list", "--platform", "Moodle du collège")
        slug = listed.split("/e/", 1)[1].split()[0]
        with run_relais(DATABASE_URL=database, SECRET_KEY="browser-tests-only") as relais:
            tool["url"] = stub.tool_url = relais.tool_url
            yield Live(relais.tool_url, stub, slug)


def assert_accessible(target: Page | Frame) -> None:
    violations = axe_violations(target)
    assert violations == [], describe_violations(violations)


def open_course(page: Page, live: Live, **launch: Any) -> Frame:
    """The platform's course page with Relais in its iframe, launched as ``launch`` says."""
    live.stub.next_launch = dict(launch)
    page.goto(live.stub.url + "/course")
    inside = page.frame_locator("iframe#relais")
    inside.locator("body[data-audience], body[data-error]").wait_for(timeout=15_000)
    frame = page.locator("iframe#relais").element_handle().content_frame()
    assert frame is not None
    frame.wait_for_load_state("load")
    assert frame.locator("body").get_attribute("data-error") is None, frame.content()[:2000]
    return frame


def launch_at_top(page: Page, live: Live, **launch: Any) -> None:
    """The launch a phone makes: Relais replaces the platform's window (first-party cookies)."""
    live.stub.next_launch = dict(launch)
    page.goto(live.stub.url + "/course")
    src = page.locator("iframe#relais").get_attribute("src")
    assert src
    page.goto(src)
    page.locator("body[data-audience]").wait_for(timeout=15_000)


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="fr-FR")
    yield context
    context.close()


# --- deep linking ------------------------------------------------------------------------------


def test_a_teacher_adds_relais_to_the_class_and_a_parent_lands_in_the_view(
    desktop: BrowserContext, live: Live
) -> None:
    page = desktop.new_page()
    frame = open_course(page, live, message_type="LtiDeepLinkingRequest", **TEACHER,
                        deep_linking_settings={
                            "deep_link_return_url": live.stub.return_url,
                            "accept_types": ["ltiResourceLink"],
                            "accept_presentation_document_targets": ["iframe", "window"],
                            "accept_multiple": True, "data": "moodle-dl-data"})
    assert frame.url == live.tool_url + "/enseignant/contenu"
    expect(frame.get_by_role("heading", level=1)).to_have_text("Ajouter Relais à la classe")
    screenshot(page, "teachers-picker-desktop")
    assert_accessible(frame)

    frame.get_by_label("Les rendez-vous de la classe").check()
    frame.get_by_label("العربية").check()
    frame.get_by_label("Parcoursup").uncheck()
    before = len(live.stub.deep_link_responses)
    frame.get_by_role("button", name="Ajouter à la classe").click()
    # The answer posts itself back to the platform, which checks it with the tool's JWKS.
    page.frame_locator("iframe#relais").locator("#added").wait_for(timeout=10_000)
    screenshot(page, "teachers-picker-sent-desktop")
    claims = live.stub.deep_link_responses[before]
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "moodle-dl-data"
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert [i["custom"]["view"] for i in items] == ["help", "events"]
    assert items[0]["custom"]["languages"] == "ar"
    assert "parcoursup" not in items[0]["custom"]["topics"]

    # The platform makes an activity of the "events" item; a parent opens it on a phone.
    phone_page = desktop.browser.new_context(**PHONE).new_page()  # type: ignore[union-attr]
    parent_frame = open_course(phone_page, live, **{**PARENT, "custom": items[1]["custom"]},
                               resource_link={"id": "link-events", "title": items[1]["title"]})
    assert parent_frame.url == live.tool_url + "/rendez-vous"
    expect(parent_frame.locator("body")).to_have_attribute("data-audience", "parent")
    screenshot(phone_page, "teachers-link-opens-events-phone")
    phone_page.context.close()


def test_a_platform_that_wants_no_link_gets_a_clear_page(desktop: BrowserContext,
                                                          live: Live) -> None:
    page = desktop.new_page()
    frame = open_course(page, live, message_type="LtiDeepLinkingRequest", **TEACHER,
                        deep_linking_settings={"deep_link_return_url": live.stub.return_url,
                                               "accept_types": ["file"]})
    expect(frame.locator("body")).to_have_attribute("data-notice",
                                                    "deep_linking_type_not_accepted")
    screenshot(page, "teachers-picker-unavailable-desktop")
    assert_accessible(frame)


# --- the class pages ---------------------------------------------------------------------------


CLASS_PAGES = [
    ("Réglages de la classe", "/enseignant/classe", "teachers-settings"),
    ("Rendez-vous de la classe", "/enseignant/rendez-vous", "teachers-events"),
    ("Affiche pour les parents", "/enseignant/affiche", "teachers-flyer"),
    ("Les familles de la classe", "/enseignant/familles", "teachers-families"),
]


def test_the_class_pages_are_accessible_on_a_phone(phone: BrowserContext, live: Live) -> None:
    # Two parents opened Relais from the class before.
    for sub, child in (("parent-1", "pupil-1"), ("parent-2", "pupil-4")):
        parent = phone.new_page()
        open_course(parent, live, **{**PARENT, "sub": sub, "role_scope_mentor": [child]})
        parent.close()
    page = phone.new_page()
    frame = open_course(page, live, **TEACHER, nrps=live.stub.nrps_claim())
    screenshot(page, "teachers-home-phone")
    assert_accessible(frame)
    for entry, path, name in CLASS_PAGES:
        frame.get_by_role("link", name=entry).first.click()
        frame.wait_for_url(live.tool_url + path)
        frame.wait_for_load_state("load")
        screenshot(page, f"{name}-phone")
        assert_accessible(frame)
        frame.goto(live.tool_url + "/home")
    frame.goto(live.tool_url + "/enseignant/familles")
    expect(frame.locator("body")).to_have_attribute("data-class-list", "ok")
    expect(frame.locator("#figure-families td")).to_have_text("6")
    expect(frame.locator("#figure-opened td")).to_have_text("2")
    expect(frame.locator("#not-reached li")).to_have_count(4)
    expect(frame.locator("svg.funnel rect.funnel-bar")).to_have_count(2)

    # In Arabic the pages turn right to left and stay accessible.
    frame.get_by_role("navigation", name="Langue").get_by_role("link", name="العربية").click()
    expect(frame.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "teachers-families-phone-ar")
    assert_accessible(frame)
    frame.goto(live.tool_url + "/enseignant/classe")
    screenshot(page, "teachers-settings-phone-ar")
    assert_accessible(frame)
    frame.goto(live.tool_url + "/lang?to=fr&next=/home")


def test_a_teacher_announces_a_class_event_from_the_iframe(phone: BrowserContext,
                                                            live: Live) -> None:
    page = phone.new_page()
    frame = open_course(page, live, **TEACHER)
    frame.goto(live.tool_url + "/enseignant/rendez-vous")
    frame.get_by_role("button", name="Ajouter le rendez-vous").click()
    expect(frame.locator("#error-summary")).to_be_visible()
    screenshot(page, "teachers-events-errors-phone")
    assert_accessible(frame)
    frame.get_by_label("Titre").fill("Café des parents de la 6e A")
    frame.get_by_label("Type de rendez-vous").select_option("cafe_parents")
    frame.get_by_label("Début").fill("2099-12-12T17:00")
    frame.get_by_label("Fin").fill("2099-12-12T18:30")
    frame.get_by_role("button", name="Ajouter le rendez-vous").click()
    expect(frame.get_by_role("status")).to_contain_text("Le rendez-vous est ajouté")
    expect(frame.locator(".event-title").first).to_have_text("Café des parents de la 6e A")


# --- the flyer, printed ------------------------------------------------------------------------


def _png_gray(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and 8-bit gray pixels of an 8-bit PNG (Chromium's screenshots); enough
    of PNG to read a screenshot without an imaging library."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0 and color in (0, 2, 6), (depth, color, interlace)
    channels = {0: 1, 2: 3, 6: 4}[color]
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        previous = line
    gray = bytearray()
    for line in rows:
        for x in range(width):
            px = line[x * channels:x * channels + min(channels, 3)]
            gray.append(sum(px) // len(px))
    return width, height, bytes(gray)


def _fill_to_the_brim(page: Page, live: Live) -> None:
    """The longest flyer a teacher can make: a 500-character contact, three events with the
    longest titles and places, every language."""
    page.goto(live.tool_url + "/enseignant/classe")
    page.get_by_label("Comment joindre l'équipe de la classe").fill(
        ("Le professeur principal, M. Lefèvre, répond aux messages de l'ENT le lundi et le "
         "jeudi, et reçoit les familles sur rendez-vous le mardi de 16 h 30 à 18 h. ") * 4)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("enregistrés")
    for day in (10, 11, 12):
        page.goto(live.tool_url + "/enseignant/rendez-vous")
        page.get_by_label("Titre").fill(f"Café des parents n° {day} : " + "les écrans, "
                                        * 9)
        page.get_by_label("Type de rendez-vous").select_option("atelier")
        page.get_by_label("Début").fill(f"2098-03-{day}T17:00")
        page.get_by_label("Fin").fill(f"2098-03-{day}T18:30")
        page.get_by_label("Lieu").fill("Salle polyvalente du collège, entrée par la cour, "
                                       "bâtiment B, au fond du couloir à gauche " * 2)
        page.get_by_role("button", name="Ajouter le rendez-vous").click()
        expect(page.get_by_role("status")).to_contain_text("ajouté")


@pytest.mark.parametrize(("size", "points"), [("a4", (595, 842)), ("a5", (420, 595))])
def test_the_flyer_prints_on_one_page_and_its_code_reads_back(
    desktop: BrowserContext, live: Live, size: str, points: tuple[int, int]
) -> None:
    pypdf = pytest.importorskip("pypdf")
    zxingcpp = pytest.importorskip("zxingcpp")
    page = desktop.new_page()
    launch_at_top(page, live, **{**TEACHER, "context": {"id": "course-full", "title": "3e C"}})
    _fill_to_the_brim(page, live)
    page.goto(f"{live.tool_url}/enseignant/affiche?format={size}")
    expect(page.locator(".flyer-events li")).to_have_count(3 if size == "a4" else 2)
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    screenshot(page, f"teachers-flyer-{size}-desktop")
    assert_accessible(page)

    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    reader = pypdf.PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == points
    printed = reader.pages[0].extract_text()
    assert "Besoin d'aide pour suivre la scolarité" in printed

    page.emulate_media(media="print")
    qr = page.locator("svg.flyer-qr")
    shot = qr.screenshot()
    page.emulate_media(media="screen")
    width, height, gray = _png_gray(shot)
    image = memoryview(gray).cast("B", (height, width))
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    assert found == [f"{live.tool_url}/e/{live.school_slug}"]
    # The link printed under the code is the same, for those who type it.
    expect(page.locator(".flyer-link")).to_have_text(
        f"{live.tool_url.split('://', 1)[1]}/e/{live.school_slug}")


def test_without_javascript_there_is_no_print_button(browser: Browser, live: Live) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    live.stub.next_launch = dict(TEACHER)
    page.goto(live.stub.url + "/course")
    src = page.locator("iframe#relais").get_attribute("src")
    assert src
    page.goto(src)
    page.get_by_role("button", name="Continuer").click()  # the platform's <noscript> form
    page.locator("body[data-audience]").wait_for()
    page.goto(live.tool_url + "/enseignant/affiche")
    expect(page.locator("svg.flyer-qr")).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer")).to_have_count(0)
    screenshot(page, "teachers-flyer-nojs-desktop")
    context.close()
