"""The class flyer: a QR code to the school's public help page, one sentence per language.

The sentences are printed side by side, whatever the reader's language, so they are not
gettext strings but one text per language, each written for parents who may read little of it:
short, warm, nothing to fill in. The QR code is an inline SVG drawn by segno (no image file, no
PDF library): the browser prints it as sharp as the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import segno
from markupsafe import Markup

# Language code -> (its name in itself, the sentence, writing direction).
SENTENCES: dict[str, tuple[str, str, str]] = {
    "fr": (
        "Français",
        "Besoin d'aide pour l'ENT, Pronote ou une démarche en ligne ? Scannez ce code : "
        "des personnes près de chez vous vous accompagnent, gratuitement.",
        "ltr",
    ),
    "ar": (
        "العربية",
        "هل تحتاجون إلى مساعدة في استعمال فضاء المدرسة الرقمي أو برنامج Pronote أو في إجراء "
        "عبر الإنترنت؟ امسحوا هذا الرمز: أشخاص قريبون منكم يرافقونكم مجانًا.",
        "rtl",
    ),
    "pt": (
        "Português",
        "Precisa de ajuda com o ENT, o Pronote ou um procedimento online? Leia este código: "
        "há pessoas perto de si prontas a ajudar, gratuitamente.",
        "ltr",
    ),
    "tr": (
        "Türkçe",
        "ENT, Pronote veya internetteki bir işlem için yardıma mı ihtiyacınız var? Bu kodu "
        "okutun: yakınınızdaki kişiler size ücretsiz olarak eşlik eder.",
        "ltr",
    ),
    "en": (
        "English",
        "Need help with the school's online space (ENT), Pronote or an online form? Scan this "
        "code: people near you will help you, free of charge.",
        "ltr",
    ),
}
DEFAULT_LANGUAGES = ("fr", "ar", "pt", "tr", "en")
FORMATS = ("a4", "a5")
EVENTS_SHOWN = {"a4": 3, "a5": 2}
EVENT_TITLE_MAX = 70  # characters on the flyer (the page of the event has it whole)
EVENT_PLACE_MAX = 60


@dataclass(frozen=True, slots=True)
class Sentence:
    code: str
    name: str
    text: str
    direction: str


def sentences(codes: Sequence[str] | None) -> list[Sentence]:
    """The sentences for ``codes`` (unknown ones left out), French first when chosen."""
    chosen = [c for c in (codes or DEFAULT_LANGUAGES) if c in SENTENCES]
    return [Sentence(c, *SENTENCES[c]) for c in dict.fromkeys(chosen)]


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word before ``limit`` characters, with an ellipsis: a poster gives
    the gist (the full event is one scan away)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def qr_svg(data: str, *, title: str) -> Markup:
    """``data`` as an inline SVG QR code (error correction M: a folded or stained flyer still
    reads), sized by CSS through its ``viewBox``, hidden from screen readers (the link is
    written out beside it)."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="flyer-qr",
                          dark="#000", light="#fff", title=title)
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))
