"""Issue 4 in a real Chromium on a 360×740 phone, inside the sandbox platform's cross-site
iframe: a parent follows the Android branch of the wizard, stops at step 3, comes back through
a new launch, resumes, says "Je bloque ici" at step 4 and gets a help request that holds the
topic, the step and the device. Every page passes axe; the same path ends with JavaScript off.

These tests start their own Relais (on a database file they can read afterwards) rather than
the session one: the request the parent sends is checked in the database itself.
"""

from __future__ import annotations

import gzip
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from tests.browser.support import (
    TOOL_IFRAME,
    LiveRelais,
    axe_violations,
    describe_violations,
    open_as,
    page_weight,
    run_relais,
    screenshot,
    watch_network,
)

pytestmark = pytest.mark.browser

BUDGET = 15 * 1024
CSS = Path(__file__).resolve().parents[2] / "service" / "static" / "relais.css"
PHONE_NUMBER = "06 12 34 56 78"


@pytest.fixture(scope="module")
def database() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="relais-wizard-") as tmp:
        yield Path(tmp) / "relais.sqlite3"


@pytest.fixture(scope="module")
def live(database: Path) -> Iterator[LiveRelais]:
    with run_relais(DATABASE_URL=f"sqlite:///{database}") as started:
        yield started


@pytest.fixture
def phone_on(live: LiveRelais,
             phone_context: Callable[..., BrowserContext]) -> Callable[..., BrowserContext]:
    """Phone contexts watched for this module's Relais (pages open it with ``launch``)."""

    def make(**overrides: object) -> BrowserContext:
        context = phone_context(**overrides)
        watch_network(context, live)
        return context

    return make


@pytest.fixture
def launch(live: LiveRelais) -> Callable[[Page], Frame]:
    """Open this module's sandbox platform as the parent; the tool's frame once it is home."""
    return lambda page: open_as(page, "parent", sandbox_url=live.sandbox_url + "/")


def rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql).fetchall()


class Walk:
    """One parent's phone: checks every page it reaches (axe, weight, a screenshot)."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.weights: list[tuple[str, int]] = []

    def check(self, frame: Frame, shot: str, *, audit: bool = True) -> None:
        """axe (needs JavaScript in the page), weight with the stylesheet counted even when the
        browser had it cached, and screenshots of the phone and of the tool's whole page."""
        frame.wait_for_load_state("load")
        if audit:
            violations = axe_violations(frame)
            assert violations == [], f"{shot}:\n{describe_violations(violations)}"
        weight = page_weight(self.page, frame)
        total = weight.gzip_bytes
        if not any(url.endswith("/relais.css") for url, _, _ in weight.resources):
            total += len(gzip.compress(CSS.read_bytes(), compresslevel=6, mtime=0))
        self.weights.append((shot, total))
        assert total < BUDGET, f"{shot}: {total} B with the stylesheet; {weight}"
        self.shoot(frame, shot)

    def shoot(self, frame: Frame, shot: str) -> None:
        """The phone as the parent holds it, then the tool's whole page: the window is made
        taller for a moment so that the platform's iframe (80 % of it) shows all of Relais.
        Works without JavaScript (no script runs in the page)."""
        expect(frame.locator("h1")).to_be_visible()
        self.page.wait_for_timeout(150)  # a cross-site iframe paints on its own schedule
        screenshot(self.page, f"{self.name}-{shot}", full_page=False)
        phone = self.page.viewport_size
        assert phone is not None
        body = frame.locator("body").bounding_box()
        assert body is not None
        self.page.set_viewport_size(
            {"width": phone["width"], "height": int(body["height"] / 0.8) + 400})
        self.page.wait_for_timeout(150)
        screenshot(self.page.locator(TOOL_IFRAME), f"{self.name}-{shot}-whole")
        self.page.set_viewport_size(phone)

    def press(self, frame: Frame, button: str) -> None:
        with frame.expect_navigation():
            frame.get_by_role("button", name=button, exact=True).click()

    def follow(self, frame: Frame, link: str) -> None:
        with frame.expect_navigation():
            frame.get_by_role("link", name=link).click()


def expect_step(frame: Frame, number: int, total: int, step: str) -> None:
    expect(frame.locator("body")).to_have_attribute("data-step", step)
    expect(frame.locator(".wizard-count")).to_have_text(f"Étape {number} sur {total}")


def test_android_parent_stops_resumes_and_asks_for_help_at_step_4(
    phone_on: Callable[..., BrowserContext], launch: Callable[[Page], Frame], database: Path
) -> None:
    page = phone_on().new_page()
    walk = Walk(page, "wizard-android")
    frame = launch(page)

    walk.follow(frame, "Prendre en main pas à pas")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Prendre en main pas à pas")
    walk.check(frame, "0-start")
    walk.follow(frame, "Commencer")

    expect_step(frame, 1, 8, "device")
    walk.check(frame, "1-device")
    frame.get_by_label("Un téléphone Android").check()
    walk.press(frame, "C'est fait")

    expect_step(frame, 2, 8, "email")
    walk.check(frame, "2-email")
    frame.get_by_label("Oui, j'ai une adresse mail").check()
    walk.press(frame, "C'est fait")

    expect_step(frame, 3, 8, "account-educonnect")
    walk.check(frame, "3-account")
    # The parent stops here, and comes back later through the platform: a new launch.
    frame = launch(page)
    resume = frame.get_by_role("link", name="Prendre en main pas à pas Reprendre à l'étape 3 sur 8")
    expect(resume).to_be_visible()
    walk.check(frame, "3-home-resume")
    with frame.expect_navigation():
        resume.click()
    expect_step(frame, 3, 8, "account-educonnect")
    walk.press(frame, "C'est fait")

    expect_step(frame, 4, 8, "install-android-pronote")
    expect(frame.get_by_role("link", name="Ouvrir le Play Store")).to_have_attribute(
        "href", "https://play.google.com/store/apps/details?id=com.IndexEducation.Pronote")
    expect(frame.locator("svg.qr")).to_be_visible()
    walk.check(frame, "4-install")
    walk.press(frame, "Je bloque ici")

    # The "be called back" form already holds the topic, the step and the device.
    expect(frame.get_by_role("heading", level=1)).to_have_text("Être rappelé")
    expect(frame.locator("input[name=step]")).to_have_value("install-android-pronote")
    expect(frame.locator("input[name=device]")).to_have_value("android")
    expect(frame.get_by_label("C'est à propos de")).to_have_value("install_app")
    walk.check(frame, "5-callback")
    frame.get_by_label("Votre numéro de téléphone").fill(PHONE_NUMBER)
    frame.get_by_label("J'accepte que mon numéro soit gardé", exact=False).check()
    walk.press(frame, "Envoyer ma demande")
    expect(frame.locator(".ref-code")).to_be_visible()
    walk.check(frame, "6-request-sent")

    assert rows(database, "SELECT topic, step, device, user_id FROM help_request") == [
        ("install_app", "install-android-pronote", "android", "sandbox-parent-1")]
    assert rows(database, "SELECT current_step, device, email_choice, done_steps "
                          "FROM wizard_progress") == [
        ("install", "android", "has", "device,email,account")]
    print("page weights (gzip bytes):", walk.weights)  # noqa: T201 (shown with -s)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_every_step_of_the_android_path_to_the_end(
    phone_on: Callable[..., BrowserContext], launch: Callable[[Page], Frame], database: Path,
    javascript: bool,
) -> None:
    page = phone_on(java_script_enabled=javascript).new_page()
    walk = Walk(page, f"wizard-path-{'js' if javascript else 'nojs'}")
    frame = launch(page)
    frame.goto(frame.url.replace("/home", "/pas-a-pas"))
    # An earlier test may have left this parent on the way: start again from step 1.
    if frame.get_by_role("button", name="Recommencer").count():
        walk.press(frame, "Recommencer")
    else:
        walk.follow(frame, "Commencer")

    expected = ["device", "email", "account-educonnect", "install-android-pronote",
                "login-educonnect-pronote", "follow-pronote", "alerts-android", "dates"]
    answers = {"device": "Un téléphone Android", "email": "Oui, j'ai une adresse mail"}
    for number, step in enumerate(expected, start=1):
        expect_step(frame, number, 8, step)
        if not javascript:
            assert frame.locator("#read-aloud button").count() == 0  # nothing to speak
        # axe runs in the page: with JavaScript off, the js run has audited the same pages.
        walk.check(frame, f"{number}-{step}", audit=javascript)
        if step in answers:
            frame.get_by_label(answers[step]).check()
        walk.press(frame, "C'est fait")

    expect(frame.locator("body")).to_have_attribute("data-step", "done")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Le parcours est terminé")
    walk.check(frame, "9-done", audit=javascript)
    assert rows(database, "SELECT current_step, done_steps FROM wizard_progress") == [
        ("done", "device,email,account,install,login,follow,alerts,dates")]
    print(walk.name, "page weights (gzip bytes):", walk.weights)  # noqa: T201


def test_read_aloud_is_offered_only_where_the_browser_can_speak(
    phone_on: Callable[..., BrowserContext], launch: Callable[[Page], Frame]
) -> None:
    page = phone_on().new_page()
    frame = launch(page)
    frame.goto(frame.url.replace("/home", "/pas-a-pas/etape/device"))
    can_speak = frame.evaluate(
        "() => !!window.speechSynthesis && speechSynthesis.getVoices()"
        ".some(v => v.lang.toLowerCase().startsWith('fr'))")
    button = frame.get_by_role("button", name="Écouter cette étape")
    if can_speak:
        expect(button).to_be_visible()
    else:
        expect(button).to_have_count(0)
        expect(frame.locator("#read-aloud")).to_be_hidden()


def test_in_arabic_a_step_reads_right_to_left_and_stays_accessible(
    phone_on: Callable[..., BrowserContext], launch: Callable[[Page], Frame]
) -> None:
    page = phone_on().new_page()
    walk = Walk(page, "wizard-ar")
    frame = launch(page)
    with frame.expect_navigation():
        frame.get_by_role("navigation", name="Langue").get_by_role("link", name="العربية").click()
    frame.goto(frame.url.split("/home")[0] + "/pas-a-pas/etape/device")
    expect(frame.locator("html")).to_have_attribute("dir", "rtl")
    # The words are Arabic: no French mark on them, no fallback note.
    expect(frame.locator("h1")).not_to_have_attribute("lang", "fr")
    expect(frame.locator("h1")).to_have_text("جهازكم")
    walk.check(frame, "1-device")
    # Logical properties: the radio sits at the start of its row, on the right, clear of the
    # words (which stay left to right inside).
    for code in ("android", "iphone", "computer", "none"):
        radio = frame.locator(f"#field-answer-{code}").bounding_box()
        words = frame.locator(f"label[for=field-answer-{code}] span").bounding_box()
        assert radio is not None and words is not None
        assert radio["x"] >= words["x"] + words["width"], code
