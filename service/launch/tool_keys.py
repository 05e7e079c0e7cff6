"""The tool's keys, persisted: loaded once per process, re-read after a rotation elsewhere."""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select

from lti.keys import ToolKeyRecord, ToolKeySet, rotate
from service import db
from service.launch.models import ToolKeyRow

# Another instance (or `relais keys rotate`) may rotate: re-read the rows this often.
_RELOAD_SECONDS = 60.0


def _records() -> list[ToolKeyRecord]:
    rows = db.session().scalars(select(ToolKeyRow)).all()
    return [
        ToolKeyRecord(r.kid, r.private_pem, r.created_at, r.activated_at, r.retired_at)
        for r in rows
    ]


def rotate_keys(now: float | None = None) -> ToolKeySet:
    """One rotation, written in one transaction. With no keys yet, creates the first ones."""
    now = time.time() if now is None else now
    with db.transaction() as tx:
        rows = {r.kid: r for r in tx.scalars(select(ToolKeyRow).with_for_update())}
        for record in rotate(_records(), now):
            row = rows.get(record.kid)
            if row is None:
                tx.add(
                    ToolKeyRow(
                        kid=record.kid,
                        private_pem=record.private_pem,
                        created_at=record.created_at,
                        activated_at=record.activated_at,
                        retired_at=record.retired_at,
                    )
                )
            else:
                row.activated_at, row.retired_at = record.activated_at, record.retired_at
    current_app.extensions.pop("relais_tool_keys", None)
    return tool_key_set()


def tool_key_set() -> ToolKeySet:
    """The current key set; the first call on an empty database creates the first keys."""
    cached = current_app.extensions.get("relais_tool_keys")
    if cached and time.monotonic() - cached[0] < _RELOAD_SECONDS:
        return cached[1]  # type: ignore[no-any-return]
    records = _records()
    if not records:
        return rotate_keys()
    overlap = float(current_app.config["KEY_OVERLAP_SECONDS"])
    keys = ToolKeySet.from_records(records, time.time(), overlap)
    current_app.extensions["relais_tool_keys"] = (time.monotonic(), keys)
    return keys
