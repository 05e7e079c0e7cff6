"""Real-browser fixtures: the real service (``relais run --sandbox``) and Debian's Chromium,
one of each per session.

Relais is served at ``http://localhost:P`` and the sandbox platform at ``http://127.0.0.1:Q``:
two different sites, so Relais lives in a cross-site iframe where Chromium blocks third-party
cookies by default (only partitioned CHIPS cookies work) — the condition parents meet.

Fixtures (besides pytest-playwright's ``browser``, ``new_context``, ``context``, ``page``):
- ``relais`` (session): a ``LiveRelais`` with ``tool_url``, ``sandbox_url``, ``origins``, ``log``.
- ``phone`` : a new context, 360×740, mobile, touch, scale 2, fr-FR.
- ``phone_context(**overrides)``: more phone contexts, e.g. ``java_script_enabled=False``.
Every context has ``base_url`` = the sandbox and its traffic watched (for ``page_weight``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    LiveRelais,
    run_relais,
    watch_network,
)


@pytest.fixture(scope="session")
def relais() -> Iterator[LiveRelais]:
    with run_relais() as live:
        yield live


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}. The browser tests need Debian's chromium: "
            "`apt-get install chromium` (`make test` installs it when run as root), or set "
            "CHROMIUM_PATH. `playwright install` cannot download browsers here.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": [*CHROMIUM_ARGS, *browser_type_launch_args.get("args", [])]}


@pytest.fixture(scope="session")
def base_url(relais: LiveRelais) -> str:
    """Every context opens the sandbox platform at ``/``."""
    return relais.sandbox_url


@pytest.fixture
def context(context: BrowserContext, relais: LiveRelais) -> BrowserContext:
    watch_network(context, relais)
    return context


@pytest.fixture
def phone_context(new_context: Callable[..., BrowserContext],
                  relais: LiveRelais) -> Callable[..., BrowserContext]:
    def make(**overrides: Any) -> BrowserContext:
        context = new_context(**{**PHONE, **overrides})
        watch_network(context, relais)
        return context

    return make


@pytest.fixture
def phone(phone_context: Callable[..., BrowserContext]) -> BrowserContext:
    return phone_context()
