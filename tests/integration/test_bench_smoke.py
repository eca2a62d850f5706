"""The benchmark keeps working: `python -m bench.run --smoke` starts the mock LLM, this runtime and the
reference (Node), sends every scenario at tiny sizes through the client's wire protocol and writes the
side-by-side table. No thresholds: figures at these sizes mean nothing, errors do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.databases import postgres_url

ROOT = Path(__file__).parent.parent.parent


def test_the_benchmark_runs_every_scenario_against_both_runtimes(tmp_path: Path) -> None:
    output = tmp_path / "smoke.md"
    command = [sys.executable, "-m", "bench.run", "--smoke", "--output", str(output)]
    postgres = postgres_url()
    if postgres is not None:
        command += ["--postgres", postgres]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGUI_")}
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    report = output.read_text(encoding="utf-8")
    for scenario in ("(a)", "(b)", "(c)", "(d)", "(e)", "Sweep"):
        assert f"### {scenario}" in report
    assert "| figure | ours | reference | ours / reference |" in report
    assert "| figure | ours | ours-n | reference | ours / reference |" in report
    columns = "ours (memory) | ours (sqlite) |" + (" ours (postgresql) |" if postgres else "")
    assert f"| figure | {columns} reference |" in report
    # every reply was checked and none was wrong, on either runtime
    errors = re.findall(r"^\| errors \| (.*) \|$", report, re.MULTILINE)
    assert len(errors) == 5
    assert all(set(row.replace("|", "").split()) == {"0"} for row in errors), errors
    assert "Errors seen" not in report
    assert "Sustained: ours 8, ours-n 8, reference 8" in report
