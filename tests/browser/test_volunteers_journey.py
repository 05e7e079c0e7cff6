"""Issue 8's journey in a real Chromium, every person on a 360×740 phone, against its own
Relais (``relais run --sandbox`` on a throw-away SQLite file this test reads):

1. a parent, in the sandbox platform's iframe, finds "Je veux aider d'autres parents" on their
   home and offers to help (a first name, languages, moments, what they are at ease with, a
   number with its consent sentence; no email);
2. the admin, in their own iframe, approves from "Parents ressource" and gets the inbox link,
   shown once;
3. the new volunteer opens that link at top level (as from an SMS): their inbox; from the
   ENT they find the briefings and read one;
4. another parent asks to be called back on the school's public page; the request is routed
   to the volunteer, who takes it and marks it "Contacté";
5. at the school fête the admin announced, the volunteer counts on their phone, in a few
   taps, the parents they helped, and opens the stand's kit; the teacher's reach dashboard
   and the admin's figures show the counts, and nothing else;
6. the volunteer leaves from the ENT; the database is read, every table and every cell:
   nothing personal of theirs remains, and the link they came with opens nothing.

Every page passed through has zero axe violations (WCAG 2.1 AA); a parent's page weighs under
15 KB gzip with all it loads; screenshots in ``test-artifacts/screenshots/volunteers-*.png``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from tests.browser.support import (
    PHONE,
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

BUDGET = 15 * 1024  # a parent's page with everything it loads, gzip
FIRST_NAME = "Samira"
PHONE_NUMBER = "06 98 76 54 32"
PHONE_DIGITS = "698765432"
ASKER = "Awa"
FETE = "Fête de l'école : stand numérique"


class Live:
    def __init__(self, relais: LiveRelais, database: Path) -> None:
        self.relais = relais
        self.database = database

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.database) as conn:
            return list(conn.execute(sql))

    def every_cell(self) -> list[tuple[str, str, object]]:
        with sqlite3.connect(self.database) as conn:
            tables = [t for (t,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            cells = []
            for table in tables:
                cursor = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (own names)
                names = [d[0] for d in cursor.description]
                for row in cursor:
                    cells += [(table, n, v) for n, v in zip(names, row, strict=True)
                              if v not in (None, "")]
            return cells


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    database = tmp_path_factory.mktemp("volunteers") / "relais.sqlite3"
    with run_relais(DATABASE_URL=f"sqlite:///{database}") as relais:
        yield Live(relais, database)


@pytest.fixture
def phones(browser: Browser, live: Live) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def phone(browser: Browser, live: Live, phones: list[BrowserContext]) -> Page:
    context = browser.new_context(**PHONE)
    watch_network(context, live.relais)
    phones.append(context)
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_())  # no cache: each page weighed whole
    return page


def look(page: Page, target: Frame | Page, name: str, *, parent: bool = False) -> None:
    """Zero axe violations, a parent's page under budget, and screenshots to look at: the
    whole phone screen, and the whole Relais page (the iframe stretched for the shot)."""
    frame = target if isinstance(target, Frame) else target.main_frame
    frame.wait_for_load_state("load")
    violations = axe_violations(frame)
    assert violations == [], f"{name} ({frame.url}):\n{describe_violations(violations)}"
    if parent:
        weight = page_weight(page, frame)
        assert weight.gzip_bytes < BUDGET, f"{name}: {weight}"
    screenshot(page, f"volunteers-{name}")
    iframe = page.locator(TOOL_IFRAME)
    if isinstance(target, Frame) and iframe.count():
        viewport = page.viewport_size
        assert viewport is not None
        height = frame.evaluate("() => document.documentElement.scrollHeight")
        top = iframe.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
        page.set_viewport_size({"width": viewport["width"], "height": int(top + height)})
        iframe.evaluate("(el, h) => { el.dataset.h = el.style.height;"
                        " el.style.height = h + 'px'; }", height)
        try:
            screenshot(iframe, f"volunteers-{name}-tool")
        finally:
            iframe.evaluate("el => { el.style.height = el.dataset.h; }")
            page.set_viewport_size(viewport)


def follow(frame: Frame | Page, name: str, *, role: str = "link", exact: bool = False) -> None:
    with frame.expect_navigation():
        frame.get_by_role(role, name=name, exact=exact).click()  # type: ignore[arg-type]


def test_a_parent_becomes_a_parent_ressource_helps_and_leaves_without_a_trace(
    browser: Browser, live: Live, phones: list[BrowserContext]
) -> None:
    tool = live.relais.tool_url
    sandbox = live.relais.sandbox_url + "/"

    # 1. The parent offers to help, from their home in the ENT.
    parent_page = phone(browser, live, phones)
    ent = open_as(parent_page, "parent", sandbox_url=sandbox)
    look(parent_page, ent, "1-parent-home", parent=True)
    follow(ent, "Je veux aider d'autres parents")
    expect(ent.get_by_role("heading", level=1)).to_have_text("Je veux aider d'autres parents")
    assert ent.locator("input[type=email]").count() == 0
    look(parent_page, ent, "2-offer-form", parent=True)
    ent.get_by_label("Votre prénom").fill(FIRST_NAME)
    ent.get_by_label("Français").check()
    ent.get_by_label("العربية").check()
    ent.get_by_label("Le soir").check()
    ent.get_by_label("Pendant les rendez-vous de l'école").check()
    ent.get_by_label("Pronote").check()
    ent.get_by_label("EduConnect").check()
    ent.get_by_label("Votre numéro de téléphone").fill(PHONE_NUMBER)
    ent.get_by_label("J'accepte que mon numéro soit gardé", exact=False).check()
    follow(ent, "Proposer mon aide", role="button")
    expect(ent.get_by_role("status")).to_contain_text("Votre proposition est envoyée")
    expect(ent.locator(".facts")).to_contain_text("06 •• •• •• 32")
    look(parent_page, ent, "3-offer-sent", parent=True)

    # 2. The admin approves it.
    admin_page = phone(browser, live, phones)
    admin = open_as(admin_page, "admin", sandbox_url=sandbox)
    follow(admin, "Parents ressource", exact=False)
    look(admin_page, admin, "4-admin-list")
    follow(admin, f"{FIRST_NAME} — voir et répondre")
    expect(admin.get_by_label("Se connecter à l'ENT ou à Pronote")).to_be_checked()
    look(admin_page, admin, "5-admin-offer")
    follow(admin, "Oui : en faire un parent ressource", role="button")
    link = admin.locator("#relay-link").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(tool)}/r/[\w-]{{43}}", link), link
    look(admin_page, admin, "6-admin-approved")

    # 3. The volunteer opens the link (as from an SMS): their inbox. From the ENT, the
    #    briefings.
    volunteer = phone(browser, live, phones)
    volunteer.goto(link)
    expect(volunteer).to_have_url(f"{tool}/relais/boite")
    expect(volunteer.locator("body")).to_have_attribute("data-audience", "relay")
    expect(volunteer.get_by_role("heading", level=1)).to_have_text("Vos demandes")
    look(volunteer, volunteer, "7-inbox-empty")

    ent = open_as(parent_page, "parent", sandbox_url=sandbox)
    follow(ent, "Je veux aider d'autres parents")
    expect(ent.get_by_role("heading", level=1)).to_have_text("Vous êtes parent ressource")
    look(parent_page, ent, "8-volunteer-page", parent=True)
    follow(ent, "Les fiches pour bien aider")
    look(parent_page, ent, "9-briefings", parent=True)
    follow(ent, "Aider avec, jamais à la place")
    expect(ent.locator("main")).to_contain_text("Ses mots de passe et ses codes restent à lui")
    look(parent_page, ent, "10-briefing", parent=True)

    # 4. Another parent asks to be called back on the school's public page.
    asker = phone(browser, live, phones)
    asker.goto(f"{tool}/e/jmoulin/rappel")
    asker.get_by_label("Votre numéro de téléphone").fill("06 11 22 33 44")
    asker.get_by_label("Le matin").check()
    asker.get_by_label("C'est à propos de").select_option("connect_ent")
    asker.get_by_label("Votre prénom").fill(ASKER)
    asker.get_by_label("J'accepte que mon numéro soit gardé", exact=False).check()
    follow(asker, "Envoyer ma demande", role="button", exact=True)
    code = asker.locator(".ref-code").inner_text().strip()

    volunteer.reload()
    follow(volunteer, f"{ASKER} : Se connecter à l'ENT ou à Pronote")
    look(volunteer, volunteer, "11-request")
    follow(volunteer, "Je m'en occupe", role="button")
    follow(volunteer, "Contacté", role="button", exact=True)
    expect(volunteer.get_by_role("status")).to_contain_text("Le parent voit où en est sa demande")
    look(volunteer, volunteer, "12-request-contacted")
    asker.goto(f"{tool}/demande/{code}")
    expect(asker.locator("body")).to_have_attribute("data-status", "contacted")

    (relay_id,) = live.rows("SELECT relay_id FROM volunteer")[0]
    assert live.rows(f"SELECT kind FROM relay WHERE id = {int(relay_id)}") == [
        ("parent_ressource",)]

    # 5. The fête: the admin announces it; the volunteer counts there, and prints the kit.
    now = datetime.now(ZoneInfo("Europe/Paris"))
    admin.goto(f"{tool}/admin/evenements/nouveau")
    admin.get_by_label("Titre").fill(FETE)
    admin.get_by_label("Type de rendez-vous").select_option("stand_numerique")
    admin.get_by_label("Début").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    admin.get_by_label("Fin").fill((now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    follow(admin, "Enregistrer", role="button", exact=True)

    volunteer.goto(f"{tool}/benevoles")
    expect(volunteer.get_by_role("heading", level=1)).to_have_text(f"Bonjour {FIRST_NAME}")
    look(volunteer, volunteer, "13-volunteer-hub")
    follow(volunteer, "Compter les parents aidés")
    look(volunteer, volunteer, "14-count-events")
    follow(volunteer, FETE)
    for topic in ("Installer l'application", "Installer l'application",
                  "Se connecter à l'ENT ou à Pronote"):
        follow(volunteer, f"+1 : {topic}", role="button", exact=True)
    expect(volunteer.get_by_role("status")).to_contain_text("un de plus pour « Se connecter")
    expect(volunteer.locator("#t-install_app .tally-count")).to_have_text("2")
    expect(volunteer.locator(".tally-total")).to_have_text("En tout : 3 aides notées")
    look(volunteer, volunteer, "15-counted")
    (fete_id,) = live.rows("SELECT id FROM event WHERE kind = 'stand_numerique' "
                           "ORDER BY id DESC LIMIT 1")[0]
    assert sorted(live.rows(f"SELECT topic, count FROM event_tally WHERE event_id = {fete_id}")
                  ) == [("connect_ent", 1), ("install_app", 2)]
    follow(volunteer, "Kits", exact=True)
    look(volunteer, volunteer, "16-kits")
    follow(volunteer, f"Imprimer : Stand numérique à la fête de l'école — {FETE}")
    expect(volunteer.locator(".kit-event")).to_contain_text(FETE)
    look(volunteer, volunteer, "17-kit-on-a-phone")

    teacher_page = phone(browser, live, phones)
    teacher = open_as(teacher_page, "teacher", sandbox_url=sandbox)
    follow(teacher, "Les familles de la classe")
    expect(teacher.locator("#figure-events_helped td")).to_have_text("3")
    expect(teacher.locator("#figure-events_install_app td")).to_have_text("2")
    section = teacher.locator("table[aria-labelledby=events-heading]").inner_text()
    assert FETE not in section and FIRST_NAME not in section
    look(teacher_page, teacher, "18-teacher-reach")
    admin.goto(f"{tool}/admin/demandes")
    expect(admin.locator("#figure-events_helped dd")).to_have_text("3")
    look(admin_page, admin, "19-admin-figures")

    # 6. The volunteer leaves, from the ENT.
    follow(ent, "Aider d'autres parents", exact=True)
    follow(ent, "Arrêter d'aider")
    look(parent_page, ent, "20-leave", parent=True)
    follow(ent, "Oui, arrêter et effacer mes informations", role="button")
    expect(ent.get_by_role("heading", level=1)).to_have_text("C'est fait")
    look(parent_page, ent, "21-left", parent=True)

    cells = live.every_cell()
    theirs = [c for c in cells if FIRST_NAME.lower() in str(c[2]).lower()
              or PHONE_DIGITS in re.sub(r"\D", "", str(c[2]))]
    assert theirs == []
    assert [c for c in cells if c[1] == "relay_id" and c[2] == relay_id] == []
    assert [c for c in cells if c[1] == "actor_id" and c[2] == str(relay_id)] == []
    assert live.rows("SELECT count(*) FROM volunteer") == [(0,)]
    assert live.rows(f"SELECT count(*) FROM relay WHERE id = {int(relay_id)}") == [(0,)]
    # What was done for the other parent stays, without the volunteer.
    assert live.rows("SELECT status FROM help_request") == [("contacted",)]

    volunteer.goto(f"{tool}/relais/boite")
    expect(volunteer.locator("body")).to_have_attribute("data-error", "relay_access_ended")
    volunteer.goto(link)
    expect(volunteer.locator("body")).to_have_attribute("data-error", "relay_link_invalid")
    look(volunteer, volunteer, "22-link-ended")
