"""Helpers for real-browser tests: the live Relais, accessibility, screenshots, page weight.

The fixtures in ``conftest.py`` build on these; tests import them directly::

    from tests.browser.support import axe_violations, open_as, page_weight, screenshot

Every context made by the fixtures (``phone``, ``phone_context``, ``context``/``page``) has
``base_url`` set to the sandbox platform and its network watched, so ``open_as`` and
``page_weight`` work on any page from them.
"""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Frame, Locator, Page, Request, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from service.sandbox.personas import PERSONAS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

# Debian's Chromium (`playwright install` cannot download browsers here).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Offline machine, running as root, no GPU: without the networking flags Chromium floods the
# closed network with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# A small phone, as most parents hold one.
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "fr-FR",
}

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
TOOL_IFRAME = "iframe#relais"  # the sandbox platform's iframe

_axe = Axe()


# ------------------------------------------------------------------ the live service
@dataclass(frozen=True)
class LiveRelais:
    """The real service started by ``relais run --sandbox``: two origins, two sites."""

    tool_url: str  # http://localhost:P  (Relais)
    sandbox_url: str  # http://127.0.0.1:Q  (the sandbox school platform that iframes it)
    log: Path  # the server's stdout and stderr

    @property
    def origins(self) -> frozenset[str]:
        return frozenset({_origin(self.tool_url), _origin(self.sandbox_url)})

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _relais_command() -> list[str]:
    """The installed console script, as ``make run`` uses it (``.venv/bin/relais``)."""
    script = Path(sys.executable).with_name("relais")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from service.cli import main; main()"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (local URL)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def run_relais(timeout: float = 30.0, **settings: str) -> Iterator[LiveRelais]:
    """Start ``relais run --sandbox`` on free ports with a throw-away SQLite database and
    secret (nothing written to the repository's ``instance/``); stop it on exit.

    ``settings`` are extra ``RELAIS_<NAME>`` variables, e.g. ``LOGIN_TTL_SECONDS="5"``.
    """
    tool_port, sandbox_port = free_port(), free_port()
    while sandbox_port == tool_port:
        sandbox_port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="relais-browser-") as tmp:
        live = LiveRelais(
            tool_url=f"http://localhost:{tool_port}",
            sandbox_url=f"http://127.0.0.1:{sandbox_port}",
            log=ARTIFACTS / (f"browser-server-{tool_port}.log" if settings
                             else "browser-server.log"),
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
        env.update(
            RELAIS_BASE_URL=live.tool_url,
            RELAIS_SANDBOX_URL=live.sandbox_url,
            RELAIS_DATABASE_URL=f"sqlite:///{tmp}/relais.sqlite3",
            RELAIS_SECRET_KEY="browser-tests-only",
            PYTHONUNBUFFERED="1",
        )
        env.update({f"RELAIS_{name}": value for name, value in settings.items()})
        command = [*_relais_command(), "run", "--sandbox", "--host", "localhost",
                   "--port", str(tool_port)]
        with live.log.open("wb") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not (_answers(f"{live.tool_url}/lti/jwks") and _answers(f"{live.sandbox_url}/")):
                if proc.poll() is not None or time.monotonic() > deadline:
                    state = (f"exited with {proc.returncode}" if proc.poll() is not None
                             else f"not answering after {timeout:.0f} s")
                    raise RuntimeError(f"`{' '.join(command)}` {state}:\n{live.log_tail()}")
                time.sleep(0.1)
            yield live
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # its own session: only what we started
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


# ------------------------------------------------------------------ accessibility
def axe_violations(target: Page | Frame, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations for the document of ``target``.

    axe audits the document it is injected into: pass the tool's ``Frame`` (what ``open_as``
    returns) to audit Relais inside the platform's iframe, not the platform's page.
    """
    options = {"runOnly": {"type": "tag", "values": list(tags)},
               "resultTypes": ["violations"]}
    return list(_axe.run(target, options=options).response["violations"])


def describe_violations(violations: list[dict]) -> str:
    """A readable summary for assertion messages: rule, impact, help and the nodes' HTML."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v.get('impact')}): {v.get('help')} — {v.get('helpUrl')}")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    {node.get('html', '')[:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


# ------------------------------------------------------------------ screenshots
def screenshot(target: Page | Locator, name: str, *, full_page: bool = True) -> Path:
    """Save ``test-artifacts/screenshots/<name>.png`` (git-ignored) and return its path.

    A ``Page`` is shot whole (with the tool inside its iframe); a ``Locator`` (e.g.
    ``page.locator(TOOL_IFRAME)``) only that element.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if isinstance(target, Page):
        for frame in target.frames:  # a frame still loading its stylesheet shows blank
            frame.wait_for_load_state("load")
        target.screenshot(path=path, full_page=full_page)
    else:
        target.screenshot(path=path)
    return path


# ------------------------------------------------------------------ the sandbox
def open_as(page: Page, persona: str, *, sandbox_url: str = "/") -> Frame:
    """Open the sandbox platform, click "Ouvrir comme <persona>" and return the tool's
    ``Frame`` once Relais shows a home (``body[data-audience]``) inside the iframe.

    ``persona`` is a sandbox persona key: parent, teacher, admin, learner. Works without
    JavaScript too (clicks the platform's <noscript> "Continuer" button). An error page
    inside the iframe fails at once with its code.
    """
    if persona not in PERSONAS:
        raise KeyError(f"unknown persona {persona!r}; the sandbox has {sorted(PERSONAS)}")
    page.goto(sandbox_url)
    label = PERSONAS[persona]["label"].lower()
    page.get_by_role("link", name=f"Ouvrir comme {label}", exact=True).click()
    return tool_frame(page)


def tool_frame(page: Page, timeout: float = 15_000) -> Frame:
    """The tool's Frame in the sandbox's iframe, once a Relais home or error page is there."""
    inside = page.frame_locator(TOOL_IFRAME)
    landed = inside.locator("body[data-audience], body[data-error]")
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            landed.wait_for(state="attached", timeout=500)
            break
        except PlaywrightTimeout:
            # Without JavaScript the platform's auto-submit form waits for a click.
            proceed = inside.get_by_role("button", name="Continuer")
            if proceed.count() and proceed.is_visible():
                proceed.click()
            elif time.monotonic() > deadline:
                raise AssertionError(
                    f"no Relais page in the iframe after {timeout / 1000:.0f} s; "
                    f"frames: {[f.url for f in page.frames]}") from None
    frame = page.locator(TOOL_IFRAME).element_handle().content_frame()
    assert frame is not None
    frame.wait_for_load_state("load")  # its stylesheet too: screenshots show the real page
    error = frame.locator("body").get_attribute("data-error")
    if error:
        text = frame.locator("main").inner_text()
        raise AssertionError(f"Relais showed the error page {error!r} in the iframe:\n{text}")
    return frame


# ------------------------------------------------------------------ network and weight
@dataclass
class NetworkLog:
    """Every request and response of one browser context, in order."""

    tool_origin: str
    allowed_origins: frozenset[str]
    requests: list[Request] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def third_party(self) -> list[str]:
        """URLs fetched from any origin other than the tool's and the sandbox's."""
        return [r.url for r in self.requests
                if urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
                and _origin(r.url) not in self.allowed_origins]


_LOGS: weakref.WeakKeyDictionary[BrowserContext, NetworkLog] = weakref.WeakKeyDictionary()


def watch_network(context: BrowserContext, live: LiveRelais) -> NetworkLog:
    """Record the context's traffic from now on (the fixtures do this for every context)."""
    log = NetworkLog(_origin(live.tool_url), live.origins)
    context.on("request", lambda request: log.requests.append(request))
    context.on("response", lambda response: log.responses.append(response))
    _LOGS[context] = log
    return log


def network_log(page: Page) -> NetworkLog:
    try:
        return _LOGS[page.context]
    except KeyError:
        raise AssertionError("this page's context is not watched: make it with the phone, "
                             "phone_context or context fixture, or call watch_network") from None


@dataclass(frozen=True)
class PageWeight:
    gzip_bytes: int
    raw_bytes: int
    resources: tuple[tuple[str, int, int], ...]  # (url, raw bytes, gzip bytes)

    def __str__(self) -> str:
        rows = "\n".join(f"  {g:>7} B gzip  {r:>7} B raw  {u}" for u, r, g in self.resources)
        return f"{self.gzip_bytes} B gzip ({self.raw_bytes} B raw):\n{rows}"


def page_weight(page: Page, frame: Frame | None = None) -> PageWeight:
    """What the Relais page in ``page`` (the tool's iframe, or the page itself when Relais is
    on top; or ``frame``) loaded, gzip compressed: its document and every later response in
    that frame. Print it for a per-resource table.

    Asserts that nothing in this context was ever fetched from a third-party origin.
    Response bodies are compressed with gzip level 6 (a usual server setting); a response
    already compressed by the server counts its Content-Length. Headers are not counted.
    """
    log = network_log(page)
    leaks = log.third_party()
    assert not leaks, f"requests to third-party origins: {leaks}"
    if frame is None:
        frame = next((f for f in page.frames if _origin(f.url) == log.tool_origin), None)
        assert frame is not None, f"no Relais page in {[f.url for f in page.frames]}"
    frame.wait_for_load_state("load")
    mine = [r for r in log.responses if r.frame == frame]
    starts = [i for i, r in enumerate(mine)
              if r.request.resource_type == "document" and r.status == 200]
    assert starts, f"no document loaded in frame {frame.url}"
    resources = []
    for response in mine[starts[-1]:]:
        if 300 <= response.status < 400:
            continue
        body = response.body()
        headers = response.headers
        if headers.get("content-encoding") and headers.get("content-length"):
            packed = int(headers["content-length"])
        else:
            packed = len(gzip.compress(body, compresslevel=6, mtime=0))
        resources.append((response.url, len(body), packed))
    return PageWeight(
        gzip_bytes=sum(g for _, _, g in resources),
        raw_bytes=sum(r for _, r, _ in resources),
        resources=tuple(resources),
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
