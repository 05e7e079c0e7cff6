"""`make bench`: Relais' performance figures, measured in one run, printed as one table.

Each bench module (listed in ``benchmarks/__main__.py``) exposes ``run() -> list[Row]`` and
also runs alone (``python -m benchmarks.launch_validation``). Figures that matter are ratios
against a reference measured in the same run (the raw RSA verify, pylti1p3, a hello-world
app on the same server settings); absolute times only say what this machine did today.
Nothing here is asserted in the tests: a missed target is printed, not raised.
"""

from benchmarks._table import Row, format_table, print_table

__all__ = ["Row", "format_table", "print_table"]
