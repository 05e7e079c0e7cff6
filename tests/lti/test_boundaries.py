"""The rule of the package: lti never imports flask (nor plugin, nor service)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LTI = Path(__file__).resolve().parents[2] / "lti"


def test_importing_lti_loads_no_web_framework() -> None:
    code = (
        "import sys, lti, lti.launch, lti.oidc, lti.deep_linking, lti.keys, lti.platform_keys;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'flask', 'werkzeug', 'plugin', "
        "'service'}]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=LTI.parent, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_mentions_an_upper_layer_import() -> None:
    for path in LTI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for layer in ("flask", "plugin", "service"):
            assert f"import {layer}" not in text and f"from {layer}" not in text, path.name
