"""Full HTTP launches per second under gunicorn, against Flask's hello world on the same
server settings, with the same client machinery, in the same run.

A full launch is three real requests, as a parent's browser makes them: the OIDC login GET
(302 to the platform, a partitioned state cookie), the launch POST with a freshly signed
3.9 KB id_token for that login's nonce (303, the session cookie), then GET /home (the parent
home page). Relais runs from ``service.wsgi:app`` on a temporary SQLite database (set
``RELAIS_BENCH_DATABASE_URL`` to a database of your own to measure PostgreSQL instead; never
a database the tests use), with a platform registered whose key set is served by a small HTTP
server in this process.

Client: ``CLIENTS`` processes, raw sockets, see ``benchmarks/_loadgen.py``. Signing the
id_tokens costs the client more than the requests do, so it happens between two timed phases
(all logins, then all launches + home pages): launches/s = launches / (login phase + launch
phase). Hello-world and launch segments alternate (H L H L H) with both servers up, and each
launch segment is compared with the hello segments around it: the machine is shared and its
load drifts. The gunicorn workers' CPU time (user + system, from /proc) is also read at each
phase boundary: CPU per request does not depend on what else runs on the machine.
Everything listens on and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks._loadgen import fetch, get, hello_client, launch_client, status_of
from benchmarks._table import Row, print_table, verdict

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4  # gunicorn sync workers, for both apps
CLIENTS = 4  # client processes, for both apps
GUNICORN_ARGS = ["--workers", str(WORKERS), "--worker-class", "sync", "--log-level", "warning"]
HELLO_SECONDS = 2.5
HELLO_WARMUP = 100  # requests per client, untimed
LOGIN_SECONDS = 2.5
LAUNCH_WARMUP = 15  # full launches per client, untimed (each worker fetches the key set once)
LAUNCH_SEGMENTS = 2  # hello, launches, hello, launches, hello
MAX_PER_CLIENT = 20_000
CLIENT_TIMEOUT = 90.0  # seconds, for any client phase: the bench never hangs
RATIO_TARGET = 0.20  # full launches/s >= 20 % of hello-world requests/s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``app`` under gunicorn on 127.0.0.1:``port``; ``cpu()`` is its workers' CPU seconds."""

    def __init__(self, app: str, port: int, env: dict[str, str]) -> None:
        self.app, self.port, self.env = app, port, env
        self.process: subprocess.Popen[bytes] | None = None

    @contextlib.contextmanager
    def running(self) -> Iterator[Server]:
        command = [sys.executable, "-m", "gunicorn", *GUNICORN_ARGS,
                   "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), self.app]
        probe = get(f"localhost:{self.port}", "/lti/jwks" if "service" in self.app else "/")
        with tempfile.TemporaryFile() as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=log)
            try:
                deadline = time.monotonic() + 30
                while not self._answers(probe):
                    if self.process.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"gunicorn {self.app} exited: "
                                           f"{log.read()[-2000:].decode(errors='replace')}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn {self.app} did not answer within 30 s")
                    time.sleep(0.2)
                yield self
            finally:
                self.process.terminate()  # graceful stop of the master we started
                try:
                    self.process.wait(15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()

    def _answers(self, probe: bytes) -> bool:
        try:
            return status_of(fetch(self.port, probe)) == 200
        except OSError:
            return False

    def cpu(self) -> float | None:
        """User + system CPU seconds of this master's worker processes (None off Linux)."""
        assert self.process is not None
        master, total, found = self.process.pid, 0, False
        try:
            entries = os.listdir("/proc")
        except OSError:
            return None
        for entry in entries:
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[1]) == master:
                total += int(fields[11]) + int(fields[12])
                found = True
        return total / os.sysconf("SC_CLK_TCK") if found else None


class _KeySetServer:
    """The platform's JWKS endpoint, on 127.0.0.1, counting fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        server_self = self
        self.fetches = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server_self.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _KeySetServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _prepare_database(database_url: str, jwks_url: str, platform: Any) -> None:
    """Schema from the real migrations, and the platform registered (generic adapter)."""
    from service import create_app
    from service.migrate import upgrade
    from service.platforms.registry import PlatformInput, register

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    upgrade(app)
    with app.app_context():
        register(PlatformInput(
            name="Bench platform", issuer=platform.issuer, client_id=platform.client_id,
            auth_login_url=platform.auth_login_url, auth_token_url=platform.auth_token_url,
            jwks_url=jwks_url, deployment_ids=(platform.deployment_id,), adapter="generic",
        ))  # fmt: skip
    app.extensions["relais_engine"].dispose()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(extra)
    return env


def _run_clients(
    target: Callable[..., None], phases: int, sample: Callable[[], float | None], **kwargs: Any
) -> tuple[list[dict[str, Any]], list[float | None]]:
    """``target(**kwargs, barrier=..., results=...)`` in ``CLIENTS`` processes.

    This process joins the clients' barrier at the start of each of their ``phases`` and
    calls ``sample()`` right after it, and once more when all results are in. Returns the
    clients' results and the samples. Raises when a client dies or hangs."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CLIENTS + 1, timeout=CLIENT_TIMEOUT)
    results = context.Queue()
    processes = [
        context.Process(target=target, kwargs={**kwargs, "barrier": barrier, "results": results})
        for _ in range(CLIENTS)
    ]
    for process in processes:
        process.start()
    samples: list[float | None] = []
    collected: list[dict[str, Any]] = []

    def failed() -> RuntimeError:
        codes = [p.exitcode for p in processes]
        return RuntimeError(f"client processes failed or hung (exit codes {codes})")

    try:
        for _ in range(phases):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                raise failed() from None
            samples.append(sample())
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while len(collected) < len(processes):
            try:
                collected.append(results.get(timeout=0.5))
            except queue.Empty:
                if time.monotonic() > deadline or any(p.exitcode for p in processes):
                    raise failed() from None
        samples.append(sample())
    finally:
        barrier.abort()
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.terminate()  # only the clients started just above
                process.join()
    return collected, samples


def _cpu_per(delta_start: float | None, delta_end: float | None, count: int) -> float | None:
    if delta_start is None or delta_end is None or not count:
        return None
    return (delta_end - delta_start) / count


def _hello_segment(server: Server) -> dict[str, Any]:
    results, cpu = _run_clients(
        hello_client, 1, server.cpu, port=server.port, warmup=HELLO_WARMUP,
        seconds=HELLO_SECONDS, max_count=MAX_PER_CLIENT,
    )  # fmt: skip
    done = sum(r["done"] for r in results)
    return {
        "rate": sum(r["done"] / r["elapsed"] for r in results),
        "cpu": _cpu_per(cpu[0], cpu[1], done),
        "errors": sum(r["errors"] for r in results),
    }


def _launch_segment(server: Server, platform: dict[str, Any]) -> dict[str, Any]:
    results, cpu = _run_clients(
        launch_client, 2, server.cpu, port=server.port, platform=platform,
        warmup=LAUNCH_WARMUP, login_seconds=LOGIN_SECONDS, max_logins=MAX_PER_CLIENT,
    )  # fmt: skip
    login_wall = max(r["login_elapsed"] for r in results)
    launch_wall = max(r["launch_elapsed"] for r in results)
    logins = sum(r["logins"] for r in results)
    done = sum(r["done"] for r in results)
    login_cpu = _cpu_per(cpu[0], cpu[1], logins)
    pair_cpu = _cpu_per(cpu[1], cpu[2], done)
    return {
        "rate": done / (login_wall + launch_wall),
        "login_rate": logins / login_wall,
        "pair_rate": done / launch_wall,
        "login_cpu": login_cpu,
        "pair_cpu": pair_cpu,
        "cpu": None if login_cpu is None or pair_cpu is None else login_cpu + pair_cpu,
        "errors": sum(r["errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), None),
    }


def measure() -> dict[str, Any]:
    """Both servers up side by side (an idle sync worker costs nothing), then client segments
    alternating hello, launches, hello, ... so that both see the same machine load."""
    from cryptography.hazmat.primitives import serialization

    from tests.lti.platform import FakePlatform

    platform = FakePlatform()
    key_pem = platform.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    shared = {"issuer": platform.issuer, "client_id": platform.client_id,
              "deployment_id": platform.deployment_id, "kid": platform.kid, "key_pem": key_pem}
    workdir = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    database_url = os.environ.get("RELAIS_BENCH_DATABASE_URL") or (
        f"sqlite:///{workdir / 'relais.sqlite3'}"
    )
    relais_port = _free_port()
    relais = Server("service.wsgi:app", relais_port, _clean_env(
        RELAIS_DATABASE_URL=database_url,
        RELAIS_SECRET_KEY="bench-secret",
        RELAIS_BASE_URL=f"http://localhost:{relais_port}",  # target_link_uri, redirect_uri
    ))  # fmt: skip
    hello = Server("benchmarks.hello:app", _free_port(), _clean_env())
    hellos: list[dict[str, Any]] = []
    launches: list[dict[str, Any]] = []
    try:
        with contextlib.ExitStack() as stack:
            key_set = stack.enter_context(_KeySetServer(platform.jwks()))
            _prepare_database(database_url, key_set.url, platform)
            stack.enter_context(hello.running())
            stack.enter_context(relais.running())
            hellos.append(_hello_segment(hello))
            for _ in range(LAUNCH_SEGMENTS):
                launches.append(_launch_segment(relais, shared))
                hellos.append(_hello_segment(hello))
            fetches = key_set.fetches
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    def median(items: list[dict[str, Any]], key: str) -> float | None:
        values = [item[key] for item in items if item[key] is not None]
        return statistics.median(values) if values else None

    # Each launch segment against the mean of the hello segments just before and after it.
    ratios = [
        launch["rate"] / ((hellos[i]["rate"] + hellos[i + 1]["rate"]) / 2)
        for i, launch in enumerate(launches)
    ]
    return {
        "hello": median(hellos, "rate"),
        "hello_all": [h["rate"] for h in hellos],
        "hello_cpu": median(hellos, "cpu"),
        "rate": median(launches, "rate"),
        "rate_all": [launch["rate"] for launch in launches],
        "ratio": statistics.median(ratios),
        "login_rate": median(launches, "login_rate"),
        "pair_rate": median(launches, "pair_rate"),
        "launch_cpu": median(launches, "cpu"),
        "login_cpu": median(launches, "login_cpu"),
        "pair_cpu": median(launches, "pair_cpu"),
        "errors": sum(x["errors"] for x in (*hellos, *launches)),
        "first_error": next((x["first_error"] for x in launches if x["first_error"]), None),
        "jwks_fetches": fetches,
        "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
    }


def _spread(values: list[float]) -> str:
    return "/".join(f"{v:,.0f}" for v in values)


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e6


def run() -> list[Row]:
    m = measure()
    server = f"gunicorn sync -w {WORKERS}, {CLIENTS} client processes"
    met = m["ratio"] >= RATIO_TARGET and m["errors"] == 0
    rows = [
        Row("HTTP: Flask hello world", m["hello"], "req/s",
            f"reference; {server}; segments {_spread(m['hello_all'])}"),
        Row(f"HTTP: full launches (login + launch + home), {m['database']}", m["rate"],
            "launches/s",
            f"{m['ratio']:.1%} of hello world (target >= {RATIO_TARGET:.0%}): {verdict(met)}; "
            f"segments {_spread(m['rate_all'])}"),
        Row("HTTP:   login GET", m["login_rate"], "req/s", "the launches' login phase"),
        Row("HTTP:   launch POST + home GET", m["pair_rate"], "pairs/s",
            f"the launches' second phase; key set fetched {m['jwks_fetches']}x by "
            f"{WORKERS} workers"),
        Row("server CPU: hello-world request", _us(m["hello_cpu"]), "µs",
            "gunicorn workers' user+sys CPU per request"),
    ]  # fmt: skip
    if m["launch_cpu"] is not None and m["hello_cpu"]:
        rows += [
            Row("server CPU: full launch", _us(m["launch_cpu"]), "µs",
                f"{m['launch_cpu'] / m['hello_cpu']:.1f}x a hello-world request "
                f"(3 requests; 20 % of the rate needs about 5x)"),
            Row("server CPU:   login GET", _us(m["login_cpu"]), "µs", ""),
            Row("server CPU:   launch POST + home GET", _us(m["pair_cpu"]), "µs", ""),
        ]  # fmt: skip
    if m["errors"]:
        rows.append(Row("HTTP: failed requests", m["errors"], "", str(m["first_error"])[:100]))
    return rows


if __name__ == "__main__":
    print_table(run())
