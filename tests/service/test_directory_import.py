"""Importing the open data of lieux de médiation numérique: the shared samples (v1 and v0.1),
a generated national-size file, rejected rows reported by line and field, idempotent
re-imports, and never anything half-imported."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import db
from service.directory import importer, schemas
from service.directory.models import Relay
from tests.lti.platform import FakePlatform
from tests.service.test_directory import SHARED, add_relay, generator, other_platform, platform_id

NAME = "https://moodle.example.org"  # the `platform` fixture's name (its issuer)


def relays_of(app: Flask, pid: int) -> list[Relay]:
    with app.app_context():
        return list(db.session().scalars(
            select(Relay).where(Relay.platform_id == pid).order_by(Relay.source_id)))


def count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Relay)) or 0


def run_import(runner: Any, path: Path, *extra: str, platform: str = NAME) -> Any:
    return runner.invoke(args=["relays", "import", str(path), "--platform", platform, *extra])


def last_line(result: Any) -> str:
    return result.output.strip().splitlines()[-1]


# --- the shared samples ------------------------------------------------------------------------

def test_imports_the_v1_sample(app: Flask, runner: Any, platform: FakePlatform):
    result = run_import(runner, SHARED / "exemple-valide.csv")
    assert result.exit_code == 0, result.output
    assert last_line(result) == "imported 1, updated 0, unchanged 0, rejected 0"
    (relay,) = relays_of(app, platform_id(app, platform))
    assert (relay.kind, relay.source_id, relay.name) == ("structure", "structure-1", "Anonymal")
    assert relay.address == "12 BIS RUE DE LECLERCQ, Le patio du bois de l'Aulne"
    assert (relay.postcode, relay.commune, relay.commune_key) == ("51100", "Reims", "reims")
    assert (relay.latitude, relay.longitude) == (43.52609, 5.41423)
    assert relay.phone == "+33180059880"
    assert relay.email == "contact@laquincaillerie.tl"  # the first of several
    assert relay.website == "https://www.laquincaillerie.tl/"
    assert relay.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert relay.access == "|walk_in|phone|appointment|"  # Se présenter, Téléphoner, prise_rdv
    assert relay.appointment_url == "https://www.rdv-solidarites.fr/"
    assert relay.languages == "|en|"  # Langues étrangères (anglais)
    assert relay.fees == "free_conditional"
    assert relay.family is False  # neither the parenting service nor families as public
    assert relay.accessible is True  # Surdité
    assert relay.accessibility_url.startswith("https://acceslibre.beta.gouv.fr/")
    assert relay.active and relay.welcomes_public and len(relay.content_hash) == 40


def test_imports_the_v0_sample_and_a_later_v1_file_updates_the_same_place(
        app: Flask, runner: Any, platform: FakePlatform):
    result = run_import(runner, SHARED / "exemple-valide-v0.1.csv")
    assert last_line(result) == "imported 1, updated 0, unchanged 0, rejected 0"
    (relay,) = relays_of(app, platform_id(app, platform))
    assert relay.email == "contact@laquincaillerie.tl"  # v0.1 "courriel"
    assert relay.family is True  # publics_accueillis ∋ Familles/enfants
    assert relay.accessible is True  # accessibilite (a link to its accessibility sheet)
    assert relay.fees == "paid"  # conditions_acces: Payant
    assert relay.access == "|appointment|"
    assert relay.website == "https://www.laquincaillerie.tl/"  # ";"-separated
    again = run_import(runner, SHARED / "exemple-valide-v0.1.csv")
    assert last_line(again) == "imported 0, updated 0, unchanged 1, rejected 0"
    newer = run_import(runner, SHARED / "exemple-valide.csv")
    assert last_line(newer) == "imported 0, updated 1, unchanged 0, rejected 0"
    (relay,) = relays_of(app, platform_id(app, platform))
    assert relay.fees == "free_conditional" and relay.family is False


def test_imports_json_and_semicolon_delimited_csv(app: Flask, runner: Any,
                                                  platform: FakePlatform, tmp_path: Path):
    with (SHARED / "exemple-valide.csv").open(encoding="utf-8") as f:
        (record,) = list(csv.DictReader(f))
    record["latitude"] = float(record["latitude"])  # JSON has numbers
    record["services"] = record["services"].split("|")  # and sometimes lists
    (tmp_path / "lieux.json").write_text(json.dumps([record]), encoding="utf-8")
    result = run_import(runner, tmp_path / "lieux.json")
    assert last_line(result) == "imported 1, updated 0, unchanged 0, rejected 0"
    with (tmp_path / "lieux.csv").open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(record), delimiter=";")
        writer.writeheader()
        writer.writerow({**record, "id": "structure-2", "services": "|".join(record["services"])})
    result = run_import(runner, tmp_path / "lieux.csv")
    assert last_line(result) == "imported 1, updated 0, unchanged 0, rejected 0"


# --- rejected rows ------------------------------------------------------------------------------

def test_rejected_rows_are_reported_by_line_and_field(app: Flask, runner: Any,
                                                      platform: FakePlatform, tmp_path: Path):
    made = generator().write_csv(tmp_path / "lieux.csv", 60, invalid_every=4)
    result = run_import(runner, made.path)
    assert result.exit_code == 0, result.output
    assert last_line(result) == f"imported {made.valid}, updated 0, unchanged 0, rejected 15"
    reported = [line for line in result.output.splitlines() if line.startswith("rejected line")]
    assert len(reported) == 15
    for (line, field), text in zip(made.invalid_at, reported, strict=True):
        assert text.startswith(f"rejected line {line}: {field}: ")
    assert count(app) == made.valid


def test_duplicate_ids_in_one_file_keep_the_first(app: Flask, runner: Any,
                                                  platform: FakePlatform, tmp_path: Path):
    sample = (SHARED / "exemple-valide.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "twice.csv").write_text("\n".join([*sample, sample[1]]) + "\n", encoding="utf-8")
    result = run_import(runner, tmp_path / "twice.csv")
    assert "rejected line 3: id: same id as line 2" in result.output
    assert last_line(result) == "imported 1, updated 0, unchanged 0, rejected 1"


def test_the_screen_report_is_capped_and_report_file_has_all(app: Flask, runner: Any,
                                                             platform: FakePlatform,
                                                             tmp_path: Path):
    made = generator().write_csv(tmp_path / "lieux.csv", 100, invalid_every=3)
    on_screen = run_import(runner, made.path)
    assert on_screen.output.count("rejected line") == 20
    assert f"... {made.invalid - 20} more (use --report FILE)" in on_screen.output
    report = tmp_path / "rejected.txt"
    to_file = run_import(runner, made.path, "--report", str(report))
    assert "rejected line" not in to_file.output
    assert last_line(to_file) == (f"imported 0, updated 0, unchanged {made.valid}, "
                                  f"rejected {made.invalid}")
    assert len(report.read_text(encoding="utf-8").splitlines()) == made.invalid


# --- at national scale ---------------------------------------------------------------------

def test_fifty_thousand_places_then_a_reimport_that_changes_nothing(
        app: Flask, runner: Any, platform: FakePlatform, tmp_path: Path):
    made = generator().write_csv(tmp_path / "national.csv", 50_000)
    assert made.v0_rows > 10_000 and made.v1_rows > 30_000 and made.invalid == 100
    report = tmp_path / "rejected.txt"
    first = run_import(runner, made.path, "--report", str(report))
    assert first.exit_code == 0, first.output
    assert last_line(first) == "imported 49900, updated 0, unchanged 0, rejected 100"
    expected = [f"line {line}: {field}:" for line, field in made.invalid_at]
    got = report.read_text(encoding="utf-8").splitlines()
    assert [g[: len(e)] for g, e in zip(got, expected, strict=True)] == expected
    assert count(app) == 49_900
    second = run_import(runner, made.path)
    assert last_line(second) == "imported 0, updated 0, unchanged 49900, rejected 100"
    assert count(app) == 49_900
    pid = platform_id(app, platform)
    with app.app_context():
        v0_place = db.session().scalar(select(Relay).where(Relay.platform_id == pid,
                                                           Relay.source_id == "gen-2"))
        assert v0_place is not None and v0_place.email == "contact2@exemple.fr"


def test_the_fast_loader_says_exactly_what_marshmallow_says(tmp_path: Path):
    made = generator().write_csv(tmp_path / "lieux.csv", 3000, invalid_every=7)
    loaders = {id(schemas.V0): schemas.RowLoader(schemas.V0),
               id(schemas.V1): schemas.RowLoader(schemas.V1)}
    for _line, raw in importer.read_records(made.path):
        row = importer._clean(raw)
        schema = schemas.row_schema(row)
        outcomes = []
        for load in (schema.load, loaders[id(schema)].load):
            try:
                outcomes.append(load(row))
            except ValidationError as error:
                outcomes.append(error.normalized_messages())
        assert outcomes[0] == outcomes[1]


def test_a_changed_place_is_updated_and_an_import_keeps_an_admin_s_choices(
        app: Flask, runner: Any, platform: FakePlatform, tmp_path: Path):
    gen = generator()
    gen.write_csv(tmp_path / "a.csv", 30, invalid_every=0)
    run_import(runner, tmp_path / "a.csv")
    pid = platform_id(app, platform)
    with app.app_context(), db.transaction() as tx:
        hidden = tx.scalar(select(Relay).where(Relay.source_id == "gen-5"))
        assert hidden is not None
        hidden.active = False
    text = (tmp_path / "a.csv").read_text(encoding="utf-8")
    (tmp_path / "b.csv").write_text(text.replace("Espace numérique 7,", "Espace numérique sept,"),
                                    encoding="utf-8")
    result = run_import(runner, tmp_path / "b.csv")
    assert last_line(result) == "imported 0, updated 1, unchanged 29, rejected 0"
    by_id = {r.source_id: r for r in relays_of(app, pid)}
    assert by_id["gen-7"].name == "Espace numérique sept"
    assert by_id["gen-5"].active is False  # an import never re-enables what an admin hid


def test_each_platform_has_its_own_copy(app: Flask, runner: Any, platform: FakePlatform):
    other = other_platform(app)
    assert last_line(run_import(runner, SHARED / "exemple-valide.csv")).startswith("imported 1")
    again = run_import(runner, SHARED / "exemple-valide.csv", platform="ENT B")
    assert last_line(again) == "imported 1, updated 0, unchanged 0, rejected 0"
    assert len(relays_of(app, platform_id(app, other))) == 1
    assert len(relays_of(app, platform_id(app, platform))) == 1


# --- nothing half-imported ------------------------------------------------------------------------

def test_a_failure_while_writing_leaves_nothing_half_imported(
        app: Flask, runner: Any, platform: FakePlatform, tmp_path: Path, monkeypatch):
    pid = platform_id(app, platform)
    kept = add_relay(app, pid, "déjà là", 49.2, 4.0)
    made = generator().write_csv(tmp_path / "lieux.csv", 5000, invalid_every=0)
    monkeypatch.setattr(importer, "BATCH", 1000)
    real_execute = Session.execute
    calls = {"writes": 0}

    def failing_execute(self: Session, statement: Any, params: Any = None, **kw: Any) -> Any:
        if isinstance(params, list):  # a bulk write: the third batch fails (disk full...)
            calls["writes"] += 1
            if calls["writes"] == 3:
                raise RuntimeError("disk I/O error")
        return real_execute(self, statement, params, **kw)

    monkeypatch.setattr(Session, "execute", failing_execute)
    result = run_import(runner, made.path)
    monkeypatch.setattr(Session, "execute", real_execute)
    assert result.exit_code == 1
    assert "nothing imported: writing failed (RuntimeError: disk I/O error)" in result.output
    assert calls["writes"] == 3  # two batches were written before, and rolled back
    assert [r.id for r in relays_of(app, pid)] == [kept]


@pytest.mark.parametrize("breakage, message", [
    (b"\xff\xfe broken bytes", "line 26 is not valid UTF-8"),
    (b',"a quote never closed', "the record starting line 26: "),
])
def test_a_broken_line_in_the_middle_leaves_nothing_imported(
        app: Flask, runner: Any, platform: FakePlatform, tmp_path: Path,
        breakage: bytes, message: str):
    made = generator().write_csv(tmp_path / "lieux.csv", 50, invalid_every=0)
    lines = made.path.read_bytes().split(b"\n")
    lines[25] = lines[25] + breakage  # line 26 of the file, whose row is valid otherwise
    made.path.write_bytes(b"\n".join(lines))
    result = run_import(runner, made.path)
    assert result.exit_code == 1
    assert "nothing imported" in result.output and message in result.output
    assert count(app) == 0


@pytest.mark.parametrize("content, message", [
    ('[{"id": "a"}, {"id": ', "invalid JSON"),
    ('[{"id": "a"}, 42]', "record 2 is not an object"),
    ("nom,commune\nx,y\n", "the first line must name the columns"),
])
def test_files_that_are_not_open_data_are_refused_whole(
        app: Flask, runner: Any, platform: FakePlatform, tmp_path: Path,
        content: str, message: str):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = run_import(runner, path)
    assert result.exit_code == 1 and message in result.output
    assert count(app) == 0


def test_unknown_platform(runner: Any, platform: FakePlatform):
    result = run_import(runner, SHARED / "exemple-valide.csv", platform="Nowhere")
    assert result.exit_code != 0 and "no platform named 'Nowhere'" in result.output
