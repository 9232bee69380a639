"""Regenerate docs/kill-table.md: requirement -> mutant -> the tests that kill it.

    python -m tests.mutants.kill_table

Runs the whole catalogue (see ``runner``), writes the table and prints the summary line that the
README quotes. A mutant no test kills is listed as SURVIVED and makes this exit 1.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from pytest_uapi.contract import load_contract
from pytest_uapi.reference.faults import catalogue
from tests.mutants.runner import all_names, run_all

DOC = Path(__file__).resolve().parents[2] / "docs" / "kill-table.md"
SHOWN = 3


def summary(results: dict[str, dict[str, Any]]) -> str:
    faults = [r for name, r in results.items() if name in catalogue()]
    killed = sum(1 for r in faults if r["killing"])
    return f"{killed}/{len(faults)} mutants killed"


def _killers(result: dict[str, Any]) -> str:
    tests = [f"`{t}`" for t in result["killing"][:SHOWN]]
    more = len(result["killing"]) - SHOWN
    if more > 0:
        tests.append(f"and {more} more")
    return ", ".join(tests) or "**SURVIVED**"


def render(results: dict[str, dict[str, Any]], seconds: float, jobs: int) -> str:
    contract = load_contract()
    faults = catalogue()
    lines = [
        "# Kill table",
        "",
        "Every requirement of the contract data has at least one mutant: a variant of the",
        "reference server with one named fault (`uapi-reference-server --fault NAME`,",
        "`pytest --uapi-url embedded --uapi-fault NAME`). A mutant is killed when the suite,",
        "run on the tests that carry its requirement, fails with a check naming that requirement.",
        "",
        f"**{summary(results)}** across {len(contract.requirements)} requirements; the proof "
        f"took {seconds:.0f} s on {jobs} processes.",
        "Regenerate with `python -m tests.mutants.kill_table`.",
        "",
        "| requirement | decision | mutant | what the server does wrong | killed by |",
        "| --- | --- | --- | --- | --- |",
    ]
    for requirement in contract.requirements:
        for fault in faults.values():
            if fault.requirement != requirement.id:
                continue
            result = results[fault.name]
            lines.append(
                f"| `{requirement.id}` | {requirement.decision} | `{fault.name}` | "
                f"{fault.description} | {_killers(result)} |"
            )
    default, strict = results["alternatives:default"], results["alternatives:strict"]
    lines += [
        "",
        "## The alternatives variant",
        "",
        "`--uapi-fault alternatives` takes every reading only the default profile accepts (200",
        "instead of 202, `links` instead of `link`, the List collection from the self link,",
        "numeric view status, 403 for auth failures, `pc_phoncall_invalid` for Transfer, numeric",
        "call ids).",
        "",
        f"- default profile: exit code {default['exit_code']}, {default['tests']} tests, "
        f"{len(default['failed'])} failed, {len(default['skipped'])} skipped",
        f"- strict profile: exit code {strict['exit_code']}, {len(strict['failed'])} of "
        f"{strict['tests']} tests fail",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    jobs = 2
    started = time.perf_counter()
    results = run_all(all_names(), jobs)
    seconds = time.perf_counter() - started
    DOC.write_text(render(results, seconds, jobs), encoding="utf-8")
    print(summary(results), f"in {seconds:.0f} s")  # noqa: T201
    survived = [name for name in catalogue() if not results[name]["killing"]]
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
