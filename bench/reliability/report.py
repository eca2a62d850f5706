"""Check results: one console line each, and the markdown report."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def markdown(self) -> list[str]:
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self.rows]
        return lines


@dataclass
class Result:
    name: str
    title: str
    failures: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    table: Table = field(default_factory=lambda: Table(["figure", "value"]))
    note: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    def line(self) -> str:
        if self.passed:
            return f"PASS {self.name}: {', '.join(self.figures)}"
        shown = "; ".join(self.failures[:6])
        more = f" (+{len(self.failures) - 6} more)" if len(self.failures) > 6 else ""
        return f"FAIL {self.name}: {shown}{more}"


def markdown(results: list[Result], header: list[str], smoke: bool) -> str:
    passed = sum(r.passed for r in results)
    lines = [
        f"# Reliability {datetime.date.today().isoformat()}{' (smoke sizes)' if smoke else ''}",
        "",
        *header,
        "",
        "## Summary",
        "",
        "| check | verdict | time, s | figures or failures |",
        "|---|---|---|---|",
    ]
    for result in results:
        text = ", ".join(result.figures) if result.passed else "; ".join(result.failures)
        verdict = "PASS" if result.passed else "FAIL"
        text = text.replace("|", "\\|")
        lines.append(f"| {result.name} | {verdict} | {result.seconds:.1f} | {text} |")
    lines += ["", f"{passed} passed, {len(results) - passed} failed", ""]
    for result in results:
        lines += [f"## {result.name}: {result.title}", "", result.line(), ""]
        if result.note:
            lines += [result.note, ""]
        lines += [*result.table.markdown(), ""]
        if len(result.failures) > 6:
            lines += ["All failures:", "", *(f"- {failure}" for failure in result.failures), ""]
    return "\n".join(lines)
