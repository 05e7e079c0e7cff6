"""Run every bench module and print one table: ``python -m benchmarks [module ...]``.

To add rows (directory import rate, "20 nearest relays" p95, ...): write
``benchmarks/<name>.py`` with ``run() -> list[Row]`` (and the ``__main__`` block the other
modules have, so it also runs alone), then append its dotted name to ``BENCHES``. A module that
raises gets a FAILED row; the others still run, and the exit status is then 1.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback

from benchmarks._table import Row, print_table

BENCHES: list[str] = [
    "benchmarks.launch_validation",
    "benchmarks.http_launches",
    "benchmarks.directory",
]


def main(argv: list[str]) -> int:
    wanted = [f"benchmarks.{name.removeprefix('benchmarks.')}" for name in argv]
    unknown = [name for name in wanted if name not in BENCHES]
    if unknown:
        print(f"unknown bench: {', '.join(unknown)}; known: {', '.join(BENCHES)}",
              file=sys.stderr)
        return 2
    rows: list[Row] = []
    failed = False
    load_at_start = os.getloadavg()[0]
    for name in wanted or BENCHES:
        started = time.perf_counter()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(importlib.import_module(name).run())
        except Exception as exc:  # one broken bench must not hide the others' rows
            traceback.print_exc()
            rows.append(Row(f"{name.removeprefix('benchmarks.')}: FAILED", None, "",
                            f"{type(exc).__name__}: {exc}"[:120]))
            failed = True
        print(f"bench: {name} took {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
    rows.append(Row(
        "machine: 1-min load average at the end", os.getloadavg()[0], "",
        f"{load_at_start:.2f} at the start, on {os.cpu_count()} CPUs (other processes count)",
    ))  # fmt: skip
    print_table(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
