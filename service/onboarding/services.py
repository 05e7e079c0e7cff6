"""A parent's progress in the wizard, and the tools a platform uses.

Every function that reads or writes progress takes the platform id *and* the LTI ``sub`` of
the signed-in parent (``service.identity.current()``), never an id from the request: one
parent's progress cannot be reached from another's session, nor from another platform.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.onboarding.models import WizardProgress, WizardTools
from service.onboarding.path import (
    CHOICES,
    DEFAULT_TOOLS,
    DONE,
    FIRST,
    STAGE_IDS,
    Branch,
    find,
    format_tools,
    next_stage,
    parse_tools,
    path,
    stage,
)

log = logging.getLogger(__name__)

ACTIONS = ("done", "skip", "stuck")


# --- the tools a platform uses ---


def tools_for(db: Session, platform_id: int) -> frozenset[str]:
    """What the command line set for this platform, else ``PLATFORM_TOOLS`` (keyed by platform
    id), else Pronote and EduConnect (what most collèges and lycées use)."""
    row = db.get(WizardTools, platform_id)
    if row is not None:
        return parse_tools(row.tools)
    configured: Mapping[object, object] = current_app.config.get("PLATFORM_TOOLS") or {}
    value = configured.get(str(platform_id), configured.get(platform_id))
    if value is None:
        return DEFAULT_TOOLS
    text = ",".join(map(str, value)) if isinstance(value, list | tuple) else value
    try:
        if not isinstance(text, str):
            raise TypeError("expected a list of tools or 'pronote,educonnect'")
        return parse_tools(text)
    except (TypeError, ValueError) as error:
        # A parent still gets the usual path; the operator finds the reason in the log.
        log.warning("PLATFORM_TOOLS for platform %s is ignored: %s", platform_id, error)
        return DEFAULT_TOOLS


def set_tools(tx: Session, platform_id: int, tools: Collection[str]) -> None:
    """Store what a platform uses; ``tools`` come from ``path.parse_tools``."""
    row = tx.get(WizardTools, platform_id)
    if row is None:
        tx.add(WizardTools(platform_id=platform_id, tools=format_tools(tools)))
    else:
        row.tools = format_tools(tools)


# --- progress ---


# Built once: every parent home page reads it, and building it cost more than running it.
_PROGRESS = select(WizardProgress).where(WizardProgress.platform_id == bindparam("platform_id"),
                                         WizardProgress.user_id == bindparam("user_id"))


def find_progress(db: Session, platform_id: int, user_id: str) -> WizardProgress | None:
    return db.scalar(_PROGRESS, {"platform_id": platform_id, "user_id": user_id})


_PROGRESS_COLUMNS = WizardProgress.__table__.c
_PROGRESS_READ = select(
    _PROGRESS_COLUMNS.current_step, _PROGRESS_COLUMNS.device, _PROGRESS_COLUMNS.email_choice,
    _PROGRESS_COLUMNS.done_steps, _PROGRESS_COLUMNS.skipped_steps,
).where(_PROGRESS_COLUMNS.platform_id == bindparam("platform_id"),
        _PROGRESS_COLUMNS.user_id == bindparam("user_id"))


def peek_progress(connection: Connection, platform_id: int,
                  user_id: str) -> WizardProgress | None:
    """A copy of the parent's progress for reading only (attached to no session): for the
    home page's "resume" line, a plain row read costs a third of an ORM load."""
    row = connection.execute(
        _PROGRESS_READ, {"platform_id": platform_id, "user_id": user_id}
    ).first()
    return None if row is None else WizardProgress(**row._mapping)


def branch_of(progress: WizardProgress | None, tools: frozenset[str],
              hidden: frozenset[str] = frozenset()) -> Branch:
    """The parent's branch; ``hidden``: the stages their class's teacher hid."""
    if progress is None:
        return Branch(tools=tools, hidden=hidden)
    return Branch(device=progress.device, email=progress.email_choice, tools=tools,
                  hidden=hidden)


def _answer(branch: Branch, choice: str, value: str) -> Branch:
    if choice == "device":
        return replace(branch, device=value)
    return replace(branch, email=value)


def advance(branch: Branch, stage_id: str, action: str, answer: str | None,
            done: frozenset[str], skipped: frozenset[str]
            ) -> tuple[Branch, str, frozenset[str], frozenset[str]]:
    """One press of a step's button, without storage (previews use it as it is):
    returns the branch, the stage to show next, and the stages done and skipped.

    ``answer`` counts only with "done" on a choice stage (the views check it is one of the
    stage's choices). An answer that changes the path forgets the marks of the steps it
    changed: the parent meets them again, in their new form.
    """
    current = stage(stage_id)
    if current is None or action not in ACTIONS:
        raise ValueError(f"unknown stage {stage_id!r} or action {action!r}")
    before = branch
    if action == "done" and current.choice is not None:
        if answer not in CHOICES[current.choice]:
            raise ValueError(f"{current.choice} needs one of {CHOICES[current.choice]}")
        branch = _answer(branch, current.choice, answer)
    changed = frozenset(
        p.stage.id for p in path(branch) if (old := find(before, p.stage.id)) is None
        or old.step != p.step
    )
    done, skipped = done - changed, skipped - changed
    if action == "stuck":
        return branch, stage_id, done, skipped
    if action == "done":
        done, skipped = done | {stage_id}, skipped - {stage_id}
    else:
        skipped = skipped | {stage_id}
    return branch, next_stage(branch, stage_id, done), done, skipped


def record(tx: Session, platform_id: int, user_id: str, tools: frozenset[str], stage_id: str,
           action: str, answer: str | None = None,
           hidden: frozenset[str] = frozenset()) -> WizardProgress:
    """Apply one press of a step's button to this parent's progress (created on the first).
    The next stage is one their class shows: ``hidden`` are the stages its teacher hid."""
    progress = find_progress(tx, platform_id, user_id)
    if progress is None:
        progress = WizardProgress(platform_id=platform_id, user_id=user_id, current_step=FIRST,
                                  done_steps="", skipped_steps="")
        tx.add(progress)
    branch, following, done, skipped = advance(
        branch_of(progress, tools, hidden), stage_id, action, answer, progress.done,
        progress.skipped
    )
    progress.device, progress.email_choice = branch.device, branch.email
    progress.current_step = following
    progress.done_steps = _join(done)
    progress.skipped_steps = _join(skipped)
    tx.flush()
    return progress


def restart(tx: Session, platform_id: int, user_id: str) -> None:
    """Forget this parent's progress and answers: the path starts again at step 1."""
    tx.execute(
        delete(WizardProgress).where(
            WizardProgress.platform_id == platform_id, WizardProgress.user_id == user_id
        )
    )


def _join(stages: frozenset[str]) -> str:
    # In path order, so that the column reads like the path.
    return ",".join(s for s in STAGE_IDS if s in stages)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a parent is: the stage to resume, its number and the length of their path."""

    stage: str
    number: int
    total: int

    @property
    def finished(self) -> bool:
        return self.stage == DONE


def where(progress: WizardProgress | None, tools: frozenset[str],
          hidden: frozenset[str] = frozenset()) -> Where | None:
    """``None`` before the first answer. Number and total count only the stages shown to the
    parent's class (``hidden``: the ones its teacher hid)."""
    if progress is None:
        return None
    branch = branch_of(progress, tools, hidden)
    steps = path(branch)
    here = find(branch, progress.current_step)
    if progress.current_step == DONE or not steps:
        return Where(DONE, len(steps), len(steps))
    if here is None:
        # A stage this branch no longer has (another answer, or the teacher hid it since):
        # the first one not done yet.
        here = find(branch, next_stage(branch, "", progress.done)) or steps[0]
    return Where(here.stage.id, here.number, len(steps))
