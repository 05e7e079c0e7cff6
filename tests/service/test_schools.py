"""Schools from the command line: short slugs from an unambiguous alphabet, unique; bad input
writes nothing; ``school-link`` prints the link and a QR code that decodes to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import segno
import zxingcpp
from flask import Flask
from sqlalchemy import select

from service import db
from service.schools import services
from service.schools.models import School
from service.schools.services import SLUG_ALPHABET, create_school, new_slug
from tests.service.test_events import other_platform, platform_id

BASE = "https://relais.example.fr"
NAME = "https://moodle.example.org"  # the `platform` fixture's name


def schools_in_db(app: Flask) -> list[School]:
    with app.app_context():
        return list(db.session().scalars(select(School).order_by(School.id)))


def test_slugs_are_short_lower_case_and_unambiguous():
    assert not set(SLUG_ALPHABET) & set("01ilo")
    assert SLUG_ALPHABET == SLUG_ALPHABET.lower()
    slugs = {new_slug() for _ in range(2000)}
    assert len(slugs) == 2000
    for slug in slugs:
        assert 6 <= len(slug) <= 8
        assert set(slug) <= set(SLUG_ALPHABET)


def test_school_add_creates_a_school_with_a_short_link(app, runner, platform):
    result = runner.invoke(args=[
        "school", "add", "--platform", NAME, "--name", "Collège Jean Moulin", "--uai", "0690001a",
        "--address", "1 rue de l'École", "--postcode", "69008", "--commune", "Lyon",
        "--lat", "45.737", "--lon", "4.869", "--contact-name", "Vie scolaire",
        "--contact-phone", "04 65 71 00 00",
    ])
    assert result.exit_code == 0, result.output
    [school] = schools_in_db(app)
    assert school.uai == "0690001A" and school.postcode == "69008"
    assert (school.latitude, school.longitude) == (45.737, 4.869)
    assert school.contact_phone == "+33465710000"
    assert set(school.slug) <= set(SLUG_ALPHABET) and len(school.slug) == 7
    assert f"{BASE}/e/{school.slug}" in result.output

    listed = runner.invoke(args=["school", "list", "--platform", NAME])
    assert listed.exit_code == 0
    assert f"Collège Jean Moulin\t{BASE}/e/{school.slug}\t69008 Lyon" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", ""], "name:"),
        (["--name", "Collège X", "--postcode", "6900"], "postcode:"),
        (["--name", "Collège X", "--uai", "ABC"], "uai:"),
        (["--name", "Collège X", "--lat", "45.7"], "longitude:"),
        (["--name", "Collège X", "--lat", "north", "--lon", "4.8"], "latitude:"),
        (["--name", "Collège X", "--lat", "95", "--lon", "4.8"], "latitude:"),
        (["--name", "Collège X", "--contact-phone", "12"], "contact_phone:"),
    ],
)
def test_school_add_rejects_bad_input_and_writes_nothing(app, runner, platform, args, message):
    result = runner.invoke(args=["school", "add", "--platform", NAME, *args])
    assert result.exit_code != 0
    assert message in result.output
    assert schools_in_db(app) == []


def test_school_add_rejects_an_unknown_platform_and_a_duplicate_name(app, runner, platform):
    unknown = runner.invoke(args=["school", "add", "--platform", "Nowhere", "--name", "X"])
    assert unknown.exit_code != 0 and "no platform named 'Nowhere'" in unknown.output
    assert runner.invoke(args=["school", "add", "--platform", NAME, "--name", "Collège X"]
                         ).exit_code == 0
    again = runner.invoke(args=["school", "add", "--platform", NAME, "--name", "Collège X"])
    assert again.exit_code != 0 and "name:" in again.output
    assert len(schools_in_db(app)) == 1


def test_two_platforms_may_each_have_a_school_of_the_same_name(app, platform):
    a = platform_id(app, platform)
    b = platform_id(app, other_platform(app))
    with app.app_context():
        create_school(a, {"name": "Collège Jean Moulin"})
        create_school(b, {"name": "Collège Jean Moulin"})
    first, second = schools_in_db(app)
    assert first.slug != second.slug


def test_slugs_stay_unique_when_the_random_draw_repeats(app, platform, monkeypatch):
    a = platform_id(app, platform)
    draws = iter(["bcdfghj", "bcdfghj", "bcdfghj", "kmnpqrs"])
    monkeypatch.setattr(services, "new_slug", lambda: next(draws))
    with app.app_context():
        first = create_school(a, {"name": "Collège A"})
        second = create_school(a, {"name": "Collège B"})
    assert (first.slug, second.slug) == ("bcdfghj", "kmnpqrs")


def terminal_matrix(text: str) -> list[list[bool]]:
    """segno's compact terminal output back into modules (True = dark): each character holds
    two rows; the block characters are the light modules (drawn for a dark terminal)."""
    top = {"█": True, "▀": True, "▄": False, " ": False}
    bottom = {"█": True, "▀": False, "▄": True, " ": False}
    rows: list[list[bool]] = []
    for line in text.splitlines():
        rows.append([not top[c] for c in line])
        rows.append([not bottom[c] for c in line])
    return rows


def decode(rows: list[list[bool]], scale: int = 4) -> list[str]:
    """Decode a QR code from rows of modules (True = dark), with zxing-cpp."""
    width, height = len(rows[0]) * scale, len(rows) * scale
    pixels = bytearray()
    for row in rows:
        line = bytes(0 if dark else 255 for dark in row for _ in range(scale))
        pixels += line * scale
    image = memoryview(bytes(pixels)).cast("B", (height, width))
    return [r.text for r in zxingcpp.read_barcodes(image)]


def qr_lines(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if line and set(line) <= set("█▀▄ "))


def test_school_link_prints_the_link_and_a_qr_code_that_decodes_to_it(app, runner, platform,
                                                                         tmp_path: Path):
    a = platform_id(app, platform)
    with app.app_context():
        school = create_school(a, {"name": "Collège Jean Moulin"})
    link = f"{BASE}/e/{school.slug}"
    svg = tmp_path / "qr.svg"
    result = runner.invoke(args=["school-link", "--platform", NAME, "--svg", str(svg)])
    assert result.exit_code == 0, result.output
    assert "Collège Jean Moulin" in result.output and link in result.output
    printed = qr_lines(result.output)
    assert printed, "no QR code in the output"
    assert decode(terminal_matrix(printed)) == [link]
    # The same code rendered by segno as an image (what the SVG holds) decodes too.
    assert svg.read_text().startswith("<?xml") and "<svg" in svg.read_text()
    assert decode([[bool(m) for m in row] for row in segno.make(link, error="m").matrix_iter(
        border=4)]) == [link]


def test_school_link_for_one_school_of_several(app, runner, platform, tmp_path: Path):
    a = platform_id(app, platform)
    with app.app_context():
        x = create_school(a, {"name": "Collège X"})
        y = create_school(a, {"name": "Collège Y"})
    everything = runner.invoke(args=["school-link", "--platform", NAME,
                                     "--svg", str(tmp_path / "qr.svg")])
    assert everything.exit_code == 0
    assert f"/e/{x.slug}" in everything.output and f"/e/{y.slug}" in everything.output
    assert (tmp_path / f"qr-{x.slug}.svg").exists() and (tmp_path / f"qr-{y.slug}.svg").exists()
    one = runner.invoke(args=["school-link", "--platform", NAME, "--school", "Collège Y"])
    assert one.exit_code == 0
    assert f"/e/{y.slug}" in one.output and f"/e/{x.slug}" not in one.output


def test_school_link_says_clearly_what_is_missing(app, runner, platform):
    none = runner.invoke(args=["school-link", "--platform", NAME])
    assert none.exit_code != 0 and "has no school yet" in none.output
    unknown = runner.invoke(args=["school-link", "--platform", "Nowhere"])
    assert unknown.exit_code != 0 and "no platform named" in unknown.output
    with app.app_context():
        create_school(platform_id(app, platform), {"name": "Collège X"})
    missing = runner.invoke(args=["school-link", "--platform", NAME, "--school", "Collège Z"])
    assert missing.exit_code != 0 and "no school named 'Collège Z'" in missing.output
