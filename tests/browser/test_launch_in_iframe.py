"""Issue 2, in a real Chromium with its defaults (third-party cookies blocked): the sandbox
platform launches Relais through the real OIDC flow, inside a cross-site iframe, on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Frame, expect

from tests.browser.support import (
    TOOL_IFRAME,
    LiveRelais,
    axe_violations,
    describe_violations,
    open_as,
    page_weight,
    screenshot,
    tool_frame,
)

pytestmark = pytest.mark.browser

# What each audience's home says first (its <h1>), for the sandbox's people.
HEADINGS = {
    "parent": "Bonjour Amina Benali",
    "teacher": "Relais pour votre classe",
    "admin": "Administration de Relais",
    "learner": "Relais, c'est pour tes parents",
}


def assert_accessible(frame: Frame) -> None:
    violations = axe_violations(frame)
    assert violations == [], describe_violations(violations)


@pytest.mark.parametrize("persona", list(HEADINGS))
def test_each_audience_lands_on_its_home_inside_the_iframe(
    phone: BrowserContext, relais: LiveRelais, persona: str
) -> None:
    page = phone.new_page()
    frame = open_as(page, persona)

    # The platform's page stays on top; Relais is inside its iframe, on another site.
    assert page.url.startswith(relais.sandbox_url + "/")
    assert frame.parent_frame == page.main_frame
    assert frame.url == relais.tool_url + "/home"
    expect(frame.locator("body")).to_have_attribute("data-audience", persona)
    expect(frame.get_by_role("heading", level=1)).to_have_text(HEADINGS[persona])
    expect(frame.locator("html")).to_have_attribute("lang", "fr")
    screenshot(page, f"home-{persona}-phone")
    assert_accessible(frame)


def test_arabic_turns_the_page_right_to_left_and_stays_accessible(phone: BrowserContext) -> None:
    page = phone.new_page()
    frame = open_as(page, "parent")

    frame.get_by_role("navigation", name="Langue").get_by_role("link", name="العربية").click()

    html = frame.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(frame.locator("body")).to_have_attribute("data-audience", "parent")
    screenshot(page, "home-parent-phone-ar")
    assert_accessible(frame)


def test_parent_home_is_light_and_first_party_only(phone: BrowserContext) -> None:
    page = phone.new_page()
    open_as(page, "parent")

    weight = page_weight(page)  # also asserts: no third-party origin, ever

    print(f"parent home: {weight}")  # noqa: T201 (shown with -s, and in the report on failure)
    assert weight.gzip_bytes < 15 * 1024, str(weight)


def test_launch_works_without_javascript(phone_context: Callable[..., BrowserContext]) -> None:
    page = phone_context(java_script_enabled=False).new_page()
    page.goto("/")
    page.get_by_role("link", name="Ouvrir comme parent").click()
    inside = page.frame_locator(TOOL_IFRAME)

    # The platform's auto-submitting form cannot submit itself: its <noscript> button does.
    inside.get_by_role("button", name="Continuer").click()

    frame = tool_frame(page)
    expect(frame.locator("body")).to_have_attribute("data-audience", "parent")
    expect(frame.get_by_role("heading", level=1)).to_have_text(HEADINGS["parent"])
    screenshot(page, "home-parent-phone-nojs")
