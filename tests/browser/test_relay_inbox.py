"""Issue 7 in a real Chromium on a 360×740 phone: a parent asks to be called back on the
school's public page; the operator adds a relay, a routing rule and the relay's personal link
with the real command line, against the live server's database; the relay opens the link on
their phone, takes the request, sets it to "Contacté"; the parent's status page then says
"Quelqu'un va vous contacter". Every page passes axe; screenshots in
test-artifacts/screenshots/relay-inbox-*.png.

This module starts its own Relais, on a database file the command line can share.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from service.events.demo import DEMO_SLUG
from service.sandbox.server import NAME as SANDBOX
from tests.browser.support import (
    LiveRelais,
    _relais_command,
    axe_violations,
    describe_violations,
    run_relais,
    screenshot,
    watch_network,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="relais-relay-") as tmp:
        yield Path(tmp) / "relais.sqlite3"


@pytest.fixture(scope="module")
def live(database: Path) -> Iterator[LiveRelais]:
    with run_relais(DATABASE_URL=f"sqlite:///{database}") as started:
        yield started


def relais(live: LiveRelais, database: Path, *args: str) -> str:
    """The operator's command line, on the live server's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(RELAIS_DATABASE_URL=f"sqlite:///{database}", RELAIS_BASE_URL=live.tool_url,
               RELAIS_SECRET_KEY="browser-tests-only")
    done = subprocess.run([*_relais_command(), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, f"relais {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def phone_on(live: LiveRelais,
             phone_context: Callable[..., BrowserContext]) -> Callable[..., BrowserContext]:
    def make(**overrides: object) -> BrowserContext:
        context = phone_context(**overrides)
        watch_network(context, live)
        return context

    return make


def check(page: Page, shot: str) -> None:
    """axe on the whole page (Relais is on top here), then a screenshot of the phone."""
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], f"{shot}:\n{describe_violations(violations)}"
    screenshot(page, f"relay-inbox-{shot}", full_page=True)


def test_a_relay_takes_a_request_on_their_phone_and_the_parent_sees_it(
    live: LiveRelais, database: Path, phone_on: Callable[..., BrowserContext]
) -> None:
    added = relais(live, database, "relays", "add", "--platform", SANDBOX,
                   "--kind", "parent_ressource", "--name", "Samira Haddad",
                   "--postcode", "69003", "--commune", "Lyon", "--languages", "ar")
    relay_id = re.search(r"added relay (\d+)", added).group(1)
    relais(live, database, "routing", "add", "--platform", SANDBOX, "--relay-id", relay_id)
    link = relais(live, database, "relays", "link", "--platform", SANDBOX,
                  "--relay-id", relay_id, "--expires", "1d").strip().splitlines()[-1]
    assert link.startswith(f"{live.tool_url}/r/")

    # The parent, on the school's public page: no login.
    parent = phone_on().new_page()
    parent.goto(f"{live.tool_url}/e/{DEMO_SLUG}/rappel?topic=forgot_password")
    parent.get_by_label("Votre numéro de téléphone").fill("06 12 34 56 78")
    parent.get_by_label("Votre prénom").fill("Amina")
    for box in ("consent", "sms_updates"):  # a tap on the row, as a thumb does
        parent.locator(f"label[for=field-{box}]").click()
        expect(parent.locator(f"#field-{box}")).to_be_checked()
    check(parent, "0-parent-form")
    with parent.expect_navigation():
        parent.get_by_role("button", name="Envoyer ma demande").click()
    expect(parent.locator(".ref-code")).to_be_visible()
    status_url = parent.url
    expect(parent.locator("li[aria-current=step]")).to_have_text("Reçu")
    check(parent, "1-parent-sent")

    # The relay opens their personal link on their phone.
    relay = phone_on().new_page()
    relay.goto(link)
    assert relay.url == f"{live.tool_url}/relais/boite"
    expect(relay.get_by_role("heading", level=1)).to_have_text("Vos demandes")
    expect(relay.get_by_text("jamais à sa place", exact=False).first).to_be_visible()
    request_link = relay.get_by_role("link", name=re.compile(r"^Amina"))
    expect(request_link).to_be_visible()
    check(relay, "2-relay-inbox")
    with relay.expect_navigation():
        request_link.click()
    expect(relay.get_by_role("heading", level=1)).to_have_text("Demande d'aide Amina")
    expect(relay.get_by_text("06 12 34 56 78")).to_have_count(0)  # not before taking it
    check(relay, "3-relay-request")

    with relay.expect_navigation():
        relay.get_by_role("button", name="Je m'en occupe").click()
    expect(relay.get_by_role("status")).to_contain_text("Vous vous occupez de cette demande.")
    call = relay.get_by_role("link", name=re.compile("Appeler le"))
    expect(call).to_have_attribute("href", "tel:+33612345678")
    check(relay, "4-relay-taken")

    with relay.expect_navigation():
        relay.get_by_role("button", name="Contacté", exact=True).click()
    expect(relay.get_by_role("status")).to_contain_text("Le parent voit où en est sa demande")
    expect(relay.locator("#etat strong")).to_have_text("Contacté")
    check(relay, "5-relay-contacted")

    # The parent's status page says so.
    parent.goto(status_url.split("?")[0])
    expect(parent.locator("li[aria-current=step]")).to_have_text("Quelqu'un va vous contacter")
    check(parent, "6-parent-contacted")
