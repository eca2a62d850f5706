"""The reliability suite at smoke sizes (`python -m bench.reliability --smoke`): one server process, kept for
every check, must pass all of them — fuzzing, malformed input, the upstream fault matrix, an abort storm,
a short soak and the poisoning check."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
CHECKS = ("fuzz", "malformed", "faults", "abort", "soak", "poisoning")


def test_the_reliability_suite_passes_every_check_at_smoke_sizes(tmp_path: Path) -> None:
    output = tmp_path / "reliability.md"
    command = [sys.executable, "-m", "bench.reliability", "--smoke", "--output", str(output)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGUI_")}

    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    printed = finished.stdout + finished.stderr
    assert finished.returncode == 0, printed[-4000:]
    lines = re.findall(r"^(PASS|FAIL) (\w+):", finished.stdout, re.MULTILINE)
    assert sorted(name for _, name in lines) == sorted(CHECKS), lines
    assert all(verdict == "PASS" for verdict, _ in lines), lines
    report = output.read_text(encoding="utf-8")
    for check in CHECKS:
        assert f"## {check}" in report
