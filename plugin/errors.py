"""Coded errors for the platform adapters.

Same shape as ``lti.errors``: a stable, short ``code`` that callers branch on and tests assert,
a ``description`` for logs (never shown raw to a parent), and the HTTP ``status`` the service
should answer with. Kept apart from ``LtiError`` because these are configuration faults of
Relais, not faults of a launch.
"""

from __future__ import annotations


class PluginError(Exception):
    """Base of every ``plugin`` failure. Subclasses set ``code`` and ``status``."""

    code: str = "plugin_error"
    status: int = 500

    def __init__(self, description: str = "", *, field: str | None = None) -> None:
        super().__init__(description or self.code)
        self.description = description or self.code
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r})"


class UnknownAdapter(PluginError):
    """A registration names an adapter that does not exist (a setup mistake, not the user's)."""

    code = "adapter_unknown"
    status = 500
