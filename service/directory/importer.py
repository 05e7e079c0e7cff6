"""Import the national open data of *lieux de médiation numérique* into a platform's directory.

A file (CSV or JSON, schema v1.0.2 or v0.1, even mixed) is read whole and every row validated
first; then the accepted rows are written in ONE transaction with bulk statements (inserts,
updates by primary key). Either the whole file is in, or nothing is: a failure while reading
or writing leaves the directory as it was. Rows that break the schema are not failures: they
are skipped and reported with their line and field.

Re-importing is idempotent by the open-data ``id`` (per platform): a row whose content hash is
unchanged is left alone, a changed one is updated, a new one inserted. An import never
re-enables a relay an admin disabled, and never deletes: a place missing from a new file stays.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from service import db
from service.directory.models import OTHER_LANGUAGES, Relay, join_values
from service.directory.schemas import V0, V1, RowLoader, row_schema
from service.directory.search import commune_key

BATCH = 2000
# Part of every content hash: bump it when the mapping below changes, so that the next import
# rewrites every place instead of finding them "unchanged".
MAPPING_VERSION = "1"
# Schema v1.0.2 "modalites_acces" -> how a parent gets in.
V1_ACCESS = {
    "Se présenter": "walk_in",
    "Téléphoner": "phone",
    "Contacter par mail": "email",
    "Prendre un RDV en ligne": "appointment",
    "Envoyer un mail avec une fiche de prescription": "referral",
    "Ce lieu n'accueille pas de public": "no_public",
}
V1_DISABILITY = frozenset(
    {"Surdité", "Handicaps moteurs", "Handicaps mentaux", "Déficience visuelle"}
)
V0_DISABILITY = frozenset(
    {
        "Déficience visuelle",
        "Surdité",
        "Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes "
        "comportementales",
        "Handicaps mentaux : déficiences limitant les activités d'une personne",
    }
)
V1_PARENTING = "Parentalité et éducation avec le numérique"
V0_PARENTING = "Soutenir la parentalité et l'éducation avec le numérique"

Progress = Callable[[list[Any], str], AbstractContextManager[Iterable[Any]]]


class ImportFailed(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV/JSON, a write failed).
    Nothing was written."""


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        return (f"imported {self.imported}, updated {self.updated}, "
                f"unchanged {self.unchanged}, rejected {self.rejected}")


def _no_progress(items: list[Any], _label: str) -> AbstractContextManager[Iterable[Any]]:
    return nullcontext(items)


def import_file(platform_id: int, path: str | Path, *, progress: Progress = _no_progress
                ) -> ImportReport:
    """Validate every row of ``path`` then write the accepted ones, all in one transaction.

    A row whose source content is unchanged since the last import is not validated again.
    Raises ``ImportFailed`` (nothing written) when the file cannot be read or a write fails.
    """
    records = read_records(Path(path))
    try:
        with db.transaction() as tx:
            report = _import(tx, platform_id, records, progress)
    except ImportFailed:
        raise
    except Exception as error:  # the transaction was rolled back: nothing is half-written
        raise ImportFailed(f"nothing imported: writing failed ({type(error).__name__}: "
                           f"{str(error).splitlines()[0][:200]})") from error
    return report


def _import(tx: Session, platform_id: int, records: list[tuple[int, dict[str, Any]]],
            progress: Progress) -> ImportReport:
    loaders = {id(V0): RowLoader(V0), id(V1): RowLoader(V1)}
    report = ImportReport()
    known = {
        source_id: (relay_id, content_hash)
        for source_id, relay_id, content_hash in tx.execute(
            select(Relay.source_id, Relay.id, Relay.content_hash).where(
                Relay.platform_id == platform_id, Relay.source_id.is_not(None)
            )
        )
    }
    seen: dict[str, int] = {}
    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    with progress(records, "checking") as rows:
        for line, raw in rows:
            row = _clean(raw)
            source_id = row.get("id")
            if isinstance(source_id, str) and source_id in seen:
                report.rejected += 1
                report.rejections.append(
                    Rejection(line, "id", f"same id as line {seen[source_id]}")
                )
                continue
            digest = source_hash(row)
            found = known.get(source_id) if isinstance(source_id, str) else None
            if found is not None and found[1] == digest:
                report.unchanged += 1
                seen[source_id] = line  # type: ignore[index]
                continue
            values = _validated(line, row, report, loaders)
            if values is None:
                continue
            seen[values["source_id"]] = line
            values["content_hash"] = digest
            if found is None:
                inserts.append({**values, "platform_id": platform_id, "active": True,
                                "updated_at": now})
            else:
                del values["source_id"]
                updates.append({**values, "id": found[0], "updated_at": now})
    # Bulk statements (executemany), never one ORM flush per row: inserts, then updates by key.
    batches = [(insert(Relay), b) for b in _batches(inserts)]
    batches += [(update(Relay), b) for b in _batches(updates)]
    with progress(batches, "writing") as steps:
        for statement, batch in steps:
            tx.execute(statement, batch)
    report.imported = len(inserts)
    report.updated = len(updates)
    return report


def source_hash(row: dict[str, Any]) -> str:
    """The hash of a row's source content (and of the mapping's version)."""
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(f"{MAPPING_VERSION}{text}".encode(), usedforsecurity=False).hexdigest()


# --- Reading ---------------------------------------------------------------------------------

def read_records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, record) pairs. CSV: the line where the record starts (the header is line 1).
    JSON (a flat array of records): the record's position, from 1."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as error:
        raise ImportFailed(f"cannot read {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFailed(f"nothing imported: line {line} is not valid UTF-8") from error
    if text.lstrip()[:1] == "[":
        return list(_json_records(text))
    return list(_csv_records(text))


def _json_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFailed(f"nothing imported: invalid JSON at line {error.lineno}: "
                           f"{error.msg}") from error
    for position, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise ImportFailed(f"nothing imported: record {position} is not an object")
        yield position, record


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    # strict: a stray quote is an error, not a cell silently swallowing the rest of the file.
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    if not reader.fieldnames or "id" not in [(f or "").strip() for f in reader.fieldnames]:
        raise ImportFailed("nothing imported: the first line must name the columns (id, nom, ...)")
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a quote opened and never closed
            raise ImportFailed(f"nothing imported: the record starting line {line}: {error}"
                               ) from error
        yield line, record


# --- Validating and mapping ------------------------------------------------------------------

def _clean(raw: dict[Any, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if key is None or value is None:  # a CSV row longer or shorter than its header
            continue
        if isinstance(value, list):
            if value:
                clean[str(key).strip()] = value
            continue
        text = str(value).strip()
        if text:
            clean[str(key).strip()] = text
    return clean


def _validated(line: int, row: dict[str, Any], report: ImportReport,
               loaders: dict[int, RowLoader]) -> dict[str, Any] | None:
    schema = row_schema(row)
    try:
        data = loaders[id(schema)].load(row)
    except ValidationError as error:
        report.rejected += 1
        messages = error.normalized_messages()
        for name, reasons in messages.items():
            reason = reasons[0] if isinstance(reasons, list) else reasons
            report.rejections.append(Rejection(line, str(name), str(reason)))
        return None
    return relay_values(data, v0=schema is V0)


def _fees(values: set[str]) -> str:
    if "Gratuit" in values:
        return "free"
    if "Gratuit sous condition" in values:
        return "free_conditional"
    if "Payant" in values or "Adhésion" in values:
        return "paid"
    return ""


def relay_values(data: dict[str, Any], *, v0: bool) -> dict[str, Any]:
    """A validated open-data row -> the ``relay`` columns it sets."""
    services = set(data.get("services", ()))
    access: list[str] = []
    languages: list[str] = []
    if v0:
        publics = set(data.get("publics_accueillis", ()))
        family = V0_PARENTING in services or "Familles/enfants" in publics
        accessible = bool(data.get("accessibilite")) or not publics.isdisjoint(V0_DISABILITY)
        if "Public langues étrangères" in publics:
            languages.append(OTHER_LANGUAGES)
        fees = _fees({c.split(" :", 1)[0] for c in data.get("conditions_acces", ())})
        emails = data.get("courriel", [])
        accessibility_url = data.get("accessibilite", "")
    else:
        publics = set(data.get("publics_specifiquement_adresses", ()))
        support = set(data.get("prise_en_charge_specifique", ()))
        family = V1_PARENTING in services or "Familles et/ou enfants" in publics
        accessible = not support.isdisjoint(V1_DISABILITY)
        if "Langues étrangères (anglais)" in support:
            languages.append("en")
        if "Langues étrangères (autres)" in support:
            languages.append(OTHER_LANGUAGES)
        fees = _fees(set(data.get("frais_a_charge", ())))
        emails = data.get("courriels", [])
        accessibility_url = data.get("fiche_acces_libre", "")
        access = [V1_ACCESS[m] for m in data.get("modalites_acces", ())]
    if data.get("prise_rdv") and "appointment" not in access:
        access.append("appointment")
    address = data["adresse"]
    if data.get("complement_adresse"):
        address = f"{address}, {data['complement_adresse']}"
    websites = data.get("site_web", [])
    values: dict[str, Any] = {
        "kind": "structure",
        "name": data["nom"][:300],
        "address": address[:500],
        "postcode": data["code_postal"],
        "commune": data["commune"][:200],
        "commune_key": commune_key(data["commune"])[:200],
        # Both coordinates or neither: half a position places nobody.
        "latitude": data.get("latitude") if "longitude" in data else None,
        "longitude": data.get("longitude") if "latitude" in data else None,
        "phone": data.get("telephone", ""),
        "email": emails[0][:320] if emails else "",
        "website": websites[0][:1000] if websites else "",
        "opening_hours": data.get("horaires", ""),
        "access": join_values(access),
        "appointment_url": data.get("prise_rdv", "")[:1000],
        "languages": join_values(languages),
        "fees": fees,
        "family": family,
        "accessible": accessible,
        "accessibility_url": accessibility_url[:1000],
        "summary": data.get("presentation_resume", "")[:500],
        "welcomes_public": "no_public" not in access,
    }
    values["source_id"] = data["id"]
    return values


# --- Writing ---------------------------------------------------------------------------------

def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]
