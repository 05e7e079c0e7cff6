"""The wizard's words: one content file per step and per locale, read once per process.

``service/content/wizard/<locale>/<step>.md`` (the step ids are those of ``path.py``), in the
guides' format (``service.parents.guides.parse_document``: front matter, then numbered actions
with a pictogram each) with the wizard's own front matter keys:

    ---
    title: Installer l'application Pronote      (required: the step's one goal, as a heading)
    goal: À la fin, l'application est sur votre téléphone.        (required: one sentence)
    question: Quel appareil utilisez-vous ?     (choice steps only: the question answered)
    choices:                                    (choice steps only: each answer the path knows)
      - android: Un téléphone Android
    links: [educonnect]                         (the platform's links, as in the guides)
    dates:                                      (the dates step: each key date of the year)
      - key: bourse
        when: De début septembre à mi-octobre
        what: Demander la bourse.
    ---
    1. [app] One short sentence per line.

French is complete: every step of every branch exists (a missing one stops the loading). A
step missing in another language is shown in French, with a note; a translated step offers the
same answers and dates as the French one. A broken file raises ``GuideError`` with its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from service.onboarding.calendar import KEY_DATES
from service.onboarding.path import CHOICES, all_step_ids, stage
from service.parents.guides import (
    DEFAULT_LOCALE,
    LINK_NAMES,
    GuideError,
    Step,
    french_spaces,
    known_pictos,
    parse_document,
)

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "wizard"
MIN_ACTIONS = 2


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class KeyDate:
    key: str  # one of calendar.KEY_DATES
    when: str
    what: str


@dataclass(frozen=True, slots=True)
class WizardStep:
    id: str
    locale: str
    title: str
    goal: str
    actions: tuple[Step, ...]
    question: str = ""
    choices: tuple[Choice, ...] = ()
    links: tuple[str, ...] = ()
    dates: tuple[KeyDate, ...] = ()

    def spoken(self) -> str:
        """The text the read-aloud button says: heading, goal, then each action in order."""
        parts = [self.title, self.goal, *(s for a in self.actions for s in a.sentences)]
        return " ".join(parts)


def _choice_stage(step_id: str) -> str | None:
    """The choice a step asks for: a step of a choice stage carries that stage's id."""
    found = stage(step_id)
    return found.choice if found is not None else None


def parse_step(text: str, *, step_id: str, locale: str, path: Path | str = "<step>",
               pictos: Iterable[str] | None = None) -> WizardStep:
    """Parse one step file; raise ``GuideError`` on anything it does not expect."""
    meta, actions, actions_line = parse_document(text, path=path, pictos=pictos)
    title, goal, question = (meta.pop(k, "") for k in ("title", "goal", "question"))
    choices, links, dates = (meta.pop(k, []) for k in ("choices", "links", "dates"))
    if meta:
        raise GuideError(path, 1, f"unknown front matter key {next(iter(meta))!r}")
    if not (isinstance(title, str) and title):
        raise GuideError(path, 1, "the front matter needs a 'title'")
    if not (isinstance(goal, str) and goal):
        raise GuideError(path, 1, "the front matter needs a 'goal': one sentence")
    if len(actions) < MIN_ACTIONS:
        raise GuideError(path, actions_line, f"a step has at least {MIN_ACTIONS} actions")
    if not isinstance(links, list) or any(x not in LINK_NAMES for x in links):
        raise GuideError(path, 1, f"'links' is a list among {sorted(LINK_NAMES)}")

    asked = _choice_stage(step_id)
    parsed_choices = _choices(choices, path)
    if asked is None and (parsed_choices or question):
        raise GuideError(path, 1, "only a choice step has 'question' and 'choices'")
    if asked is not None:
        if not (isinstance(question, str) and question):
            raise GuideError(path, 1, "a choice step needs a 'question'")
        codes = [c.code for c in parsed_choices]
        if sorted(codes) != sorted(CHOICES[asked]):
            raise GuideError(path, 1, f"'choices' must offer exactly {', '.join(CHOICES[asked])}")

    parsed_dates = _dates(dates, path)
    if step_id == "dates" and sorted(d.key for d in parsed_dates) != sorted(KEY_DATES):
        raise GuideError(path, 1, f"'dates' must give each of {', '.join(KEY_DATES)}")
    if step_id != "dates" and parsed_dates:
        raise GuideError(path, 1, "only the dates step has 'dates'")

    found = WizardStep(
        id=step_id, locale=locale, title=title, goal=goal, actions=tuple(actions),
        question=str(question), choices=parsed_choices, links=tuple(links), dates=parsed_dates,
    )
    return _french(found) if locale == "fr" else found


def _choices(items: object, path: Path | str) -> tuple[Choice, ...]:
    if not isinstance(items, list):
        raise GuideError(path, 1, "'choices' is a list of 'code: label' items")
    found = []
    for item in items:
        if not (isinstance(item, dict) and len(item) == 1):
            raise GuideError(path, 1, "each choice is one 'code: label' line")
        (code, label), = item.items()
        if not label:
            raise GuideError(path, 1, f"the choice {code!r} has no label")
        found.append(Choice(code=code, label=label))
    return tuple(found)


def _dates(items: object, path: Path | str) -> tuple[KeyDate, ...]:
    if not isinstance(items, list):
        raise GuideError(path, 1, "'dates' is a list of 'key'/'when'/'what' items")
    found = []
    for item in items:
        if not (isinstance(item, dict) and set(item) == {"key", "when", "what"}
                and all(item.values())):
            raise GuideError(path, 1, "each date has a 'key', a 'when' and a 'what'")
        if item["key"] not in KEY_DATES:
            raise GuideError(path, 1, f"unknown date {item['key']!r}")
        found.append(KeyDate(key=item["key"], when=item["when"], what=item["what"]))
    return tuple(found)


def _french(s: WizardStep) -> WizardStep:
    f = french_spaces
    return WizardStep(
        id=s.id, locale=s.locale, title=f(s.title), goal=f(s.goal), question=f(s.question),
        actions=tuple(Step(a.picto, tuple(map(f, a.sentences))) for a in s.actions),
        choices=tuple(Choice(c.code, f(c.label)) for c in s.choices), links=s.links,
        dates=tuple(KeyDate(d.key, f(d.when), f(d.what)) for d in s.dates),
    )


@dataclass(frozen=True, slots=True)
class Steps:
    """Every step, by locale then step id."""

    steps: Mapping[str, Mapping[str, WizardStep]]

    def find(self, step_id: str, locale: str) -> tuple[WizardStep, bool]:
        """The step in ``locale``, else the French one; the flag says it is a fallback.
        Raises ``KeyError`` for a step id French does not have (the loader forbids that for
        every id of the path)."""
        own = self.steps.get(locale, {}).get(step_id)
        if own is not None:
            return own, False
        return self.steps[DEFAULT_LOCALE][step_id], locale != DEFAULT_LOCALE


def load_steps(root: Path = CONTENT_DIR) -> Steps:
    """Read and check every step under ``root``; raise ``GuideError`` on the first problem:
    a broken file, a file no branch meets, a French step missing, a translation that offers
    other answers or dates than French."""
    pictos = known_pictos()
    known = all_step_ids()
    steps: dict[str, dict[str, WizardStep]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.md")):
            if file.stem not in known:
                raise GuideError(file, 1, f"no branch of the path meets a step {file.stem!r}")
            steps.setdefault(folder.name, {})[file.stem] = parse_step(
                file.read_text(encoding="utf-8"), step_id=file.stem, locale=folder.name,
                path=file, pictos=pictos,
            )
    french = steps.get(DEFAULT_LOCALE, {})
    missing = sorted(known - set(french))
    if missing:
        raise GuideError(root / DEFAULT_LOCALE, 1, f"French misses the step {missing[0]!r}")
    for locale, own in steps.items():
        for step_id, translated in own.items():
            reference = french[step_id]
            same = (sorted(c.code for c in translated.choices)
                    == sorted(c.code for c in reference.choices))
            if not same or translated.links != reference.links:
                raise GuideError(root / locale / f"{step_id}.md", 1,
                                 "a translation must offer the same choices and links as French")
    return Steps(steps)


@cache
def steps() -> Steps:
    """The steps of this process, read once (content changes need a restart)."""
    return load_steps()

