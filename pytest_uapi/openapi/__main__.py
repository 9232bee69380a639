"""``uapi-openapi``: write the OpenAPI 3.1 document of a contract profile."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_uapi.contract import PROFILES

from .document import build_document


def render(profile: str) -> str:
    """The document as the checked-in copies hold it: stable key order, one trailing newline."""
    return json.dumps(build_document(profile), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="uapi-openapi",
        description="Write the OpenAPI 3.1 document of the UAPI PhoneCalls contract.",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="default",
        help="contract profile: what the document accepts (default: %(default)s)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write here (default: standard output)"
    )
    args = parser.parse_args(argv)
    text = render(args.profile)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
