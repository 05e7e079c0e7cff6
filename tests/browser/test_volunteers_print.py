"""Issue 8's printouts in a real Chromium: each event kit and each briefing, opened by the
sandbox's admin at top level (as on a computer next to the printer), printed with
``page.pdf``:

- on A4, on exactly the pages its content file designs (``Kit.pages``, counted with pypdf),
  each section on the page the design puts it, every line of it there in plain French;
- nothing cut: in print emulation no element of the document is wider than its box, and no
  box that clips (cards, the "first login" card) holds more than it shows;
- zero axe violations on the screen page; screenshots of the screen and print views in
  ``test-artifacts/screenshots/volunteers-*.png``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from io import BytesIO

import pytest
from playwright.sync_api import Browser, Page, expect

from service.volunteers.content import BRIEFINGS, KITS, LINK_MARK, load_shelf
from tests.browser.support import LiveRelais, axe_violations, describe_violations, screenshot

pytestmark = pytest.mark.browser

A4 = (595, 842)  # points
# Every element of the printed document whose content is wider than its box, and every box
# that clips (overflow hidden) with content taller than itself: text cut on paper.
CUT = """(root) => {
  const cut = [];
  for (const el of [document.querySelector(root), ...document.querySelectorAll(root + ' *')]) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || el.closest('.no-print')) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      cut.push(['wider', el.tagName, el.className.baseVal ?? el.className,
                el.scrollWidth, el.clientWidth, el.textContent.slice(0, 60)]);
    if (style.overflowY === 'hidden' && el.scrollHeight > el.clientHeight + 1)
      cut.push(['taller', el.tagName, el.className, el.scrollHeight, el.clientHeight,
                el.textContent.slice(0, 60)]);
  }
  return cut;
}"""


def squeezed(text: str) -> str:
    """Text compared without spaces, line breaks or ligatures: a PDF breaks lines where the
    page does, and writes « fi » as one glyph."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture
def page(browser: Browser, relais: LiveRelais) -> Iterator[Page]:
    """The sandbox's admin, launched at top level on a desktop browser."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="fr-FR")
    tab = context.new_page()
    tab.goto(relais.sandbox_url + "/?as=admin")
    src = tab.locator("iframe#relais").get_attribute("src")
    assert src
    tab.goto(src)
    expect(tab.locator("body")).to_have_attribute("data-audience", "admin")
    yield tab
    context.close()


def printed(page: Page, name: str) -> list[str]:
    """Check the print view, print it, and return each page's text."""
    pypdf = pytest.importorskip("pypdf")
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    screenshot(page, f"volunteers-{name}")
    page.emulate_media(media="print")
    try:
        root = ".kit" if page.locator(".kit").count() else ".briefing"
        assert page.evaluate(CUT, root) == []
        screenshot(page, f"volunteers-{name}-print")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.emulate_media(media="screen")
    reader = pypdf.PdfReader(BytesIO(pdf))
    for sheet in reader.pages:
        box = sheet.mediabox
        assert (round(float(box.width)), round(float(box.height))) == A4
    return [squeezed(sheet.extract_text()) for sheet in reader.pages]


@pytest.mark.parametrize("slug", KITS)
def test_each_kit_prints_on_its_designed_pages_with_nothing_cut(page: Page, relais: LiveRelais,
                                                                slug: str) -> None:
    kit = load_shelf().kits["fr"][slug]
    page.goto(f"{relais.tool_url}/benevoles/kits/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(kit.title)
    expect(page.get_by_role("button", name="Imprimer le kit")).to_be_visible()
    sheets = printed(page, f"kit-{slug}")
    assert len(sheets) == kit.pages, f"{slug}: {len(sheets)} pages, designed for {kit.pages}"

    link = f"{relais.tool_url}/e/jmoulin"  # the sandbox's only school
    sheet = 0
    assert squeezed(kit.title) in sheets[0]
    for section in kit.sections:
        if section.new_page:
            sheet += 1
        assert squeezed(section.title) in sheets[sheet], (slug, section.key, sheet)
        if section.layout == "cards":
            for number, cards in enumerate(section.card_pages):
                for question, answer in cards:
                    assert squeezed(question) in sheets[sheet + number], question
                    assert squeezed(answer) in sheets[sheet + number], answer
            sheet += len(section.card_pages) - 1
            continue
        for line in section.lines:
            assert squeezed(line.replace(LINK_MARK, link)) in sheets[sheet], (slug, line)
    if slug == "cafe-des-parents":  # the sign-in sheet asks for a first name, nothing else
        assert re.findall(r"Prénom|Nom|Téléphone|Mail", sheets[-1]) == ["Prénom", "Prénom"]
    if slug == "stand-numerique":  # the poster's code leads to the school's help page
        expect(page.locator(".kit-qr svg")).to_be_visible()
        assert squeezed(link.split("://", 1)[1]) in sheets[1]


@pytest.mark.parametrize("slug", BRIEFINGS)
def test_each_briefing_prints_on_one_page(page: Page, relais: LiveRelais, slug: str) -> None:
    briefing = load_shelf().briefings["fr"][slug]
    page.goto(f"{relais.tool_url}/benevoles/fiches/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(briefing.title)
    sheets = printed(page, f"briefing-{slug}")
    assert len(sheets) == 1
    for step in briefing.steps:
        for sentence in step.sentences:
            assert squeezed(sentence) in sheets[0], sentence
    assert "Toutes les fiches" not in sheets[0] and "Imprimer" not in sheets[0]
