"""The relay directory at national scale: import rate of a generated 50,000-place open-data
file, and the time of a "20 nearest relays" query (target: p95 under 20 ms).

Runs on a throw-away SQLite file; also on PostgreSQL when ``RELAIS_BENCH_DATABASE_URL`` names
a database it may write to (a platform is created there and removed at the end).

    python -m benchmarks.directory
"""

from __future__ import annotations

import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._table import Row, print_table

PLACES = 50_000
QUERIES = 400
TARGET_MS = 20.0
ROOT = Path(__file__).resolve().parent.parent


def _generator() -> Any:
    name = "mediation_num_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "tests" / "fixtures" / "mediation-num" / "generate.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(database_url: str, csv_path: Path, label: str) -> list[Row]:
    from sqlalchemy import select

    from service import create_app, db
    from service.directory.importer import import_file
    from service.directory.models import Relay
    from service.directory.search import locate, nearest
    from service.migrate import upgrade
    from service.platforms.models import Platform

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench",
                      "BASE_URL": "http://localhost"})
    upgrade(app)
    rows: list[Row] = []
    with app.app_context():
        with db.transaction() as tx:
            platform = Platform(name=f"bench-directory-{time.time_ns()}", issuer="https://bench",
                                client_id="bench", auth_login_url="https://bench/a",
                                auth_token_url="https://bench/t", jwks_url="https://bench/j")
            tx.add(platform)
        pid = platform.id
        try:
            started = time.perf_counter()
            first = import_file(pid, csv_path)
            took = time.perf_counter() - started
            rows.append(Row(f"directory [{label}]: import {PLACES:,} places", PLACES / took,
                            "rows/s", f"{took:.1f} s for {first.summary()}"))
            started = time.perf_counter()
            again = import_file(pid, csv_path)
            took = time.perf_counter() - started
            rows.append(Row(f"directory [{label}]: re-import, nothing changed", PLACES / took,
                            "rows/s", f"{took:.1f} s for {again.summary()}"))

            if database_url.startswith("postgres"):
                # What autovacuum does soon after a bulk load: statistics and the visibility
                # map that lets the nearest search read the index alone.
                with db.engine().connect().execution_options(
                        isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE relay")
            points = db.session().execute(
                select(Relay.latitude, Relay.longitude).where(Relay.platform_id == pid)
            ).all()
            rng = random.Random(3)
            # Where parents are: near places (jittered by a few km), plus anywhere in France.
            queries = [(lat + rng.gauss(0, 0.05), lon + rng.gauss(0, 0.05))
                       for lat, lon in rng.sample(points, QUERIES * 3 // 4)]
            queries += [(rng.uniform(42.5, 51.0), rng.uniform(-4.5, 8.0))
                        for _ in range(QUERIES // 4)]
            with app.test_request_context():
                nearest(pid, lat=49.25, lon=4.03)  # warm the connection and caches
                for name, filters in (("20 nearest relays", {}),
                                      ("20 nearest, Arabic + families",
                                       {"languages": ("ar",), "family": True})):
                    times = []
                    for lat, lon in queries:
                        started = time.perf_counter()
                        found = nearest(pid, lat=lat, lon=lon, limit=20, **filters)
                        times.append((time.perf_counter() - started) * 1000)
                        assert len(found) == 20 or filters
                    p95 = _percentile(times, 0.95)
                    verdict = "met" if p95 < TARGET_MS else "NOT met"
                    rows.append(Row(
                        f"directory [{label}]: {name}, p95", p95, "ms",
                        f"p50 {statistics.median(times):.1f} ms over {len(times)} queries at "
                        f"{PLACES:,} places (target p95 < {TARGET_MS:.0f} ms): {verdict}"))
                times = []
                for text in ("51100", "Reims", "75011", "Saint-Étienne", "97400", "13"):
                    for _ in range(20):
                        started = time.perf_counter()
                        locate(pid, text)
                        times.append((time.perf_counter() - started) * 1000)
                rows.append(Row(f"directory [{label}]: locate a postcode or commune, p95",
                                _percentile(times, 0.95), "ms",
                                "from the platform's own places, no network"))
        finally:
            with db.transaction() as tx:
                tx.delete(tx.get(Platform, pid))
    app.extensions["relais_engine"].dispose()
    return rows


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "lieux.csv"
        made = _generator().write_csv(csv_path, PLACES)
        assert made.valid + made.invalid == PLACES
        rows = measure(f"sqlite:///{folder}/bench.sqlite3", csv_path, "SQLite")
        pg = os.environ.get("RELAIS_BENCH_DATABASE_URL")
        if pg:
            rows += measure(pg, csv_path, "PostgreSQL")
        else:
            rows.append(Row("directory [PostgreSQL]", None, "",
                            "set RELAIS_BENCH_DATABASE_URL to measure it"))
    return rows


if __name__ == "__main__":
    print_table(run())
