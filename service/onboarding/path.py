"""The wizard's path: which steps a parent meets, in which order, on their branch.

A *stage* is a moment of the path ("install the app"); a *step* is what is shown at that stage
on one branch (``install-android-pronote``). The branch is what the parent answered (device,
email address), what their platform uses (Pronote, the ENT's own app, EduConnect) and which
stages the teacher of their class hid (``ClassSettings.hidden_stages``): a hidden stage is not
on the path at all, so the numbers "étape N sur M" count only the stages shown.

Stage ids appear in URLs and in the progress table; step ids name the content files and go
into help requests (``help_request.step``), so both stay short slugs. This module knows neither
Flask nor the database: the tests walk every branch with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

DEVICES = ("android", "iphone", "computer", "none")
TOOLS = ("pronote", "ent_app", "educonnect")
DEFAULT_TOOLS = frozenset({"pronote", "educonnect"})
# "Do you have an email address?": yes / no, let us create one / no, go on without.
EMAIL_CHOICES = ("has", "create", "without")
DONE = "done"

# What each choice stage asks, and the answers its content file must offer.
CHOICES: dict[str, tuple[str, ...]] = {"device": DEVICES, "email": EMAIL_CHOICES}
PHONES = ("android", "iphone")


@dataclass(frozen=True, slots=True)
class Branch:
    device: str | None = None  # None: not answered (or skipped)
    email: str | None = None
    tools: frozenset[str] = DEFAULT_TOOLS
    # Stage ids the class's teacher hid. A hidden choice stage is an answer never given (as
    # when it is passed): the steps after it take their form for "not answered".
    hidden: frozenset[str] = frozenset()

    @property
    def app(self) -> str:
        """What a phone installs: Pronote's app, else the ENT's own app, else a shortcut to
        the website (``web``)."""
        if "pronote" in self.tools:
            return "pronote"
        if "ent_app" in self.tools:
            return "ent_app"
        return "web"

    def answer(self, choice: str) -> str | None:
        return self.device if choice == "device" else self.email


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    topic: str  # the help topic a stuck parent's request gets (service/topics.py)
    step_for: Callable[[Branch], str | None]  # the step shown; None: not on this branch
    choice: str | None = None  # the answer this stage asks for (a key of CHOICES)


@dataclass(frozen=True, slots=True)
class PathStep:
    stage: Stage
    step: str  # the content file's name
    number: int  # 1-based, as the parent reads it ("étape 4 sur 8")


def _email_next(b: Branch) -> str | None:
    return {"create": "email-create", "without": "email-without"}.get(b.email or "")


def _account(b: Branch) -> str:
    return "account-educonnect" if "educonnect" in b.tools else "account-school"


def _install(b: Branch) -> str:
    if b.device in PHONES:
        return f"install-{b.device}-{b.app}"
    return f"install-{b.device or 'any'}"


def _login(b: Branch) -> str:
    if "educonnect" not in b.tools:
        return "login-school"
    return "login-educonnect-pronote" if "pronote" in b.tools else "login-educonnect"


def _follow(b: Branch) -> str:
    return "follow-pronote" if "pronote" in b.tools else "follow-ent"


def _alerts(b: Branch) -> str:
    if b.device in PHONES:
        return f"alerts-{b.device}" if b.app != "web" else "alerts-mail"
    if b.device == "computer":
        return "alerts-mail"
    return f"alerts-{b.device or 'any'}"


STAGES: tuple[Stage, ...] = (
    Stage("device", "connect_ent", lambda b: "device", choice="device"),
    Stage("email", "create_email", lambda b: "email", choice="email"),
    Stage("email_next", "create_email", _email_next),
    Stage("account", "connect_ent", _account),
    Stage("install", "install_app", _install),
    Stage("login", "connect_ent", _login),
    Stage("follow", "follow_schoolwork", _follow),
    Stage("alerts", "follow_schoolwork", _alerts),
    Stage("dates", "other", lambda b: "dates"),
)
STAGE_IDS = tuple(s.id for s in STAGES)
FIRST = STAGES[0].id


def stage(stage_id: str) -> Stage | None:
    return next((s for s in STAGES if s.id == stage_id), None)


def path(branch: Branch) -> tuple[PathStep, ...]:
    """The steps of this branch, in order, without the hidden ones; ``DONE`` is not one of
    them."""
    found: list[PathStep] = []
    for s in STAGES:
        if s.id in branch.hidden:
            continue
        step = s.step_for(branch)
        if step is not None:
            found.append(PathStep(stage=s, step=step, number=len(found) + 1))
    return tuple(found)


def find(branch: Branch, stage_id: str) -> PathStep | None:
    return next((p for p in path(branch) if p.stage.id == stage_id), None)


def next_stage(branch: Branch, after: str, done: Collection[str] = ()) -> str:
    """The stage that follows ``after`` on this branch, passing over the ones already done;
    ``DONE`` at the end."""
    steps = path(branch)
    ids = [p.stage.id for p in steps]
    start = ids.index(after) + 1 if after in ids else 0
    return next((i for i in ids[start:] if i not in done), DONE)


def shown_after(branch: Branch, stage_id: str | None) -> str:
    """The first stage this branch shows after ``stage_id`` in the path's order, whether
    ``stage_id`` is shown or not (``None``: from the beginning); ``DONE`` when none follows.
    Where the URL of a hidden stage leads."""
    later = STAGE_IDS if stage_id is None else STAGE_IDS[STAGE_IDS.index(stage_id) + 1:]
    shown = {p.stage.id for p in path(branch)}
    return next((s for s in later if s in shown), DONE)


def previous_stage(branch: Branch, stage_id: str) -> str | None:
    ids = [p.stage.id for p in path(branch)]
    if stage_id == DONE:
        return ids[-1] if ids else None  # a class may hide every stage
    index = ids.index(stage_id) if stage_id in ids else 0
    return ids[index - 1] if index > 0 else None


def parse_tools(text: str) -> frozenset[str]:
    """``"pronote,educonnect"`` → the set; raises ``ValueError`` naming an unknown tool.
    An empty text is an empty set: a platform with only the ENT's website."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in TOOLS]
    if unknown:
        raise ValueError(f"unknown tool {unknown[0]!r} (known: {', '.join(TOOLS)})")
    return frozenset(names)


def format_tools(tools: Collection[str]) -> str:
    return ",".join(t for t in TOOLS if t in tools)


def all_branches() -> Iterator[Branch]:
    """Every branch a parent can be on: each device (or none chosen), each email answer (or
    none), each set of tools a platform can use."""
    tool_sets = [frozenset(c) for n in range(len(TOOLS) + 1)
                 for c in itertools.combinations(TOOLS, n)]
    for device, email, tools in itertools.product(
        (*DEVICES, None), (*EMAIL_CHOICES, None), tool_sets
    ):
        yield Branch(device=device, email=email, tools=tools)


def all_step_ids() -> frozenset[str]:
    """Every step some branch meets, and the final page: the content files French must have."""
    return frozenset(p.step for b in all_branches() for p in path(b)) | {DONE}
