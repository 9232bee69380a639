"""report.html: escaped, self-contained, and read in a real browser (headless Chromium) the way a
person reads it: the verdict, the matrix, a failure's curl line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_uapi.contract import load_contract
from pytest_uapi.reporting import report_html, report_json
from pytest_uapi.reporting.verdicts import TestRecord, judge

CONTRACT = load_contract()
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return "".join(parts)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found += child.iter()
        return found

    def by_id(self, element_id: str) -> Element:
        return next(e for e in self.iter() if e.attrs.get("id") == element_id)

    def by_class(self, name: str) -> list[Element]:
        return [e for e in self.iter() if name in e.classes]


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_dom(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        # CI installs Chromium (.ci/run): a silent skip there would hide a broken report
        pytest.fail("no Chromium found in CI; .ci/run installs the chromium package")
    pytest.skip("no Chromium browser found (apt-get install chromium) to check report.html in")


def dump_dom(page: Path) -> str:
    """The DOM after Chromium loaded the page from disk, with no network and a fresh profile."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="uapi-chromium-") as profile:
        done = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_person_reads_the_failing_report_in_a_browser(
    pytester: pytest.Pytester, broken_url: str
) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url", broken_url, "--uapi-token", "sandbox-token-12", "-p", "no:cacheprovider",
        "-k", "Transfer-pc_sendcallto_invalid or test_success_status", "--uapi-report", "out",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    page = pytester.path / "out" / "report.html"
    source = page.read_text("utf-8")
    # self-contained: nothing fetched from anywhere, so it reads the same offline or archived
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", source)
    assert "<script" not in source

    dom = parse_dom(dump_dom(page))
    verdict = dom.by_id("verdict")
    assert verdict.text == "NOT CONFORMANT" and "not-conformant" in verdict.classes
    assert dom.by_id("summary").text == (
        f"UAPI conformance (default profile): 5/{len(CONTRACT.requirements)} requirements pass, "
        "1 fail, 69 not tested: NOT CONFORMANT"
    )

    matrix = dom.by_id("matrix")
    header = [th.text for th in matrix.iter() if th.tag == "th"][:6]
    assert header == ["operation", "success", "flow", "error", "robustness", "security"]
    rows = [tr.iter()[1].text for tr in matrix.iter() if tr.tag == "tr"][1:]
    assert rows == ["MakeCall", "Transfer", "TransferToVoicemail", "PickUp", "OffHold", "general"]
    failing = dom.by_id("cell-Transfer-error")
    assert failing.classes == {"cell", "fail"}
    assert failing.text == "0/6 pass1 fail, 5 not tested"
    assert "transfer.error.pc_sendcallto_invalid" in failing.attrs["title"]
    untested = dom.by_id("cell-OffHold-flow")
    assert untested.classes == {"cell", "not-tested"} and untested.text.startswith("0/3 pass")
    assert dom.by_id("cell-general-success").classes == {"cell", "empty"}
    assert [c.attrs["id"] for c in dom.by_class("fail") if "cell" in c.classes] == [
        "cell-Transfer-error"
    ]

    failures = dom.by_class("failure")
    assert len(failures) == 4 and all(f.tag == "details" for f in failures)
    first = failures[0]
    summary = next(e for e in first.iter() if e.tag == "summary")
    assert "test_error_code[Transfer-pc_sendcallto_invalid-" in summary.text
    message = first.by_class("message")[0].text
    assert "Wrong error code" in message and "Received: wrong_code" in message
    curl = first.by_class("curl")[0].text
    assert curl.startswith("curl -X PUT -H 'Authorization: Bearer ***' -H 'Content-Type: ")
    assert f"'{broken_url}/uapi/phoneCalls/12/0003*210/" in curl
    assert "sandbox-token-12" not in dom.text


def test_every_value_is_escaped() -> None:
    hostile = '<script>alert(1)</script> & "quotes"'
    record = TestRecord(f"test_x.py::test_y[{hostile}]", ("transfer.success",))
    record.phases = {"call": "failed"}
    record.failed_requirements = ["transfer.success"]
    record.message = hostile
    record.curl = f"curl '{hostile}'"
    run = report_json.Run(hostile, "default", hostile, 1, "2026-01-01T00:00:00+00:00", "x")
    report = report_json.build(run, CONTRACT, judge(CONTRACT, [record]), [record], [hostile], 1)
    page = report_html.render(report)
    assert "<script>" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;") >= 5


def test_credentials_never_reach_the_report() -> None:
    assert report_json.strip_credentials("https://u:p@pbx.example:8443/api") == (
        "https://pbx.example:8443/api"
    )
    assert report_json.strip_credentials("embedded") == "embedded"
