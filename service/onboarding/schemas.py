"""The one form of the wizard: a step's three buttons, and the answer of a choice step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from service.onboarding.services import ACTIONS

ANSWER_MESSAGES: dict[str, object] = {
    "device": _l("Choisissez l'appareil que vous utilisez, puis appuyez sur « C'est fait »."),
    "email": _l("Choisissez une réponse, puis appuyez sur « C'est fait »."),
}


class AnswerSchema(Schema):
    """``action`` is the button pressed (done, skip, stuck); ``answer`` the radio chosen on a
    choice step, needed only with "done"."""

    class Meta:
        unknown = EXCLUDE

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    answer = fields.String(load_default=None)

    def __init__(self, choice: str | None, choices: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choice = choice
        self.choices = choices

    @validates_schema
    def _answer(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        if self.choice is None or data.get("action") != "done":
            return
        if data.get("answer") not in self.choices:
            message = ANSWER_MESSAGES.get(self.choice) or _("Choisissez une réponse.")
            raise ValidationError(str(message), "answer")
