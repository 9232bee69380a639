"""Run the shipped suite against named faults of the reference server and record who kills them.

Each fault gets its own pytest session against ``--uapi-url embedded --uapi-fault NAME``, limited
to the tests that carry the fault's requirement (``--uapi-requirement``): a fault is *killed*
when one of those tests fails with a check naming that requirement. Sessions run in this process
one after another (pytest's start-up, not the suite, is most of a short run's cost), and the
catalogue is split over worker processes.

    python -m tests.mutants.runner --out results.json [--jobs 2] [NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_uapi.reference.faults import catalogue

# Full runs of the alternatives variant: the default profile must pass it, strict must fail it.
ALTERNATIVES = {"alternatives:default": (), "alternatives:strict": ("--uapi-strict",)}

SEQUENCES = "sequence.state"
# Its faults show only in longer stories than the default run tells (8 sequences of 12 steps):
# more and longer sequences, from a fixed seed so that the proof is the same on every run (each
# is killed under other seeds too), stopping at the first failure since shrinking is the cost.
SEQUENCE_ARGS = (
    "--uapi-seed",
    "2026",
    "--uapi-sequences",
    "32",
    "--uapi-sequence-steps",
    "24",
    "--exitfirst",
)


Session = Callable[[Sequence[str]], tuple[int, Path]]
"""Runs one pytest session with these arguments; its exit code and its JUnit XML file."""


def _main_session(args: Sequence[str]) -> tuple[int, Path]:
    """One pytest session in this process, in a fresh directory (no project settings)."""
    where = Path(tempfile.mkdtemp(prefix="uapi-mutant-"))
    xml = where / "junit.xml"
    (where / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    previous = Path.cwd()
    os.chdir(where)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = pytest.main(["-q", "-p", "no:cacheprovider", "--junitxml", str(xml), *args])
    finally:
        os.chdir(previous)
    return int(code), xml


def cases(xml: Path) -> list[dict[str, Any]]:
    """The test cases of a JUnit XML file: id, outcome, failure text."""
    found = []
    if xml.exists():
        for case in ET.parse(xml).getroot().iter("testcase"):
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            skipped = case.find("skipped")
            found.append(
                {
                    "id": f"{case.get('classname', '').rsplit('.', 1)[-1]}.py::{case.get('name')}",
                    "outcome": "failed"
                    if failure is not None
                    else "skipped"
                    if skipped is not None
                    else "passed",
                    "text": (failure.text or "") if failure is not None else "",
                }
            )
    return found


def fault_args(name: str) -> tuple[list[str], str | None]:
    """The suite's arguments that serve ``name``, and the requirement it breaks (None for the
    alternatives runs, which run the whole suite)."""
    if name in ALTERNATIVES:
        return ["--uapi-url", "embedded", "--uapi-fault", "alternatives", *ALTERNATIVES[name]], None
    requirement = catalogue()[name].requirement
    args = ["--uapi-url", "embedded", "--uapi-fault", name, "--uapi-requirement", requirement]
    if requirement == SEQUENCES:
        args += SEQUENCE_ARGS
    return args, requirement


def run_fault(name: str, session: Session = _main_session) -> dict[str, Any]:
    started = time.perf_counter()
    args, requirement = fault_args(name)
    code, xml = session(args)
    found = cases(xml)
    marker = f"Requirement: {requirement} (" if requirement else None
    failed = [c for c in found if c["outcome"] == "failed"]
    return {
        "name": name,
        "requirement": requirement,
        "exit_code": code,
        "tests": len(found),
        "failed": [c["id"] for c in failed],
        "skipped": [c["id"] for c in found if c["outcome"] == "skipped"],
        "killing": [c["id"] for c in failed if marker and marker in c["text"]],
        "seconds": round(time.perf_counter() - started, 3),
    }


def run_all(names: Sequence[str], jobs: int) -> dict[str, dict[str, Any]]:
    """Run ``names`` split over ``jobs`` processes; results by name."""
    if jobs <= 1:
        return {name: run_fault(name) for name in names}
    shares = [list(names[i::jobs]) for i in range(jobs)]
    outs = []
    procs = []
    for share in shares:
        out = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
        out.close()
        outs.append(Path(out.name))
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.mutants.runner",
                    "--jobs",
                    "1",
                    "--out",
                    out.name,
                    *share,
                ],
                cwd=Path(__file__).resolve().parents[2],
            )
        )
    results: dict[str, dict[str, Any]] = {}
    for proc, out in zip(procs, outs, strict=True):
        proc.wait()
        if out.stat().st_size:
            results.update(json.loads(out.read_text(encoding="utf-8")))
        out.unlink()
    return results


def all_names() -> list[str]:
    return [*catalogue(), *ALTERNATIVES]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    results = run_all(args.names or all_names(), args.jobs)
    Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
