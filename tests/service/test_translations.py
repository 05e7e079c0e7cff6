"""Every French string of the service is translated in every offered language.

The strings are extracted in-process, from the same `babel.cfg` and keywords as `make
translations`, so a string added without a translation fails here with its msgid listed. Fix it
with `make translations`, then fill the new msgstrs in service/translations/<lang>/LC_MESSAGES/
messages.po (no fuzzy entries) and run `make translations` again to compile the .mo files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from service.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "service" / "translations"
SOURCE = "fr"
TRANSLATED = [code for code in DEFAULTS["LANGUAGES"] if code != SOURCE]

# %(name)s, %d, %% and str.format's {max} (marshmallow's messages): all must survive translation.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[a-z_]*\}")


def _keywords() -> dict[str, Any]:
    """Babel's default keywords plus the Makefile's BABEL_KEYWORDS (lazy strings)."""
    line = re.search(r"^BABEL_KEYWORDS\s*:=(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert line, "the Makefile should define BABEL_KEYWORDS for `make translations`"
    keywords = dict(DEFAULT_KEYWORDS)
    for spec in re.findall(r"-k\s+(\S+)", line.group(1)):
        name, _, args = spec.partition(":")
        if not args:
            keywords[name] = None
            continue
        spec_args = tuple(
            (int(a[:-1]), "c") if a.endswith("c") else int(a) for a in args.split(",")
        )
        keywords[name] = spec_args
    return keywords


@cache
def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """msgid (or (singular, plural)) -> where it is used, read from the code as it is now."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=_keywords()
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@cache
def catalogue(code: str) -> Catalog:
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def _listing(problems: list[str]) -> str:
    return "\n  " + "\n  ".join(problems)


def test_extraction_finds_the_strings() -> None:
    messages = extracted()
    assert "J'ai besoin d'aide" in messages  # a template string
    assert "Ce champ est obligatoire." in messages  # a lazy string (_l) in Python
    assert any(isinstance(m, tuple) for m in messages)  # ngettext in a template


def test_the_french_catalogue_holds_every_string() -> None:
    french = catalogue(SOURCE)
    absent = [
        f"{msgid!r}  ({extracted()[msgid][0]})" for msgid in extracted() if msgid not in french
    ]
    assert not absent, (
        f"{len(absent)} msgid(s) missing from fr/messages.po; run `make translations`:"
        + _listing(absent)
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_string_is_translated(code: str) -> None:
    cat = catalogue(code)
    untranslated, fuzzy = [], []
    for msgid, where in extracted().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = cat.get(key)
        forms = _forms(message.string if message else None)
        if message is None or not forms or not all(forms):
            untranslated.append(f"{msgid!r}  ({where[0]})")
        elif message.fuzzy:
            fuzzy.append(f"{msgid!r}  ({where[0]})")
    assert not untranslated, (
        f"{len(untranslated)} string(s) have no {code} translation yet. Run `make translations`, "
        f"translate them in service/translations/{code}/LC_MESSAGES/messages.po, then run "
        f"`make translations` again:" + _listing(untranslated)
    )
    assert not fuzzy, f"fuzzy {code} entries (check them, then drop the flag):" + _listing(fuzzy)


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_their_placeholders(code: str) -> None:
    cat = catalogue(code)
    wrong = []
    for message in cat:
        if not message.id:
            continue
        ids, forms = _forms(message.id), _forms(message.string)
        if not any(forms):
            continue  # reported by test_every_string_is_translated
        if len(ids) == 1:
            if _placeholders(forms[0]) != _placeholders(ids[0]):
                wrong.append(f"{ids[0]!r} -> {forms[0]!r}")
            continue
        # Plural forms may say "one", "two" in words (Arabic does), but never bring a new one,
        # and the general form keeps them all.
        allowed = set(_placeholders(ids[1]))
        if any(not set(_placeholders(f)) <= allowed for f in forms) or (
            _placeholders(forms[-1]) != _placeholders(ids[1])
        ):
            wrong.append(f"{ids!r} -> {forms!r}")
    assert not wrong, f"{code}: placeholders differ from the French:" + _listing(wrong)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_matches_the_po(code: str) -> None:
    """The .mo is what the app reads: a .po edited without `make translations` changes nothing."""
    path = CATALOGUES / code / "LC_MESSAGES" / "messages.mo"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make translations`"
    with path.open("rb") as mo:
        compiled = {_forms(m.id): _forms(m.string) for m in read_mo(mo) if m.id}
    stale = [
        repr(m.id)
        for m in catalogue(code)
        if m.id
        and all(_forms(m.string))
        and not m.fuzzy
        and compiled.get(_forms(m.id)) != _forms(m.string)
    ]
    assert not stale, f"{code}: messages.mo is stale, run `make translations`:" + _listing(stale)


def _visible_french(html: str, code: str) -> Iterator[str]:
    """French UI strings still showing on a page in `code` (names kept as they are excepted)."""
    cat = catalogue(code)
    for msgid in extracted():
        message = cat.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        if message is not None and _forms(message.string) == _forms(msgid):
            continue  # a proper name: EduConnect, France Services...
        for text in _forms(msgid):
            if len(text) >= 12 and "%" not in text and "{" not in text and text in html:
                yield text


def test_a_parent_page_in_arabic_reads_right_to_left(client: Any, launcher: Any) -> None:
    client.get("/lang?to=ar")
    home = launcher.as_(client, "parent")
    html = home.get_data(as_text=True)

    assert home.status_code == 200
    assert re.search(r'<html[^>]*\bdir="rtl"', html), html[:400]
    assert re.search(r'<html[^>]*\blang="ar"', html), html[:400]
    need_help = catalogue("ar").get("J'ai besoin d'aide")
    assert need_help is not None and need_help.string in html
    left = sorted(set(_visible_french(html, "ar")))
    assert not left, "French strings left on the Arabic parent home:" + _listing(left)
