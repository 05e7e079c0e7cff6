"""Briefings and event kits: per-locale content files, read with the guides' parser.

A **briefing** is ``service/content/briefings/<locale>/<slug>.md``: a guide's shape (``title``,
``summary``, numbered steps with a pictogram), written for the volunteer.

A **kit** is ``service/content/kits/<locale>/<slug>.md``: the same shape, where each numbered
step is a *section* (its first line is the section's title, the next lines its content) and
the front matter says which event kinds it serves and how each section is laid out::

    ---
    title: Café des parents
    summary: Un café d'une heure et demie entre parents.
    event_kinds: [cafe_parents]
    sections: [theme:lead, deroule:steps, presence:signin]
    ---
    1. [calendar] Le thème
       Les vacances arrivent : écrans et jeux vidéo, que proposer d'autre ?

Layouts that flow on the page: ``lead``, ``text``, ``list``, ``steps``, ``checklist``. Layouts
that start a page of their own: ``signin`` (a sheet that asks for a first name only),
``poster``, ``card`` (printed twice, to cut in two), ``cards`` (a question line then its
answer line, eight cards a page). So a kit's printed page count follows from its sections
(``Kit.pages``), and the browser tests hold the printout to it. ``{lien}`` in a line becomes
the school's public help link.

A platform may replace a section's lines (``KitOverride``): ``check_lines`` says what a
section accepts, and ``with_overrides`` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from service.parents.guides import (
    DEFAULT_LOCALE,
    GuideError,
    Step,
    french_spaces,
    known_pictos,
    parse_document,
)

CONTENT = Path(__file__).resolve().parent.parent / "content"
BRIEFINGS_DIR = CONTENT / "briefings"
KITS_DIR = CONTENT / "kits"

# The briefings and kits, in the order volunteers meet them; each has a French file.
BRIEFINGS = ("premiere-connexion", "avec-jamais-a-la-place", "cafe-des-parents",
             "peu-de-francais")
KITS = ("cafe-des-parents", "stand-numerique", "course-orientation")

FLOWING = ("lead", "text", "list", "steps", "checklist")
OWN_PAGE = ("signin", "poster", "card", "cards")
LAYOUTS = FLOWING + OWN_PAGE
CARDS_PER_PAGE = 8
# What a section may hold (lines of at most LINE_MAX characters): the printout keeps its pages.
MAX_LINES = {"lead": 3, "text": 6, "list": 12, "steps": 10, "checklist": 12, "signin": 3,
             "poster": 5, "card": 8, "cards": 2 * CARDS_PER_PAGE}
LINE_MAX = 220
LINK_MARK = "{lien}"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Briefing:
    slug: str
    locale: str
    title: str
    summary: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    layout: str
    picto: str
    title: str
    lines: tuple[str, ...]
    new_page: bool = False

    @property
    def cards(self) -> tuple[tuple[str, str], ...]:
        """For ``cards``: (question, answer) pairs."""
        return tuple(zip(self.lines[::2], self.lines[1::2], strict=True))

    @property
    def card_pages(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        cards = self.cards
        return tuple(cards[i:i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE))


@dataclass(frozen=True, slots=True)
class Kit:
    slug: str
    locale: str
    title: str
    summary: str
    event_kinds: tuple[str, ...]
    sections: tuple[Section, ...]

    @property
    def pages(self) -> int:
        """Printed pages, as designed: the first, one more for each section that starts a
        page (a section of cards takes a page per eight cards)."""
        pages = 1
        for section in self.sections:
            if section.layout == "cards":
                pages += max(1, len(section.card_pages)) - (0 if section.new_page else 1)
            elif section.new_page:
                pages += 1
        return pages

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


# --- parsing ---------------------------------------------------------------------------------


def _text(meta: dict[str, object], key: str, path: Path | str, *, required: bool) -> str:
    value = meta.pop(key, "")
    if not isinstance(value, str) or (required and not value):
        raise GuideError(path, 1, f"the front matter needs '{key}' as one line of text")
    return value


def parse_briefing(text: str, *, slug: str, locale: str, path: Path | str = "<briefing>",
                   pictos: Iterable[str] | None = None) -> Briefing:
    """One briefing file; raises ``GuideError`` on anything unexpected."""
    meta, steps, steps_line = parse_document(text, path=path, pictos=pictos)
    title = _text(meta, "title", path, required=True)
    summary = _text(meta, "summary", path, required=False)
    if meta:
        raise GuideError(path, 1, f"unknown front matter key {next(iter(meta))!r}")
    if len(steps) < 2:
        raise GuideError(path, steps_line, "a briefing has at least two steps")
    briefing = Briefing(slug, locale, title, summary, tuple(steps))
    if locale == "fr":
        briefing = replace(briefing, title=french_spaces(title), summary=french_spaces(summary),
                           steps=tuple(Step(s.picto, tuple(map(french_spaces, s.sentences)))
                                       for s in steps))
    return briefing


def _section_specs(meta: dict[str, object], path: Path | str) -> list[tuple[str, str]]:
    specs = meta.pop("sections", None)
    if not isinstance(specs, list) or not specs:
        raise GuideError(path, 1, "'sections' lists each section as key:layout")
    found = []
    for spec in specs:
        key, _, layout = str(spec).partition(":")
        if not _SLUG.match(key) or layout not in LAYOUTS:
            raise GuideError(path, 1, f"section {spec!r}: expected key:layout, layout one of "
                                      f"{', '.join(LAYOUTS)}")
        found.append((key, layout))
    if len({k for k, _ in found}) != len(found):
        raise GuideError(path, 1, "a section key is given twice")
    return found


def check_lines(layout: str, lines: Iterable[str]) -> str | None:
    """Why these lines do not fit a section of this layout (a code), or None when they do."""
    lines = list(lines)
    if not lines:
        return "empty"
    if len(lines) > MAX_LINES[layout]:
        return "too_many_lines"
    if any(len(line) > LINE_MAX for line in lines):
        return "line_too_long"
    if layout == "cards" and len(lines) % 2:
        return "cards_unpaired"
    return None


def _laid_out(sections: list[Section]) -> tuple[Section, ...]:
    """Mark the sections that start a page: those of an own-page layout, and a flowing one
    that follows such a section."""
    out = []
    for i, section in enumerate(sections):
        before = sections[i - 1].layout if i else None
        new_page = i > 0 and (section.layout in OWN_PAGE or before in OWN_PAGE)
        out.append(replace(section, new_page=new_page))
    return tuple(out)


def parse_kit(text: str, *, slug: str, locale: str, path: Path | str = "<kit>",
              pictos: Iterable[str] | None = None,
              event_kinds: Iterable[str] | None = None) -> Kit:
    """One kit file; raises ``GuideError`` on anything unexpected."""
    meta, steps, steps_line = parse_document(text, path=path, pictos=pictos)
    title = _text(meta, "title", path, required=True)
    summary = _text(meta, "summary", path, required=False)
    kinds = meta.pop("event_kinds", [])
    if not isinstance(kinds, list):
        raise GuideError(path, 1, "'event_kinds' is a list like [cafe_parents]")
    if event_kinds is not None:
        unknown = [k for k in kinds if k not in set(event_kinds)]
        if unknown:
            raise GuideError(path, 1, f"unknown event kind {unknown[0]!r}")
    specs = _section_specs(meta, path)
    if meta:
        raise GuideError(path, 1, f"unknown front matter key {next(iter(meta))!r}")
    if len(steps) != len(specs):
        raise GuideError(path, steps_line, f"{len(specs)} sections announced, {len(steps)} "
                                           "written")
    sections = []
    for (key, layout), step in zip(specs, steps, strict=True):
        lines = step.sentences[1:]
        problem = check_lines(layout, lines)
        if problem:
            raise GuideError(path, steps_line, f"section {key!r}: {problem}")
        sections.append(Section(key, layout, step.picto, step.sentences[0], tuple(lines)))
    kit = Kit(slug, locale, title, summary, tuple(str(k) for k in kinds), _laid_out(sections))
    return _french_kit(kit) if locale == "fr" else kit


def _french_kit(kit: Kit) -> Kit:
    return replace(
        kit, title=french_spaces(kit.title), summary=french_spaces(kit.summary),
        sections=tuple(replace(s, title=french_spaces(s.title),
                               lines=tuple(map(french_spaces, s.lines)))
                       for s in kit.sections))


def split_lines(body: str) -> tuple[str, ...]:
    """A section typed in a text area: one idea per line, blank lines dropped."""
    return tuple(" ".join(line.split()) for line in body.splitlines() if line.strip())


def with_overrides(kit: Kit, overrides: Mapping[str, str]) -> Kit:
    """The kit with a platform's own lines for some sections (``{section key: text}``)."""
    sections = []
    for section in kit.sections:
        body = overrides.get(section.key)
        lines = split_lines(body) if body else ()
        if lines and check_lines(section.layout, lines) is None:
            if kit.locale == "fr":
                lines = tuple(map(french_spaces, lines))
            section = replace(section, lines=lines)
        sections.append(section)
    return replace(kit, sections=_laid_out(sections))


def with_link(kit: Kit, link: str) -> Kit:
    """The kit with ``{lien}`` replaced by ``link`` (the school's public help link)."""
    return replace(kit, sections=tuple(
        replace(s, lines=tuple(line.replace(LINK_MARK, link) for line in s.lines))
        for s in kit.sections))


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shelf:
    """Every briefing and kit, by locale then slug."""

    briefings: Mapping[str, Mapping[str, Briefing]]
    kits: Mapping[str, Mapping[str, Kit]]

    def briefing(self, slug: str, locale: str) -> tuple[Briefing | None, bool]:
        """The briefing in ``locale``, else the French one; the flag says it is a fallback."""
        own = self.briefings.get(locale, {}).get(slug)
        if own is not None:
            return own, False
        return self.briefings.get(DEFAULT_LOCALE, {}).get(slug), locale != DEFAULT_LOCALE

    def kit(self, slug: str, locale: str) -> tuple[Kit | None, bool]:
        own = self.kits.get(locale, {}).get(slug)
        if own is not None:
            return own, False
        return self.kits.get(DEFAULT_LOCALE, {}).get(slug), locale != DEFAULT_LOCALE


def _files(root: Path, slugs: tuple[str, ...]) -> Iterable[tuple[str, str, Path]]:
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.md")):
            if path.stem not in slugs:
                raise GuideError(path, 1, f"unknown {root.name} {path.stem!r} "
                                          f"(known: {', '.join(slugs)})")
            yield folder.name, path.stem, path


def load_shelf(briefings: Path = BRIEFINGS_DIR, kits: Path = KITS_DIR) -> Shelf:
    """Read and check every briefing and kit; raise ``GuideError`` on the first problem,
    or when a briefing or kit has no French file."""
    from service.events.schemas import KINDS

    pictos = known_pictos()
    found_briefings: dict[str, dict[str, Briefing]] = {}
    for locale, slug, path in _files(briefings, BRIEFINGS):
        found_briefings.setdefault(locale, {})[slug] = parse_briefing(
            path.read_text(encoding="utf-8"), slug=slug, locale=locale, path=path, pictos=pictos)
    found_kits: dict[str, dict[str, Kit]] = {}
    for locale, slug, path in _files(kits, KITS):
        found_kits.setdefault(locale, {})[slug] = parse_kit(
            path.read_text(encoding="utf-8"), slug=slug, locale=locale, path=path,
            pictos=pictos, event_kinds=KINDS)
    for root, slugs, found in ((briefings, BRIEFINGS, found_briefings),
                               (kits, KITS, found_kits)):
        missing = [s for s in slugs if s not in found.get(DEFAULT_LOCALE, {})]
        if missing:
            raise GuideError(root / DEFAULT_LOCALE / f"{missing[0]}.md", 1, "missing")
    return Shelf(found_briefings, found_kits)


@cache
def shelf() -> Shelf:
    """The briefings and kits of this process, read once (content changes need a restart)."""
    return load_shelf()
