"""report.html: escaped, self-contained, and read in a real browser (headless Chromium) the way a
person reads it: the verdict, the matrix, a failure's curl line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_uapi.contract import CATEGORIES, load_contract
from pytest_uapi.reporting import report_html, report_json
from pytest_uapi.reporting.verdicts import TestRecord, judge

CONTRACT = load_contract()
TOTAL = len(CONTRACT.requirements)
# The failing run: one test per cause of one Transfer row fails, one success test per operation
# passes (see tests/reporting/test_plugin_runs.py); the figures follow the contract data.
FAILED = len(CONTRACT.requirement("transfer.error.pc_sendcallto_invalid").causes)
PASSED = len(CONTRACT.operations)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--hide-scrollbars",
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


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    """Chromium on a page from disk, with no network and a fresh profile."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="uapi-chromium-") as profile:
        done = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dump_dom(page: Path, *flags: str) -> str:
    """The DOM after Chromium loaded the page (and ran its script, unless flags say not to)."""
    return run_chromium(*flags, "--dump-dom", page.as_uri()).stdout


def measure(page: Path, probe: str = "") -> dict[str, str]:
    """Run ``probe`` (script) in a copy of the page at 1400x900 after its own script, and read
    back what it wrote: the page's height and the boxes of the verdict, the matrix and the run
    facts, as ``top,bottom,left,right`` in CSS pixels."""
    script = (
        "<script>addEventListener('load', function () { var b = document.body;"
        "function box(id) { var r = document.getElementById(id).getBoundingClientRect();"
        "return [r.top, r.bottom, r.left, r.right].map(Math.round).join(','); }"
        "b.dataset.height = document.documentElement.scrollHeight;"
        "b.dataset.width = document.documentElement.scrollWidth;"
        "['verdict', 'summary', 'matrix', 'run'].forEach(function (id) {"
        "b.dataset[id] = box(id); });" + probe + "});</script>"
    )
    copy = page.with_name("measured.html")
    copy.write_text(page.read_text("utf-8").replace("</body>", script + "</body>"), "utf-8")
    try:
        body = parse_dom(dump_dom(copy, "--window-size=1400,900")).iter()
    finally:
        copy.unlink()
    found = next(e for e in body if e.tag == "body")
    return {k.removeprefix("data-"): v for k, v in found.attrs.items() if k.startswith("data-")}


def box(value: str) -> tuple[int, int, int, int]:
    top, bottom, left, right = (int(v) for v in value.split(","))
    return top, bottom, left, right


def assert_first_screen_decides(page: Path, shots: Path, name: str) -> dict[str, str]:
    """Verdict, summary, matrix and run facts all on the first 1400x900 screen, with no
    sideways scrolling; and a screenshot of that screen to look at."""
    geometry = measure(page)
    for part in ("verdict", "summary", "matrix", "run"):
        top, bottom, left, right = box(geometry[part])
        assert 0 <= top < bottom <= 900 and 0 <= left < right <= 1400, (part, geometry)
    assert int(geometry["width"]) <= 1400
    shot = shots / f"{name}-first-screen.png"
    run_chromium("--window-size=1400,900", f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes().startswith(b"\x89PNG")
    return geometry


def assert_self_contained(source: str) -> None:
    """Nothing fetched from anywhere: it reads the same offline, mailed or archived."""
    assert not re.search(r"""(src|href|action)\s*=\s*["']?(https?:|//|file:)""", source)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", source)
    assert "@import" not in source and "url(" not in source
    scripts = re.findall(r"<script\b[^>]*>", source)
    assert scripts == ["<script>"]  # the one inline script, never a src


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
    assert_self_contained(source)

    dom = parse_dom(dump_dom(page))
    verdict = dom.by_id("verdict")
    assert verdict.text == "NOT CONFORMANT" and "not-conformant" in verdict.classes
    assert dom.by_id("summary").text == (
        f"UAPI conformance (default profile): {PASSED}/{TOTAL} requirements pass, "
        f"1 fail, {TOTAL - PASSED - 1} not tested: NOT CONFORMANT"
    )
    facts = dom.by_id("run").text
    for fact in (broken_url, CONTRACT.digest, "pytest-uapi 0.1.0", "documented rows tested"):
        assert fact in facts

    matrix = dom.by_id("matrix")
    header = [th.text for th in matrix.iter() if th.tag == "th"][: 1 + len(CATEGORIES)]
    assert header == ["operation", *CATEGORIES]
    rows = [tr.iter()[1].text for tr in matrix.iter() if tr.tag == "tr"][1:]
    assert rows == [
        "MakeCall", "Transfer", "TransferToVoicemail", "PickUp", "OffHold", "general", "all",
    ]  # fmt: skip
    failing = dom.by_id("cell-Transfer-error")
    assert failing.classes == {"cell", "fail"}
    assert failing.text == "0/6 pass1 fail, 5 not tested"
    assert "transfer.error.pc_sendcallto_invalid" in failing.attrs["title"]
    # the cell leads to the requirement that coloured it
    link = next(e for e in failing.iter() if e.tag == "a")
    assert link.attrs["href"] == "#req-transfer-error-pc-sendcallto-invalid"
    untested = dom.by_id("cell-OffHold-flow")
    offhold_flow = sum(1 for r in CONTRACT.by_category("flow") if "OffHold" in r.operations)
    assert untested.classes == {"cell", "not-tested"}
    assert untested.text.startswith(f"0/{offhold_flow} pass")
    assert dom.by_id("cell-general-success").classes == {"cell", "empty"}
    assert [c.attrs["id"] for c in dom.by_class("fail") if "cell" in c.classes] == [
        "cell-Transfer-error",
        "cell-all-error",
    ]
    successes = len(CONTRACT.by_category("success"))
    assert dom.by_id("cell-all-success").text == (
        f"{PASSED}/{successes} pass{successes - PASSED} not tested"
    )

    failures = dom.by_class("failure")
    assert len(failures) == FAILED and all(f.tag == "details" for f in failures)
    assert "open" in failures[0].attrs  # the first failure of a requirement shows what failed
    for failure in failures:
        summary = next(e for e in failure.iter() if e.tag == "summary")
        assert "test_error_code[Transfer-pc_sendcallto_invalid-" in summary.text
        assert "Wrong error code" in summary.text and " ms" in summary.text
        message = failure.by_class("message")[0].text
        assert "Wrong error code" in message and "Received: wrong_code" in message
        (curl,) = failure.by_class("curl")  # one curl line, not two
        assert "curl" not in message and "Reproduce with" not in message
        assert curl.text.startswith("curl -X PUT -H 'Authorization: Bearer ***' -H 'Content-")
        assert f"'{broken_url}/uapi/phoneCalls/12/0003*210/" in curl.text
        # the exchange that failed, labelled, with its timing, open
        (failed_here,) = failure.by_class("failed-here")
        assert "open" in failed_here.attrs and "← the failure" in failed_here.text
        labels = [e.text for e in failed_here.iter() if e.tag == "h4"]
        assert labels[0] == "Request sent" and re.fullmatch(
            r"Response 400 after [\d.]+ ms", labels[1]
        )
        request = failed_here.by_class("request")[0].text
        assert request.startswith("PUT ") and "authorization: Bearer ***" in request
        assert '"wrong_code"' in failed_here.by_class("response")[0].text
    assert "sandbox-token-12" not in dom.text

    # every test listed with outcome and duration; requirement rows link to their tests
    tests = [e for e in dom.by_class("test") if e.tag == "tr"]
    assert len(tests) == PASSED + FAILED
    assert {t.attrs["data-verdict"] for t in tests} == {"pass", "fail"}
    assert all(re.search(r"[\d.]+ ms", t.text) for t in tests)
    requirement = dom.by_id("req-transfer-error-pc-sendcallto-invalid")
    assert requirement.attrs["data-verdict"] == "fail"
    assert requirement.text.startswith("fail" + "Transfer with a missing or invalid sendCallTo")
    anchors = {e.attrs["href"] for e in requirement.iter() if e.tag == "a"}
    assert {f"#{t.attrs['id']}" for t in tests if t.attrs["data-verdict"] == "fail"} <= anchors

    environment = dom.by_id("environment").text
    assert "pytest-xdist" in environment and "--uapi-token***option" in environment


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
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;") >= 5


def test_credentials_never_reach_the_report() -> None:
    assert report_json.strip_credentials("https://u:p@pbx.example:8443/api") == (
        "https://pbx.example:8443/api"
    )
    assert report_json.strip_credentials("embedded") == "embedded"


def _record(nodeid: str, outcome: str, requirements: tuple[str, ...]) -> TestRecord:
    record = TestRecord(nodeid, requirements)
    record.phases = {"setup": "passed", "call": outcome}
    record.duration = 0.012
    if outcome == "failed":
        record.failed_requirements = [requirements[0]]
        record.message = f"- Wrong error code\n\nReproduce with:\n\n    curl '{nodeid}'"
        record.curl = f"curl '{nodeid}'"
    if outcome == "skipped":
        record.phases = {"setup": "skipped"}
        record.message = "Skipped: precondition not met: no second user"
    return record


def _exchange(body: str = "{}") -> dict[str, object]:
    return {
        "method": "PUT",
        "url": "http://pbx.example/uapi/phoneCalls/12/0003*210/abc",
        "status": 400,
        "request_headers": {"authorization": "Bearer ***"},
        "request_body": body,
        "response_headers": {"content-type": "application/json"},
        "response_body": body,
        "error": None,
        "elapsed": 0.0021,
    }


def _page(tmp_path: Path, records: list[TestRecord]) -> tuple[Path, dict[str, object]]:
    started, finished = "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:09+00:00"
    run = report_json.Run("http://pbx.example", "default", "reference", 1, started, finished)
    report = report_json.build(run, CONTRACT, judge(CONTRACT, records), records, [], 1)
    page = tmp_path / "report.html"
    page.write_text(report_html.render(report), "utf-8")
    return page, report


def test_filter_by_verdict_and_search(tmp_path: Path) -> None:
    page, _ = _page(
        tmp_path,
        [
            _record("test_errors.py::test_a[x]", "failed", ("transfer.success", "errors.body")),
            _record("test_success.py::test_b", "passed", ("pickup.success",)),
            _record("test_security.py::test_c", "skipped", ("security.cross_user_call",)),
        ],
    )
    probe = (
        "function count(sel) { return document.querySelectorAll(sel + ':not([hidden])').length; }"
        "var controls = document.getElementById('controls');"
        "b.dataset.controls = String(controls.hidden);"
        "controls.querySelector('button[value=fail]').click();"
        "b.dataset.failreqs = count('tr.req'); b.dataset.failtests = count('tr.test');"
        "controls.querySelector('button[value=all]').click();"
        "var search = document.getElementById('search');"
        "search.value = 'errors.body'; search.dispatchEvent(new Event('input'));"
        "b.dataset.searchreqs = count('tr.req'); b.dataset.searchtests = count('tr.test');"
        "b.dataset.shown = document.getElementById('shown').textContent;"
    )
    seen = measure(page, probe)
    assert seen["controls"] == "false"  # the script shows the controls it drives
    assert (seen["failreqs"], seen["failtests"]) == ("1", "1")
    # errors.body: its own row, and the test that carries it as a secondary requirement
    assert (seen["searchreqs"], seen["searchtests"]) == ("1", "1")
    assert seen["shown"] == f"1/{len(CONTRACT.requirements)} requirements, 1/3 tests"


def test_the_page_reads_without_script(tmp_path: Path) -> None:
    page, report = _page(
        tmp_path,
        [
            _record("test_errors.py::test_a[x]", "failed", ("transfer.success",)),
            _record("test_security.py::test_c", "skipped", ("security.cross_user_call",)),
        ],
    )
    # Headless Chromium's --dump-dom itself needs script, so the page is loaded without its one
    # inline script: what a browser with script disabled (or a mail client) shows.
    source = page.read_text("utf-8")
    assert_self_contained(source)
    bare = page.with_name("bare.html")
    bare.write_text(re.sub(r"<script>.*?</script>", "", source, flags=re.S), "utf-8")
    dom = parse_dom(dump_dom(bare))
    # no dead controls, and everything there: requirements, tests, the failure, skip reasons
    assert "hidden" in dom.by_id("controls").attrs
    rows = [e for e in dom.by_class("req") if e.tag == "tr"]
    assert len(rows) == len(report["requirements"])  # type: ignore[arg-type]
    assert len([e for e in dom.by_class("test") if e.tag == "tr"]) == 2
    assert dom.by_class("failure")[0].by_class("curl")[0].text == "curl 'test_errors.py::test_a[x]'"
    untested = dom.by_id("req-security-cross-user-call").text
    assert "skipped: precondition not met: no second user" in untested
    assert "not tested" in dom.by_id("attention").text


def test_the_page_keeps_to_its_budget(tmp_path: Path) -> None:
    """Hundreds of failures with big bodies: every failure is listed, the first of each
    requirement in full, and the page stays within its budget (report.json keeps the rest)."""
    records = []
    ids = [r.id for r in CONTRACT.requirements if r.category == "error"][:6]
    for n in range(300):
        record = _record(f"test_errors.py::test_big[{n}]", "failed", (ids[n % len(ids)],))
        record.exchanges = [_exchange("x" * 4096) for _ in range(8)]
        record.failing_exchange = 5
        records.append(record)
    page, _ = _page(tmp_path, records)
    size = page.stat().st_size
    assert size <= report_html.PAGE_BUDGET * 1.02, size
    dom = parse_dom(page.read_text("utf-8"))
    failures = dom.by_class("failure")
    assert len(failures) == 300
    groups = dom.by_class("failure-group")
    assert len(groups) == len(ids)
    for group in groups:
        first = group.by_class("failure")[0]
        assert first.by_class("failed-here") and first.by_class("curl")
    assert any("report.json has" in f.text for f in failures)


CHANGES_CALL = "errors.no_side_effects:changes-call"
"""The fault that fails the most tests with the most exchanges (130 tests, about 700)."""


@pytest.fixture(scope="module")
def full_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """report.html of two whole-suite runs: the reference server, and a fault failing 130 tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UAPI_")}
    pages = {}
    for name, extra, status in (("passing", [], 0), ("failing", ["--uapi-fault", CHANGES_CALL], 1)):
        where = tmp_path_factory.mktemp(name)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--uapi-url", "embedded", "-q", "-p",
             "no:cacheprovider", "--uapi-report", "out", *extra],
            cwd=where, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == status, done.stdout[-3000:]
        pages[name] = where / "out" / "report.html"
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("name", ["passing", "failing"])
def test_a_full_run_page(full_reports: dict[str, Path], name: str) -> None:
    page = full_reports[name]
    source = page.read_text("utf-8")
    assert page.stat().st_size < 500_000
    assert_self_contained(source)
    geometry = assert_first_screen_decides(page, page.parent, name)
    assert int(geometry["height"]) > 900  # everything below the first screen is detail
    dom = parse_dom(source)
    report = json.loads(page.with_name("report.json").read_text("utf-8"))
    assert len([e for e in dom.by_class("test") if e.tag == "tr"]) == len(report["tests"])
    failed = [t for t in report["tests"] if t["outcome"] == "failed"]
    assert len(dom.by_class("failure")) == len(failed)
    # with ~160 failures, the first failure of each failed requirement shows its message and its
    # one curl line; the others show theirs while the page has room, and say where the rest is
    for group in dom.by_class("failure-group"):
        assert group.by_class("failure")[0].by_class("message")
    shown = len(dom.by_class("message"))
    with_curl = sum(1 for t in failed if t["curl"])
    # a failure without a request of its own (a sequence's oracle step) has no curl line
    assert len(dom.by_class("curl")) <= shown and shown >= min(len(failed), 60)
    assert dom.by_class("curl") or not with_curl
    assert source.count("report.json has it all") >= len(failed) - shown


@pytest.mark.slow
def test_printing_to_pdf_expands_every_failure(full_reports: dict[str, Path]) -> None:
    page = full_reports["failing"]
    pdf = page.with_name("report.pdf")
    run_chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.read_bytes().startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("no pdftotext (apt-get install poppler-utils) to read the PDF back")
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    report = json.loads(page.with_name("report.json").read_text("utf-8"))
    failed = [t for t in report["tests"] if t["outcome"] == "failed"]
    # every failure is printed open: each message and curl line the page holds is on paper
    on_page = page.read_text("utf-8").count('<pre class="curl">')
    assert on_page and text.count("curl -X") == on_page
    # each failure's headline is in its summary line, printed open whatever the page holds
    for test in failed:
        headline = test["message"].splitlines()[0].removeprefix("- ")
        assert headline[:40] in " ".join(text.split()), headline
    assert "NOT CONFORMANT" in text and report["contract_digest"] in text
