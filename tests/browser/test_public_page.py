"""Issue 3's public help page of a school, in a real Chromium on a 360×740 phone, opened at top
level as from a short link or a QR code: no login, no platform. A parent asks to be called back
and gets a reference code and a status page, with JavaScript on and off (and, with it off, opens
that status again from another phone with the code alone); a bad phone number is shown next to
its field and in the error summary; each checkbox is a 44 px tap target. Every page is axe-clean
(WCAG 2.1 AA), under 15 KB gzip with all it loads, nothing from a third-party origin;
screenshots in ``test-artifacts/screenshots/public-*.png``.

Public submissions are rate-limited per address (``HELP_PUBLIC_SUBMIT_LIMIT``, 5 an hour
stored): these tests store two. Status pages share one lookup budget per address
(``HELP_LOOKUP_LIMIT``, 10 a minute) on the session's Relais: these tests open three,
``test_parent_help.py`` five.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import LiveRelais, network_log
from tests.browser.test_parent_help import CODE, PHONE_NUMBER, Walk

pytestmark = pytest.mark.browser

SLUG = "jmoulin"
SCHOOL = "Collège Jean Moulin"


def open_school_page(page: Page, relais: LiveRelais) -> None:
    """The school's public page, typed or scanned: the tool's own origin, at top level."""
    page.goto(f"{relais.tool_url}/e/{SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text(SCHOOL)
    expect(page.locator("body")).to_have_attribute("data-audience", "public")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_be_called_back_from_the_school_page_without_any_login(
    phone_context: Callable[..., BrowserContext], relais: LiveRelais, javascript: bool
) -> None:
    name = "public-js" if javascript else "public-nojs"
    page = phone_context(java_script_enabled=javascript).new_page()
    walk = Walk(page, name, javascript=javascript)
    open_school_page(page, relais)
    assert page.frames == [page.main_frame]  # no platform around it
    walk.check(page.main_frame, "0-school-page")

    walk.follow(page.main_frame, "Être rappelé", exact=True)
    assert page.url == f"{relais.tool_url}/e/{SLUG}/rappel"
    expect(page.get_by_role("heading", level=1)).to_have_text("Être rappelé")
    expect(page.locator(".lead")).to_have_text(SCHOOL)
    honeypot = page.locator("input[name=website]").bounding_box()  # for robots only:
    assert honeypot is not None and honeypot["x"] + honeypot["width"] <= 0  # off the screen
    walk.check(page.main_frame, "1-callback-form")

    page.get_by_label("Votre numéro de téléphone").fill(PHONE_NUMBER)
    page.get_by_label("Le matin").check()
    page.get_by_label("C'est à propos de").select_option("connect_ent")
    page.get_by_label("J'accepte que mon numéro soit gardé", exact=False).check()
    walk.press(page.main_frame, "Envoyer ma demande")

    code = page.locator(".ref-code").inner_text().strip()
    assert CODE.match(code), code
    assert page.url == f"{relais.tool_url}/demande/{code}?envoyee=1"
    expect(page.locator("body")).to_have_attribute("data-status", "new")
    expect(page.get_by_role("status")).to_contain_text("Votre demande est bien envoyée")
    expect(page.locator(".help-progress [aria-current=step]")).to_have_text("Reçu")
    facts = page.locator(".help-facts")
    expect(facts).to_contain_text("Se connecter à l'ENT ou à Pronote")
    expect(facts).to_contain_text("06 •• •• •• 78")
    expect(facts).to_contain_text(SCHOOL)
    expect(page.get_by_role("link", name=f"Retour à la page de {SCHOOL}")).to_be_visible()
    walk.check(page.main_frame, "2-request-sent")

    if not javascript:  # once is enough: status pages share a small lookup budget
        reopen_from_another_phone(phone_context, relais, code)


def reopen_from_another_phone(phone_context: Callable[..., BrowserContext], relais: LiveRelais,
                              code: str) -> None:
    """No cookie ties a public request to a browser: its code alone opens its status page."""
    page = phone_context(java_script_enabled=False).new_page()
    walk = Walk(page, "public-nojs-reopen", javascript=False)
    open_school_page(page, relais)
    walk.follow(page.main_frame, "Retrouver ma demande")
    expect(page.get_by_role("heading", level=1)).to_have_text("Retrouver ma demande")
    expect(page.get_by_role("heading", name="Vos demandes")).to_have_count(0)  # nobody's
    walk.check(page.main_frame, "0-lookup")
    page.get_by_label("Le code de votre demande").fill(code)
    walk.press(page.main_frame, "Voir ma demande")
    expect(page.locator(".ref-code")).to_have_text(code)
    expect(page.locator(".help-progress [aria-current=step]")).to_have_text("Reçu")
    expect(page.locator(".help-facts")).to_contain_text("06 •• •• •• 78")
    walk.check(page.main_frame, "1-status")


def test_a_bad_phone_number_is_shown_next_to_its_field_and_in_the_summary(
    phone_context: Callable[..., BrowserContext], relais: LiveRelais
) -> None:
    page = phone_context().new_page()
    walk = Walk(page, "public-bad-phone")
    page.goto(f"{relais.tool_url}/e/{SLUG}/rappel")
    page.get_by_label("Votre numéro de téléphone").fill("06 12 34")
    page.get_by_label("C'est à propos de").select_option("install_app")
    page.get_by_label("Votre prénom").fill("Samira")
    page.get_by_label("J'accepte que mon numéro soit gardé", exact=False).check()
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Envoyer ma demande").click()
    response = sent.value
    assert response is not None and response.status == 400

    expect(page).to_have_title("Erreur : Être rappelé · Relais")
    expect(page.locator("body")).to_have_attribute("data-error", "form_invalid")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="Il y a un problème")).to_be_visible()
    to_field = summary.get_by_role("link", name="Votre numéro de téléphone", exact=False)
    expect(to_field).to_have_attribute("href", "#field-phone")
    expect(summary.get_by_role("listitem")).to_have_count(1)  # only the phone is wrong

    field = page.locator(".field", has=page.locator("#field-phone"))
    message = field.locator("#error-phone")
    expect(message).to_be_visible()
    expect(message).not_to_be_empty()
    expect(to_field).to_contain_text(message.inner_text())
    phone = page.get_by_label("Votre numéro de téléphone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_attribute("aria-describedby", "hint-phone error-phone")
    expect(phone).to_have_value("06 12 34")  # what was typed stays, to be corrected
    expect(page.get_by_label("C'est à propos de")).to_have_value("install_app")
    expect(page.get_by_label("Votre prénom")).to_have_value("Samira")
    expect(page.get_by_label("J'accepte que mon numéro soit gardé", exact=False)).to_be_checked()
    walk.check(page.main_frame, "0-error", weigh=False)
    assert not network_log(page).third_party()

    to_field.click()
    expect(phone).to_be_focused()


def test_each_checkbox_of_the_form_is_a_44_px_tap_target(
    phone_context: Callable[..., BrowserContext], relais: LiveRelais
) -> None:
    """A 28 px box and a one-line label are too small for a thumb: the row and 8 px around it
    must toggle the box (CONTRIBUTING: tap targets >= 44 px), in both directions."""
    page = phone_context().new_page()
    for lang in ("fr", "ar"):
        page.goto(f"{relais.tool_url}/e/{SLUG}/rappel?lang={lang}")
        boxes = page.locator("form input[type=checkbox]")
        assert boxes.count() >= 6  # five moments and the consent, at least
        for i in range(boxes.count()):
            box = boxes.nth(i)
            # The height, in px, of the band through the box's centre that toggles it.
            band = box.evaluate("""input => {
                input.scrollIntoView({block: "center"});
                const r = input.getBoundingClientRect(), x = r.left + r.width / 2;
                let n = 0;
                for (let y = r.top - 20; y < r.bottom + 20; y++) {
                    const hit = document.elementFromPoint(x, y);
                    if (hit === input || (hit && hit.control === input)) n++;
                }
                return n; }""")
            assert band >= 44, f"{lang}: {box.get_attribute('id')} toggles on {band} px only"
