"""Issue 6 in a real Chromium: every admin page inside the sandbox platform's cross-site
iframe, on a 360×740 phone and on a desktop screen, has zero axe violations (WCAG 2.1 AA),
including a form shown again with its errors and a freshly made API token; so do the parents'
privacy pages (in the ENT and on the school's public page). Screenshots in
``test-artifacts/screenshots/admin-*.png`` and ``privacy-*.png``.

These tests change nothing other tests of the session rely on: no setting is saved (the
form is sent with an error), the only writes are one API token and one audit line.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from tests.browser.support import (
    TOOL_IFRAME,
    LiveRelais,
    axe_violations,
    describe_violations,
    open_as,
    screenshot,
)

pytestmark = pytest.mark.browser

PAGES = {
    "home": ("/home", "Administration de Relais"),
    "index": ("/admin", "Administration de Relais"),
    "settings": ("/admin/reglages", "Réglages de la plateforme"),
    "schools": ("/admin/etablissements", "Établissements"),
    "audience": ("/admin/publics", "Reconnaître les publics"),
    "requests": ("/admin/demandes", "Demandes d'aide en chiffres"),
    "journal": ("/admin/journal", "Journal"),
    "person": ("/admin/donnees-personnelles", "Données d'une personne"),
    "tokens": ("/admin/jetons", "Jetons d'API"),
}


def visit(frame: Frame, relais: LiveRelais, path: str) -> None:
    frame.goto(relais.tool_url + path)
    frame.wait_for_load_state("load")


def audit(frame: Frame, page: Page, name: str, found: dict[str, str]) -> None:
    """axe on the tool's document, a screenshot of what the admin sees."""
    error = frame.locator("body").get_attribute("data-error")
    assert error in (None, "form_invalid"), f"{name}: error page {error}"
    violations = axe_violations(frame)
    if violations:
        found[name] = describe_violations(violations)
    screenshot(page, name)
    # The rest of the tool's page, one frame's height at a time (a cross-site iframe paints
    # only what it shows).
    total, view = frame.evaluate("[document.documentElement.scrollHeight, innerHeight]")
    for part, top in enumerate(range(view, total, view), start=2):
        frame.evaluate(f"window.scrollTo(0, {top})")
        frame.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        screenshot(page.locator(TOOL_IFRAME), f"{name}-{part}")
    frame.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_every_admin_page_is_accessible(phone: BrowserContext, context: BrowserContext,
                                        relais: LiveRelais, screen: str) -> None:
    page = (phone if screen == "phone" else context).new_page()
    frame = open_as(page, "admin")
    found: dict[str, str] = {}
    for name, (path, heading) in PAGES.items():
        visit(frame, relais, path)
        expect(frame.locator("body")).to_have_attribute("data-audience", "admin")
        expect(frame.get_by_role("heading", level=1)).to_have_text(heading)
        audit(frame, page, f"admin-{name}-{screen}", found)

    # One school's page, reached from the list.
    visit(frame, relais, "/admin/etablissements")
    frame.locator(".admin-list a").first.click()
    frame.wait_for_load_state("load")
    expect(frame.locator("body")).to_have_attribute("data-audience", "admin")
    audit(frame, page, f"admin-school-{screen}", found)

    # A form sent with mistakes: the summary, the fields marked, nothing saved.
    visit(frame, relais, "/admin/reglages")
    frame.get_by_label("Durée de conservation (jours)").fill("3")
    frame.get_by_label("Adresse de l'ENT").fill("ent")
    frame.get_by_role("button", name="Enregistrer").click()
    frame.wait_for_load_state("load")
    expect(frame.locator("#error-summary")).to_be_visible()
    expect(frame.locator("#error-retention_days")).to_contain_text("Entre 7 et 730 jours")
    audit(frame, page, f"admin-settings-errors-{screen}", found)

    assert not found, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())


def test_an_api_token_is_shown_once(phone: BrowserContext, relais: LiveRelais) -> None:
    page = phone.new_page()
    frame = open_as(page, "admin")
    visit(frame, relais, "/admin/jetons")
    frame.get_by_label("Nom du jeton").fill("Annuaire de l'ENT")
    frame.get_by_role("button", name="Créer le jeton").click()
    frame.wait_for_load_state("load")
    secret = frame.locator("#token-secret").inner_text()
    assert re.fullmatch(r"rls_[A-Za-z0-9_-]{43}", secret)
    found: dict[str, str] = {}
    audit(frame, page, "admin-token-created-phone", found)
    assert not found, found

    visit(frame, relais, "/admin/jetons")
    assert secret not in frame.content()
    expect(frame.get_by_role("heading", name="Annuaire de l'ENT", exact=True)).to_be_visible()
    # The API answers with it, from outside any browser session.
    response = page.request.get(relais.tool_url + "/api/v1/events",
                                headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200 and "items" in response.json()


def test_the_privacy_pages_are_accessible(phone: BrowserContext, relais: LiveRelais) -> None:
    page = phone.new_page()
    frame = open_as(page, "parent")
    found: dict[str, str] = {}
    visit(frame, relais, "/confidentialite")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Vos données dans Relais")
    expect(frame.get_by_role("link", name="Effacer mes données")).to_be_visible()
    audit(frame, page, "privacy-parent-phone", found)
    frame.get_by_role("link", name="Effacer mes données").click()
    frame.wait_for_load_state("load")
    expect(frame.get_by_role("button", name="Oui, tout effacer")).to_be_visible()
    audit(frame, page, "privacy-erase-confirm-phone", found)

    public = phone.new_page()
    public.goto(f"{relais.tool_url}/e/jmoulin/confidentialite")
    expect(public.locator("body")).to_have_attribute("data-audience", "public")
    violations = axe_violations(public)
    if violations:
        found["privacy-public"] = describe_violations(violations)
    screenshot(public, "privacy-public-phone")
    assert not found, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())
