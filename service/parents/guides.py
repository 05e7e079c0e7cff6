"""Guides: per-locale content files, parsed once per process.

A guide is ``service/content/guides/<locale>/<topic>.md``: a small front matter between ``---``
lines, then numbered steps. The format is deliberately tiny (see the folder's README) so that
translators can edit it and a page can render it with everything escaped: no HTML, no markup.

    ---
    title: Mot de passe ou codes oubliés
    summary: Vos codes ne marchent plus ? Cela arrive souvent.
    links: [educonnect, pronote]
    dates:
      - when: De septembre à mi-octobre
        what: Faire la demande de bourse.
    ---
    1. [key] One short sentence per line.
       Another idea, another line.
    2. [phone] ...

A broken file stops the loading with a ``GuideError`` naming the file and the line: content is
checked by the tests and at the first request, never half-shown to a parent.

``parse_document`` is the shared part (front matter and numbered steps); the wizard's step
files (``service/onboarding/content.py``) use it with their own front matter keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from service.topics import TOPICS

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "guides"
PICTOS_DIR = Path(__file__).resolve().parent.parent / "templates" / "pictos"
DEFAULT_LOCALE = "fr"

# The platform links a guide may ask for (resolved per platform by service.parents.links).
LINK_NAMES = frozenset({"ent", "pronote", "educonnect", "parcoursup"})

# French typography: no line break between a word and « » : ; ! ?
_FR_SPACES = ((re.compile(r" ([:;!?»])"), "\u00a0\\1"), (re.compile(r"« "), "«\u00a0"))
_STEP = re.compile(r"^(\d+)\.\s+\[([a-z_]+)\]\s+(\S.*)$")
_KEY = re.compile(r"^([a-z_]+):(?:\s+(.*))?$")


class GuideError(ValueError):
    """A guide file that cannot be shown: ``path:line: reason``."""

    def __init__(self, path: Path | str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class KeyDate:
    when: str
    what: str


@dataclass(frozen=True, slots=True)
class Step:
    picto: str
    sentences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Guide:
    topic: str
    locale: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    links: tuple[str, ...] = ()
    dates: tuple[KeyDate, ...] = field(default=())


def known_pictos() -> frozenset[str]:
    return frozenset(p.stem for p in PICTOS_DIR.glob("*.svg"))


def parse_document(
    text: str, *, path: Path | str = "<content>", pictos: Iterable[str] | None = None
) -> tuple[dict[str, object], list[Step], int]:
    """Split a content file into its front matter and its numbered steps, checking the shape
    both share (guides, wizard steps). Returns ``(meta, steps, first_step_line)``; the caller
    checks which keys it accepts. Raises ``GuideError``."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise GuideError(path, 1, "a guide starts with a '---' line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise GuideError(path, 1, "the front matter has no closing '---' line") from None
    meta = _front_matter(lines[1:end], path, first_line=2)
    steps = _steps(lines[end + 1:], path, first_line=end + 2,
                   pictos=frozenset(pictos) if pictos is not None else known_pictos())
    return meta, steps, end + 2


def parse_guide(text: str, *, topic: str, locale: str, path: Path | str = "<guide>",
                pictos: Iterable[str] | None = None) -> Guide:
    """Parse one guide file; raise ``GuideError`` on anything it does not expect."""
    if topic not in TOPICS:
        raise GuideError(path, 1, f"unknown topic {topic!r} (known: {', '.join(TOPICS)})")
    meta, steps, steps_line = parse_document(text, path=path, pictos=pictos)

    title = meta.pop("title", "")
    summary = meta.pop("summary", "")
    links = meta.pop("links", [])
    dates = meta.pop("dates", [])
    if not isinstance(title, str) or not title:
        raise GuideError(path, 1, "the front matter needs a 'title'")
    if not isinstance(summary, str):
        raise GuideError(path, 1, "'summary' is one line of text")
    if not isinstance(links, list) or not all(isinstance(x, str) for x in links):
        raise GuideError(path, 1, "'links' is a list like [ent, pronote]")
    unknown = [x for x in links if x not in LINK_NAMES]
    if unknown:
        raise GuideError(path, 1, f"unknown link {unknown[0]!r} (known: {sorted(LINK_NAMES)})")
    if not isinstance(dates, list):
        raise GuideError(path, 1, "'dates' is a list of 'when'/'what' items")
    key_dates = []
    for item in dates:
        if not (isinstance(item, dict) and item.get("when") and item.get("what")):
            raise GuideError(path, 1, "each date has a 'when' and a 'what'")
        key_dates.append(KeyDate(when=item["when"], what=item["what"]))
    if meta:
        raise GuideError(path, 1, f"unknown front matter key {next(iter(meta))!r}")
    if len(steps) < 2:
        raise GuideError(path, steps_line, "a guide has at least two steps")
    guide = Guide(topic=topic, locale=locale, title=title, summary=summary, steps=tuple(steps),
                  links=tuple(links), dates=tuple(key_dates))
    return _french_spaces(guide) if locale == "fr" else guide


def french_spaces(text: str) -> str:
    """French typography: a no-break space before : ; ! ? » and after «."""
    for pattern, replacement in _FR_SPACES:
        text = pattern.sub(replacement, text)
    return text


def _french_spaces(guide: Guide) -> Guide:
    return Guide(
        topic=guide.topic, locale=guide.locale, title=french_spaces(guide.title),
        summary=french_spaces(guide.summary), links=guide.links,
        steps=tuple(Step(s.picto, tuple(map(french_spaces, s.sentences))) for s in guide.steps),
        dates=tuple(KeyDate(french_spaces(d.when), french_spaces(d.what)) for d in guide.dates),
    )


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _front_matter(lines: list[str], path: Path | str, first_line: int) -> dict[str, object]:
    """``key: text``, ``key: [a, b]``, and ``key:`` followed by ``- text`` or
    ``- when: ...`` / ``  what: ...`` items. Nothing else (no YAML tags, anchors, types)."""
    meta: dict[str, object] = {}
    current: list[object] | None = None
    for number, raw in enumerate(lines, start=first_line):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            match = _KEY.match(raw.rstrip())
            if not match:
                raise GuideError(path, number, "expected 'key: value'")
            key, value = match.group(1), (match.group(2) or "").strip()
            if key in meta:
                raise GuideError(path, number, f"{key!r} is given twice")
            if not value:
                current = []
                meta[key] = current
            elif value.startswith("["):
                if not value.endswith("]"):
                    raise GuideError(path, number, "a list ends with ']'")
                meta[key] = [_scalar(x) for x in value[1:-1].split(",") if x.strip()]
                current = None
            else:
                meta[key] = _scalar(value)
                current = None
            continue
        if current is None:
            raise GuideError(path, number, "an indented line outside a list")
        stripped = raw.strip()
        if stripped.startswith("- "):
            item = stripped[2:].strip()
            match = _KEY.match(item)
            current.append({match.group(1): _scalar(match.group(2) or "")} if match
                           else _scalar(item))
        elif current and isinstance(current[-1], dict) and (match := _KEY.match(stripped)):
            current[-1][match.group(1)] = _scalar(match.group(2) or "")
        else:
            raise GuideError(path, number, "expected '- item' or 'key: value' in a list")
    return meta


def _steps(lines: list[str], path: Path | str, first_line: int,
           pictos: frozenset[str]) -> list[Step]:
    steps: list[tuple[str, list[str]]] = []
    for number, raw in enumerate(lines, start=first_line):
        if not raw.strip():
            continue
        if not raw[0].isspace():
            match = _STEP.match(raw.rstrip())
            if not match:
                raise GuideError(path, number, "expected a step like '1. [picto] A sentence.'")
            if int(match.group(1)) != len(steps) + 1:
                raise GuideError(path, number, f"step {len(steps) + 1} expected here")
            if match.group(2) not in pictos:
                raise GuideError(path, number, f"unknown pictogram {match.group(2)!r}")
            steps.append((match.group(2), [match.group(3).strip()]))
        elif steps:
            steps[-1][1].append(raw.strip())
        else:
            raise GuideError(path, number, "text before the first step")
    return [Step(picto=p, sentences=tuple(s)) for p, s in steps]


@dataclass(frozen=True, slots=True)
class Library:
    """Every guide, by locale then topic."""

    guides: Mapping[str, Mapping[str, Guide]]

    def find(self, topic: str, locale: str) -> tuple[Guide | None, bool]:
        """The guide in ``locale``, else the French one. The flag says it is a fallback."""
        own = self.guides.get(locale, {}).get(topic)
        if own is not None:
            return own, False
        return self.guides.get(DEFAULT_LOCALE, {}).get(topic), locale != DEFAULT_LOCALE


def load_library(root: Path = CONTENT_DIR) -> Library:
    """Read and check every guide under ``root``; raise ``GuideError`` on the first problem."""
    pictos = known_pictos()
    guides: dict[str, dict[str, Guide]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.md")):
            guides.setdefault(folder.name, {})[path.stem] = parse_guide(
                path.read_text(encoding="utf-8"), topic=path.stem, locale=folder.name,
                path=path, pictos=pictos,
            )
    return Library(guides)


@cache
def library() -> Library:
    """The guides of this process, read once (content changes need a restart)."""
    return load_library()
