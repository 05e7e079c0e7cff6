"""Issue 3 in a real Chromium on a 360×740 phone, inside the sandbox platform's cross-site
iframe (third-party cookies blocked): a parent who forgot a password reads the guide, asks to be
called back, comes back through a new launch, finds the request again with its code and cancels
it. Every page passed through is axe-clean (WCAG 2.1 AA), weighs under 15 KB gzip with all it
loads, fetches nothing from a third-party origin, and is shot for a person to look at
(``test-artifacts/screenshots/parent-help-*.png``). In Arabic the same pages read right to left
and stay axe-clean.

The status pages share a lookup budget per address (``HELP_LOOKUP_LIMIT``, 10 a minute) with
``test_public_page.py`` on the session's Relais: these tests open a status page five times.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Locator, Page, expect

from tests.browser.support import (
    PHONE,
    TOOL_IFRAME,
    LiveRelais,
    axe_violations,
    describe_violations,
    open_as,
    page_weight,
    screenshot,
)

pytestmark = pytest.mark.browser

BUDGET = 15 * 1024  # a parent's page with everything it loads, gzip
PHONE_NUMBER = "06 12 34 56 78"
CODE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$")  # no I, L, O, U, 0, 1
SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def shoot(page: Page, name: str) -> None:
    """Two screenshots: ``<name>.png``, the phone's screen (the platform's page with Relais in
    its iframe), and ``<name>-tool.png``, the whole Relais page, the iframe stretched
    to its content for the shot (an element shot of a tall page inside a short iframe is blank
    below the fold)."""
    iframe = page.locator(TOOL_IFRAME)
    if not iframe.count():  # Relais at top level: the page shot is the whole page
        screenshot(page, name)
        return
    frame = iframe.element_handle().content_frame()
    assert frame is not None
    frame.evaluate(SETTLE)
    # The screen as it is: a full-page shot resizes the viewport, hence the 80vh iframe, and
    # an iframe scrolled down (after a click) is then shot before it is painted again.
    screenshot(page, name, full_page=False)
    viewport = page.viewport_size
    assert viewport is not None
    height = frame.evaluate("() => document.documentElement.scrollHeight")
    top = iframe.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
    # A viewport as tall as the platform's page with the iframe stretched: all of it painted.
    page.set_viewport_size({"width": viewport["width"], "height": int(top + height)})
    iframe.evaluate("(el, h) => { el.dataset.height = el.style.height;"
                    " el.style.height = h + 'px'; }", height)
    try:
        frame.evaluate("() => window.scrollTo(0, 0)")
        frame.evaluate(SETTLE)
        screenshot(iframe, f"{name}-tool")
    finally:
        page.set_viewport_size(viewport)
        restored = iframe.evaluate("el => { el.style.height = el.dataset.height;"
                                   " return el.clientHeight; }")
        # The iframe's document is resized asynchronously: let it settle before the next
        # click, or the click lands where the link was in the stretched layout.
        frame.wait_for_function("h => window.innerHeight === h", arg=restored)
        frame.evaluate(SETTLE)


def audit_without_javascript(page: Page) -> list[dict[str, Any]]:
    """axe's violations for a top-level page of a context with JavaScript off.

    There, nothing asynchronous ever runs in the page (no timer, no animation frame, no
    microtask), so axe, which answers with a promise, would wait forever. The page is audited
    as a twin: its DOM as it stands, served at its own URL to a page with JavaScript on and the
    same phone, where the twin's own scripts are barred (CSP) and ``<noscript>`` content stays
    rendered, as it is without JavaScript. Its stylesheet comes from Relais, as for the page.
    """
    assert page.main_frame.url.startswith("http"), page.main_frame.url
    html = page.content().replace("<noscript", "<div data-noscript").replace(
        "</noscript>", "</div>")
    url = page.url
    browser = page.context.browser
    assert browser is not None
    phone: dict[str, Any] = dict(PHONE)
    twin = browser.new_context(**phone)
    try:
        copy = twin.new_page()
        copy.route(lambda u: u == url, lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html,
            headers={"Content-Security-Policy": "script-src 'none'"}))
        copy.goto(url)
        return axe_violations(copy)
    finally:
        twin.close()


class Walk:
    """One parent's phone: checks every page it reaches (axe, weight, third parties, a shot).

    The page's HTTP cache is off (Playwright turns it off once requests are routed), so each
    page's weight counts everything it loads, its stylesheet too, as on a first visit.
    ``javascript`` says whether the phone's context runs JavaScript (axe needs to know).
    """

    def __init__(self, page: Page, name: str, *, javascript: bool = True) -> None:
        page.route("**/*", lambda route: route.continue_())
        self.page = page
        self.name = name
        self.javascript = javascript
        self.weights: list[tuple[str, int]] = []

    def check(self, frame: Frame, shot: str, *, weigh: bool = True) -> None:
        """``weigh=False`` for a page answered with an error status, which ``page_weight``
        does not take for the start of a page."""
        frame.wait_for_load_state("load")
        if self.javascript:
            violations = axe_violations(frame)
        else:
            assert frame == self.page.main_frame, "without JavaScript, audit top-level pages"
            violations = audit_without_javascript(self.page)
        assert violations == [], f"{shot} ({frame.url}):\n{describe_violations(violations)}"
        if weigh:
            weight = page_weight(self.page, frame)  # also: nothing from a third-party origin
            self.weights.append((shot, weight.gzip_bytes))
            assert weight.gzip_bytes < BUDGET, f"{shot} ({frame.url}): {weight}"
        shoot(self.page, f"{self.name}-{shot}")

    def follow(self, frame: Frame, link: str, *, exact: bool = False) -> None:
        with frame.expect_navigation():
            frame.get_by_role("link", name=link, exact=exact).click()

    def press(self, frame: Frame, button: str) -> None:
        with frame.expect_navigation():
            frame.get_by_role("button", name=button, exact=True).click()


def reads_left_to_right(element: Locator, number: str) -> bool:
    """Whether ``number`` (e.g. "06 12 34 56 78"), in ``element``'s text, shows its groups in
    order for the eye: each to the right of the one before, or on a line below. Inside Arabic
    text, an example number not isolated as left-to-right shows as "78 56 34 12 06"."""
    return bool(element.evaluate("""(el, number) => {
        const node = el.firstChild, start = node.data.indexOf(number);
        if (start < 0) return false;
        const boxes = [];
        let at = start;
        for (const group of number.split(" ")) {
            at = node.data.indexOf(group, at);
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + group.length);
            boxes.push(range.getBoundingClientRect());
            at += group.length;
        }
        return boxes.every((box, i) => i === 0 || box.top > boxes[i - 1].bottom - 2
                                       || box.left > boxes[i - 1].left); }""", number))


def test_forgotten_password_guide_to_a_call_back_then_relaunch_and_cancel(
    phone: BrowserContext, relais: LiveRelais
) -> None:
    page = phone.new_page()
    walk = Walk(page, "parent-help")
    frame = open_as(page, "parent")
    walk.check(frame, "0-home")

    walk.follow(frame, "J'ai besoin d'aide")
    expect(frame.get_by_role("heading", level=1)).to_have_text("J'ai besoin d'aide")
    walk.check(frame, "1-help-panel")

    walk.follow(frame, "Mot de passe ou codes oubliés")
    assert frame.url == relais.tool_url + "/aide/forgot_password"
    steps = frame.locator("ol.guide-steps > li")
    expect(steps.first).to_be_visible()
    assert steps.count() >= 2
    walk.check(frame, "2-guide")

    walk.follow(frame, "Parler à quelqu'un", exact=True)
    expect(frame.get_by_role("heading", level=1)).to_have_text("Parler à quelqu'un")
    expect(frame.locator(".lead")).to_contain_text("« Mot de passe ou codes oubliés »")
    walk.check(frame, "3-talk")

    walk.follow(frame, "Être rappelé")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Être rappelé")
    expect(frame.get_by_label("C'est à propos de")).to_have_value("forgot_password")
    walk.check(frame, "4-callback-form")

    frame.get_by_label("Votre numéro de téléphone").fill(PHONE_NUMBER)
    frame.get_by_label("Le soir").check()
    frame.get_by_label("J'accepte que mon numéro soit gardé", exact=False).check()
    walk.press(frame, "Envoyer ma demande")
    expect(frame.locator("body")).to_have_attribute("data-status", "new")
    code = frame.locator(".ref-code").inner_text().strip()
    assert CODE.match(code), code
    assert frame.url == f"{relais.tool_url}/demande/{code}?envoyee=1"
    expect(frame.get_by_role("status")).to_contain_text("Votre demande est bien envoyée")
    expect(frame.locator(".help-facts")).to_contain_text("06 •• •• •• 78")
    walk.check(frame, "5-request-sent")

    # Later, the parent opens Relais again from the platform: a new launch.
    frame = open_as(page, "parent")
    walk.follow(frame, "Retrouver ma demande")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Retrouver ma demande")
    walk.check(frame, "6-lookup")
    # As a parent may type it from a note: lower case, a space instead of the dash.
    frame.get_by_label("Le code de votre demande").fill(code.lower().replace("-", " "))
    walk.press(frame, "Voir ma demande")
    expect(frame.locator(".ref-code")).to_have_text(code)
    expect(frame.locator("body")).to_have_attribute("data-status", "new")
    expect(frame.locator(".help-progress [aria-current=step]")).to_have_text("Reçu")
    walk.check(frame, "7-status-received")

    frame.locator("summary", has_text="Annuler ma demande").click()
    expect(frame.get_by_role("button", name="Oui, annuler ma demande")).to_be_visible()
    walk.check(frame, "7-status-cancel-opened")
    walk.press(frame, "Oui, annuler ma demande")
    expect(frame.locator("body")).to_have_attribute("data-status", "cancelled")
    expect(frame.locator(".help-status")).to_have_text("Annulée")
    expect(frame.get_by_role("status")).to_have_text(
        "Votre demande est annulée. Votre numéro est effacé.")
    expect(frame.locator(".help-facts")).to_contain_text("Aucun numéro gardé")
    expect(frame.get_by_text("Annuler ma demande")).to_have_count(0)
    walk.check(frame, "8-cancelled")
    print("page weights (gzip bytes):", walk.weights)  # noqa: T201 (shown with -s)


def test_in_arabic_the_help_pages_read_right_to_left_and_stay_accessible(
    phone: BrowserContext, relais: LiveRelais
) -> None:
    page = phone.new_page()
    walk = Walk(page, "parent-help-ar")
    frame = open_as(page, "parent")
    with frame.expect_navigation():
        frame.get_by_role("navigation", name="Langue").get_by_role("link", name="العربية").click()
    html = frame.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    walk.check(frame, "0-home")

    for shot, path in (("1-help-panel", "/aide"), ("2-guide", "/aide/forgot_password"),
                       ("3-talk", "/aide/parler?topic=forgot_password"),
                       ("4-callback-form", "/aide/rappel?topic=forgot_password")):
        frame.goto(relais.tool_url + path)
        expect(html).to_have_attribute("lang", "ar")
        expect(html).to_have_attribute("dir", "rtl")
        walk.check(frame, shot)

    # A phone number inside Arabic text still reads left to right (not "78 56 34 12 06").
    assert reads_left_to_right(frame.locator("#hint-phone"), PHONE_NUMBER)

    # A bad number: the message next to the field, the summary, in Arabic, axe-clean.
    frame.locator("#field-phone").fill("06 12 34")
    frame.locator("#field-consent").check()
    with frame.expect_navigation():
        frame.locator("form button[type=submit]").click()
    expect(frame.locator("body")).to_have_attribute("data-error", "form_invalid")
    expect(html).to_have_attribute("dir", "rtl")
    expect(frame.get_by_role("alert").get_by_role("link")).to_have_attribute("href", "#field-phone")
    assert reads_left_to_right(frame.locator("#error-phone"), PHONE_NUMBER)
    walk.check(frame, "4b-callback-error", weigh=False)

    # The form works in Arabic too, and its status page reads right to left.
    frame.locator("#field-phone").fill(PHONE_NUMBER)
    frame.locator("#field-consent").check()
    with frame.expect_navigation():
        frame.locator("form button[type=submit]").click()
    expect(frame.locator("body")).to_have_attribute("data-status", "new")
    assert CODE.match(frame.locator(".ref-code").inner_text().strip())
    expect(html).to_have_attribute("dir", "rtl")
    walk.check(frame, "5-status")
    print("page weights (gzip bytes):", walk.weights)  # noqa: T201 (shown with -s)
