"""``report.html``: the JSON report drawn for a certification reviewer, as one offline file.

The first screen decides: the verdict, what was judged (target, profile, date, suite version,
contract digest), the coverage of the documents, and the operation-by-category matrix. Every
detail is one click below it: each matrix cell links to its worst requirement, each requirement
to its tests, each failed test to its failure, whose exchanges are labelled request and response
blocks with their timings.

No template engine and no external asset (a certification report gets mailed and archived):
strings built here, every value through ``html.escape``, inline CSS and a few lines of inline
script for the verdict filter and the search. The page reads fully without the script (the
controls stay hidden) and prints with every failure expanded. Colours only repeat what the text
says. Stable ids and classes (``#verdict``, ``#summary``, ``#matrix``, ``td.cell.fail``,
``details.failure``, ``pre.curl``, ``pre.request``, ``pre.response``, ``tr.req``, ``tr.test``)
are what the browser tests and any scraper rely on.

The page stays under ``PAGE_BUDGET`` bytes whatever the run (report.json keeps everything):
every failed test is listed with its headline, and its message, curl line, exchange list and
exchange headers and bodies are added while they fit, in the order a reviewer reads them (see
``_priority``): the first failure of each failed requirement in full before the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..contract import CATEGORIES
from .expectations import short_id
from .verdicts import DEVIATION, FAIL, NOT_TESTED, PASS, WORST_FIRST

FILE_NAME = "report.html"
GENERAL = "general"
"""The matrix row of requirements that belong to no single operation (errors.body, security)."""
PAGE_BUDGET = 480_000
"""Bytes the page may take; exchange details beyond it are left to report.json."""
MESSAGE_LIMIT = 4000
"""Characters of a failure message shown (the check's own text is far shorter)."""
ATTENTION_LISTED = 6
"""Failed or untested requirements named on the first screen; more are counted."""
LISTED_CARRIERS = 5
"""Tests linked from a requirement that is no test's primary one (errors.body rides on 184)."""
OUTCOME_VERDICT = {
    "passed": PASS,
    "failed": FAIL,
    "expected-deviation": DEVIATION,
    "skipped": NOT_TESTED,
    "xfailed": NOT_TESTED,
    "xpassed": NOT_TESTED,
}
"""Which verdict filter a test falls under: a skip or an xfail proves nothing, like not-tested."""
VERDICT_LABEL = {
    PASS: "pass",
    FAIL: "fail",
    DEVIATION: "expected deviation",
    NOT_TESTED: "not tested",
}

CSS = """
:root { --pass: #1e7b34; --pass-bg: #dcf1e1; --fail: #a1161f; --fail-bg: #fbe0e2;
        --dev: #7a5a00; --dev-bg: #fff1c2; --nt: #4a4f55; --nt-bg: #e6e8eb; --line: #d5d8dc;
        --muted: #5d646b; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
[id] { scroll-margin-top: 52px; }  /* below the sticky bar */
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2125;
       margin: 0 auto; max-width: 1360px; padding: 14px 20px 40px; }
h1 { font-size: 15px; font-weight: 600; color: var(--muted); margin: 0; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 3px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
.panel h2 { font-size: 14px; margin: 0 0 6px; border: 0; padding: 0; color: var(--muted);
            text-transform: uppercase; letter-spacing: .04em; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code { font-size: .92em; }
small, .small { font-size: 12px; color: var(--muted); }
a { color: #0b57a4; }
header#top { display: flex; align-items: center; gap: 18px; margin: 6px 0 14px; }
.verdict { font-size: 26px; font-weight: 800; letter-spacing: .02em; padding: 8px 18px;
           border-radius: 8px; margin: 0; white-space: nowrap; }
.conformant { background: var(--pass-bg); color: var(--pass); border: 2px solid var(--pass); }
.not-conformant { background: var(--fail-bg); color: var(--fail); border: 2px solid var(--fail); }
#summary { font-size: 16px; font-weight: 600; margin: 0 0 2px; }
.headline p { margin: 0; }
#overview { display: grid; grid-template-columns: minmax(0, 1.55fr) minmax(0, 1fr); gap: 18px;
            align-items: start; }
.panel { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f3f4f6; font-weight: 600; }
#matrix th[scope=row] { white-space: nowrap; font-weight: 600; }
#matrix tfoot th, #matrix tfoot td { border-top: 2px solid #9aa0a6; }
td.cell { text-align: center; padding: 0; height: 42px; vertical-align: middle; }
#matrix th[scope=row] { vertical-align: middle; }
td.cell a { display: block; padding: 4px; color: inherit; text-decoration: none; }
td.cell a:hover { outline: 2px solid #0b57a4; outline-offset: -2px; }
td.cell small { display: block; font-size: 11.5px; color: inherit; font-weight: 400; }
td.cell.empty { color: #9aa0a6; vertical-align: middle; }
.pass { background: var(--pass-bg); color: var(--pass); }
.fail { background: var(--fail-bg); color: var(--fail); font-weight: 600; }
.expected-deviation { background: var(--dev-bg); color: var(--dev); }
.not-tested { background: var(--nt-bg); color: var(--nt); }
.empty { background: #fff; }
.legend { margin: 6px 0 0; font-size: 12px; color: var(--muted); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
         font-weight: 600; white-space: nowrap; line-height: 20px; }
dl.run { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 12px;
         margin: 0; }
dl.run dt { color: var(--muted); }
dl.run dd { margin: 0; overflow-wrap: anywhere; }
dl.run dd.mono { font-size: 12.5px; }
#attention { margin-top: 14px; }
#attention ul { margin: 4px 0 0; padding-left: 0; list-style: none; }
#attention li { margin-bottom: 3px; overflow: hidden; text-overflow: ellipsis;
               white-space: nowrap; }
#attention li .why { white-space: normal; margin-left: 4px; }
nav#toc { position: sticky; top: 0; z-index: 2; background: #fff; display: flex;
          flex-wrap: wrap; align-items: center; gap: 6px 16px; padding: 8px 0;
          margin-top: 14px; border-bottom: 1px solid var(--line); }
nav#toc .links a { margin-right: 12px; }
#controls { display: flex; align-items: center; gap: 6px; margin-left: auto; }
#controls button { font: inherit; font-size: 12.5px; padding: 2px 9px; border-radius: 12px;
                   border: 1px solid #aab; background: #fff; cursor: pointer; }
#controls button[aria-pressed=true] { background: #1d2125; color: #fff; border-color: #1d2125; }
#controls input { font: inherit; padding: 3px 8px; width: 15em; border: 1px solid #aab;
                  border-radius: 4px; }
#shown { color: var(--muted); font-size: 12.5px; min-width: 15em; }
.group-head th { background: #eef1f5; font-size: 14px; }
.group-head small { font-weight: 400; margin-left: 8px; }
tr.req td:first-child, tr.test td:first-child { width: 8.5em; }
tr.req .title { display: block; }
tr.req small.ref { display: block; margin-top: 1px; }
tr.req td.tests { width: 17em; }
details.tests > summary { cursor: pointer; white-space: nowrap; }
details.tests ul { margin: 4px 0 0; padding-left: 16px; font-size: 12.5px; }
#tests td { padding: 2px 8px; }
#tests td.dur, #tests td.num { text-align: right; white-space: nowrap; width: 6em; }
#tests td.name code { font-size: 12.5px; }
#tests td.reqs { width: 26em; }
.why { display: block; }
.failure-group { margin: 14px 0; }
.failure-group > h3 small { font-weight: 400; }
details.failure, details.deviation { border: 1px solid var(--line); border-left: 4px solid
          var(--fail); border-radius: 4px; margin: 6px 0; padding: 4px 10px; }
details.deviation { border-left-color: var(--dev); }
details > summary { cursor: pointer; }
details.failure > summary, details.deviation > summary { padding: 2px 0; }
.failure .body, .deviation .body { padding: 4px 0 6px; }
.label { font-weight: 600; font-size: 12.5px; margin: 8px 0 2px; color: var(--muted);
         text-transform: uppercase; letter-spacing: .04em; }
pre { background: #f5f6f8; padding: 7px 9px; margin: 0; white-space: pre-wrap;
      overflow-wrap: anywhere; font-size: 12.5px; border-radius: 4px; }
pre.curl { background: #1d2125; color: #e8eaed; }
ol.exchanges { margin: 2px 0 0; padding-left: 4px; list-style: none; }
ol.exchanges > li { margin: 3px 0; font-size: 13px; }
ol.exchanges .line { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
.failed-here > summary .line { font-weight: 700; }
.here { color: var(--fail); font-weight: 700; font-family: system-ui, sans-serif; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px;
        margin: 4px 0 8px; }
.pair h4 { margin: 0 0 2px; font-size: 12.5px; }
.pair h4 small { font-weight: 400; }
.note { font-size: 12.5px; color: var(--muted); }
.problems li { color: var(--fail); font-weight: 600; }
#environment .columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr);
                        gap: 18px; align-items: start; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@media (max-width: 900px) { #overview, .pair { grid-template-columns: 1fr; } }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav#toc, #controls { display: none !important; }
  /* a printed failure is an expanded failure: paper has no disclosure triangle */
  details.failure::details-content, details.deviation::details-content,
  details.failure-group::details-content { content-visibility: visible; display: block; }
  details.failure > summary, details.deviation > summary { list-style: none; }
  details.failure > summary::-webkit-details-marker { display: none; }
  details.failure, details.deviation { break-inside: auto; }
  .pair > div, tr, .failure-group > h3, h2, h3 { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .pair { grid-template-columns: 1fr 1fr; }
}
"""

SCRIPT = """
(function () {
  var controls = document.getElementById('controls');
  var rows = Array.prototype.slice.call(document.querySelectorAll('[data-verdict]'));
  var groups = document.querySelectorAll('[data-group]');
  var shown = document.getElementById('shown');
  var verdict = 'all', query = '';
  function apply() {
    var seen = {req: 0, test: 0}, total = {req: 0, test: 0};
    rows.forEach(function (row) {
      var text = (row.textContent + ' ' + (row.dataset.also || '')).toLowerCase();
      var ok = (verdict === 'all' || row.dataset.verdict === verdict) &&
        (!query || text.indexOf(query) >= 0);
      row.hidden = !ok;
      var kind = row.classList.contains('req') ? 'req' : '';
      kind = row.classList.contains('test') ? 'test' : kind;
      if (kind) { total[kind]++; if (ok) seen[kind]++; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector('[data-verdict]:not([hidden])'); });
    shown.textContent = seen.req + '/' + total.req + ' requirements, ' +
      seen.test + '/' + total.test + ' tests';
  }
  controls.addEventListener('click', function (event) {
    var button = event.target.closest('button');
    if (!button) return;
    verdict = button.value;
    controls.querySelectorAll('button').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b === button));
    });
    apply();
  });
  var search = document.getElementById('search');
  search.addEventListener('input', function () {
    query = search.value.trim().toLowerCase();
    apply();
  });
  document.addEventListener('click', function (event) {
    var link = event.target.closest('[data-search]');
    if (!link) return;
    search.value = link.dataset.search;
    query = search.value.toLowerCase();
    apply();
  });
  controls.hidden = false;
  apply();
})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _label(verdict: str) -> str:
    return VERDICT_LABEL.get(verdict, verdict)


def _badge(verdict: str, text: str | None = None) -> str:
    return f'<span class="badge {_e(verdict)}">{_e(text or _label(verdict))}</span>'


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:,.0f} ms"


def _when(stamp: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    zone = "UTC" if moment.utcoffset() == dt.timedelta(0) else moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}"


def _duration(started: str, finished: str) -> str:
    try:
        seconds = (
            dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)
        ).total_seconds()
    except (TypeError, ValueError):
        return ""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


# --- the index every link resolves through ---


@dataclass
class Page:
    """Anchors shared by every section, so a link always lands on something that exists."""

    report: Mapping[str, Any]
    test_anchor: dict[str, str] = field(default_factory=dict)
    """nodeid → ``t-N`` (its row in the tests table)."""
    failure_anchor: dict[str, str] = field(default_factory=dict)
    """nodeid → ``failure-N`` / ``deviation-N`` (its expanded entry)."""
    shown: set[tuple[str, int, int]] = field(default_factory=set)
    """What of each failed test is on the page: ("message", test, 0), ("exchanges", test, 0),
    ("detail", test, exchange); tests are indexes in ``report["tests"]``."""
    outcomes: dict[str, str] = field(default_factory=dict)
    skip_reasons: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n, test in enumerate(self.report["tests"], 1):
            self.test_anchor[test["nodeid"]] = f"t-{n}"
            self.outcomes[test["nodeid"]] = test["outcome"]
            if test["outcome"] == "skipped" and test["message"]:
                self.skip_reasons[test["nodeid"]] = test["message"]

    def why_untested(self, requirement: Mapping[str, Any]) -> str:
        """The skip reasons of a not-tested requirement's tests, each once."""
        reasons = dict.fromkeys(
            self.skip_reasons[n].removeprefix("Skipped: ")
            for n in requirement["tests"]
            if n in self.skip_reasons
        )
        if not reasons:
            return ""
        return "skipped: " + "; ".join(list(reasons)[:2]) + (" …" if len(reasons) > 2 else "")


def _test_name(nodeid: str) -> str:
    return short_id(nodeid)


def _test_link(page: Page, nodeid: str, text: str | None = None, bare: bool = False) -> str:
    anchor = page.test_anchor.get(nodeid)
    label = _e(text or _test_name(nodeid))
    if not bare:
        label = f"<code>{label}</code>"
    return f'<a href="#{anchor}">{label}</a>' if anchor else label


# --- the first screen ---


def _operations(requirements: Sequence[Mapping[str, Any]]) -> list[str]:
    """Matrix rows: operations in contract order (order of first mention), then ``general``."""
    rows: list[str] = []
    for r in requirements:
        rows += [op for op in r["operations"] if op not in rows]
    return [*rows, GENERAL]


def _in_row(requirement: Mapping[str, Any], operation: str) -> bool:
    ops = requirement["operations"]
    return operation in ops or (operation == GENERAL and not ops)


def _cell_text(verdicts: Sequence[str]) -> tuple[str, str]:
    text = f"{verdicts.count(PASS)}/{len(verdicts)} pass"
    others = [
        f"{verdicts.count(v)} {_label(v)}"
        for v in (FAIL, DEVIATION, NOT_TESTED)
        if verdicts.count(v)
    ]
    return text, ", ".join(others)


def _cell(cell_id: str, requirements: Sequence[Mapping[str, Any]]) -> str:
    if not requirements:
        return f'<td id="{cell_id}" class="cell empty">-</td>'
    verdicts = [r["verdict"] for r in requirements]
    worst = next(v for v in WORST_FIRST if v in verdicts)
    text, others = _cell_text(verdicts)
    detail = f"<small>{_e(others)}</small>" if others else ""
    ids = " ".join(r["id"] for r in requirements)
    # the link lands on the requirement that decided the cell's colour
    target = next(r["id"] for r in requirements if r["verdict"] == worst)
    return (
        f'<td id="{cell_id}" class="cell {worst}" title="{_e(ids)}">'
        f'<a href="#req-{_slug(target)}">{_e(text)}{detail}</a></td>'
    )


def _matrix(report: Mapping[str, Any]) -> str:
    requirements = report["requirements"]
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in CATEGORIES)
    rows = []
    for operation in _operations(requirements):
        cells = "".join(
            _cell(
                f"cell-{_slug(operation)}-{category}",
                [r for r in requirements if r["category"] == category and _in_row(r, operation)],
            )
            for category in CATEGORIES
        )
        rows.append(f"<tr><th scope='row'>{_e(operation)}</th>{cells}</tr>")
    totals = "".join(
        _cell(f"cell-all-{category}", [r for r in requirements if r["category"] == category])
        for category in CATEGORIES
    )
    legend = " ".join(_badge(v) for v in (PASS, FAIL, DEVIATION, NOT_TESTED))
    return (
        '<table id="matrix"><thead><tr><th>operation</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        f'<tfoot id="categories"><tr><th scope="row">all</th>{totals}</tr></tfoot></table>'
        '<p class="legend">A cell counts the requirements of an operation and category (one of '
        "several operations counts in each; the last row counts each once), coloured by the "
        f"worst verdict among them. {legend}</p>"
    )


def _facts(report: Mapping[str, Any]) -> str:
    contract = report["contract"]
    started, finished = report["started"], report["finished"]
    took = _duration(started, finished)
    coverage = report["coverage"]
    items = [
        ("target", f"<code>{_e(report['target'])}</code>", ""),
        ("contract profile", _e(report["profile"]), ""),
        ("target profile", _e(report["roles"]), ""),
        ("date", _e(_when(started)) + (f" <small>({_e(took)})</small>" if took else ""), ""),
        ("suite version", f"pytest-uapi {_e(report['suite_version'])}", ""),
        ("contract", f"{_e(contract['name'])} v{_e(contract['version'])}", ""),
        ("contract digest", _e(report["contract_digest"]), "mono"),
        ("coverage", _e(coverage["line"]), ""),
        ("seed", f"{_e(report['seed'])} <small>(--uapi-seed reproduces the run)</small>", ""),
        ("expected deviations", _e(report["expectations"]["file"] or "none"), ""),
        (
            "exit status",
            f"<strong>{_e(report['exit_status'])}</strong>"
            + (f" — {_e(report['exit_reason'])}" if report["exit_reason"] else ""),
            "",
        ),
    ]
    rows = "".join(
        f"<dt>{_e(k)}</dt><dd{' class=' + repr(c) if c else ''}>{v}</dd>" for k, v, c in items
    )
    return f'<dl id="run" class="run">{rows}</dl>'


def _attention(report: Mapping[str, Any], page: Page) -> str:
    """The requirements a reviewer has to look at, named on the first screen."""
    requirements = report["requirements"]
    items = []
    for verdict in (FAIL, DEVIATION, NOT_TESTED):
        inside = [r for r in requirements if r["verdict"] == verdict]
        if not inside or (verdict == NOT_TESTED and len(inside) > ATTENTION_LISTED * 2):
            continue
        for r in inside[:ATTENTION_LISTED]:
            why = page.why_untested(r) if verdict == NOT_TESTED else ""
            items.append(
                f"<li title='{_e(r['id'])}'>{_badge(verdict)} "
                f"<a href='#req-{_slug(r['id'])}'>{_e(r['title'])}</a>"
                + (f"<small class='why'>{_e(why)}</small>" if why else "")
                + "</li>"
            )
        if len(inside) > ATTENTION_LISTED:
            items.append(
                f"<li><small>and {len(inside) - ATTENTION_LISTED} more {_e(_label(verdict))}"
                "</small></li>"
            )
    if not items:
        return ""
    untested = [r for r in requirements if r["verdict"] == NOT_TESTED]
    note = (
        f"<p class='note'>{len(untested)} requirements not tested: "
        "<a href='#requirements'>the requirements table</a> lists them.</p>"
        if len(untested) > ATTENTION_LISTED * 2
        else ""
    )
    return f'<div id="attention"><h2>Needs attention</h2><ul>{"".join(items)}</ul>{note}</div>'


def _first_screen(report: Mapping[str, Any], page: Page) -> str:
    verdict = report["verdict"]
    verdict_class = "conformant" if verdict == "CONFORMANT" else "not-conformant"
    contract = report["contract"]
    return "".join(
        [
            '<header id="top">',
            f'<p id="verdict" class="verdict {verdict_class}">{_e(verdict)}</p>',
            '<div class="headline">',
            f"<h1>UAPI conformance report: {_e(contract['name'])}</h1>",
            f'<p id="summary">{_e(report["summary"])}</p>',
            f'<p id="coverage" class="small">{_e(report["coverage"]["line"])} · target '
            f"<code>{_e(report['target'])}</code> · {_e(_when(report['started']))}</p>",
            "</div></header>",
            '<section id="overview">',
            '<div class="panel"><h2>Requirements by operation and category</h2>',
            _matrix(report),
            "</div>",
            f'<div class="panel"><h2>Run</h2>{_facts(report)}{_attention(report, page)}</div>',
            "</section>",
        ]
    )


def _toc(report: Mapping[str, Any]) -> str:
    tests = report["tests"]
    failed = sum(t["outcome"] == "failed" for t in tests)
    deviations = sum(t["outcome"] == DEVIATION for t in tests)
    links = [
        (f"Failures ({failed})", "#failures") if failed else None,
        (f"Expected deviations ({deviations})", "#deviations") if deviations else None,
        (f"Requirements ({len(report['requirements'])})", "#requirements"),
        (f"Tests ({len(tests)})", "#tests"),
        ("Environment", "#environment"),
    ]
    anchors = "".join(f'<a href="{h}">{_e(t)}</a>' for item in links if item for t, h in [item])
    buttons = "".join(
        f'<button type="button" value="{v}" aria-pressed="{str(v == "all").lower()}">'
        f"{_e(label)}</button>"
        for v, label in (
            ("all", "all"),
            (FAIL, "fail"),
            (DEVIATION, "expected deviation"),
            (NOT_TESTED, "not tested"),
            (PASS, "pass"),
        )
    )
    # hidden until the script runs: without it, nothing on the page pretends to filter
    return (
        f'<nav id="toc"><span class="links">{anchors}</span>'
        f'<div id="controls" hidden role="search">{buttons}'
        '<input type="search" id="search" placeholder="search ids, titles, tests" '
        'aria-label="search requirements and tests"><span id="shown"></span></div></nav>'
    )


# --- failures ---


def _headers(headers: Mapping[str, str] | None) -> str:
    return "".join(f"{name}: {value}\n" for name, value in (headers or {}).items())


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme:
        return url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _exchange_line(n: int, x: Mapping[str, Any]) -> str:
    answer = (
        f"{x['status']}"
        if x["status"] is not None
        else f"no answer ({x['error'] or 'unknown error'})"
    )
    return f"{n}. {x['method']} {_path_of(x['url'])} → {answer} · {_ms(x['elapsed'])}"


def _exchange_detail(x: Mapping[str, Any]) -> str:
    request = f"{x['method']} {x['url']}\n{_headers(x['request_headers'])}"
    if x["request_body"] is not None:
        request += f"\n{x['request_body']}"
    if x["status"] is None:
        response = f"no answer: {x['error'] or 'unknown error'}"
        status = "no answer"
    else:
        response = f"HTTP {x['status']}\n{_headers(x['response_headers'])}"
        if x["response_body"]:
            response += f"\n{x['response_body']}"
        status = str(x["status"])
    return (
        '<div class="pair">'
        f'<div><h4>Request <small>sent</small></h4><pre class="request">{_e(request)}</pre></div>'
        f"<div><h4>Response <small>{_e(status)} after {_e(_ms(x['elapsed']))}</small></h4>"
        f'<pre class="response">{_e(response)}</pre></div></div>'
    )


def _exchanges(page: Page, index: int, test: Mapping[str, Any]) -> str:
    exchanges = test["exchanges"]
    if not exchanges or ("exchanges", index, 0) not in page.shown:
        return ""
    failing = test.get("failing_exchange")
    items = []
    left_out = 0
    for i, x in enumerate(exchanges):
        line = f'<span class="line">{_e(_exchange_line(i + 1, x))}</span>'
        here = ' <span class="here">← the failure</span>' if i == failing else ""
        if ("detail", index, i) in page.shown:
            attrs = ' class="exchange failed-here" open' if i == failing else ' class="exchange"'
            items.append(
                f"<li><details{attrs}><summary>{line}{here}</summary>"
                f"{_exchange_detail(x)}</details></li>"
            )
        else:
            left_out += 1
            items.append(f'<li class="exchange brief">{line}{here}</li>')
    note = (
        f'<p class="note">Headers and bodies of {_plural(left_out, "exchange")} are left out '
        "to keep this page small; report.json has every one.</p>"
        if left_out
        else ""
    )
    return (
        f'<p class="label">Exchanges ({len(exchanges)})</p>'
        f'<ol class="exchanges">{"".join(items)}</ol>{note}'
    )


def _message(test: Mapping[str, Any]) -> str:
    """The failure as the terminal shows it, without its curl paragraph: the page shows the
    curl line once, under its own label."""
    text = test["message"] or ""
    marker = "\nReproduce with:"
    if test["curl"] and marker in text:
        text = text[: text.rindex(marker)].rstrip()
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + "\n… (cut here; report.json has the whole message)"
    return text


def _headline(test: Mapping[str, Any]) -> str:
    """The failure's title: the check's own first line, or the exception's."""
    for line in (test["message"] or "").splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("- ")[:160]
    return ""


def _failure(
    page: Page, kind: str, n: int, index: int, test: Mapping[str, Any], opened: bool
) -> str:
    anchor = f"{kind}-{n}"
    verdict = FAIL if kind == "failure" else DEVIATION
    headline = _headline(test)
    parts = [
        f'<details class="{kind}" id="{anchor}" data-verdict="{verdict}"'
        f"{' open' if opened else ''}>",
        f"<summary>{_badge(verdict, 'failed' if kind == 'failure' else 'expected deviation')} "
        f"<code>{_e(_test_name(test['nodeid']))}</code>"
        + (f" — {_e(headline)}" if headline else "")
        + f" <small>{_e(_ms(test['duration']))}</small></summary>",
        '<div class="body">',
    ]
    if len(test["failed_requirements"]) > 1:
        # its group names the first; the others would otherwise go unsaid here
        parts.append(
            "<p class='small'>Also fails "
            + ", ".join(
                f"<a href='#req-{_slug(rid)}'><code>{_e(rid)}</code></a>"
                for rid in test["failed_requirements"][1:]
            )
            + "</p>"
        )
    if test["deviation"]:
        parts.append(f'<p class="reason">Expected deviation: {_e(test["deviation"])}</p>')
    if ("message", index, 0) in page.shown:
        parts.append(_message_block(test))
    parts.append(_exchanges(page, index, test))
    if ("message", index, 0) not in page.shown or (
        test["exchanges"] and ("exchanges", index, 0) not in page.shown
    ):
        parts.append('<p class="note">Left out to keep the page small: report.json has it all.</p>')
    parts.append("</div></details>")
    return "".join(parts)


def _message_block(test: Mapping[str, Any]) -> str:
    parts = []
    message = _message(test)
    if message:
        parts.append(f'<p class="label">Failure</p><pre class="message">{_e(message)}</pre>')
    if test["curl"]:
        parts.append(f'<p class="label">Reproduce</p><pre class="curl">{_e(test["curl"])}</pre>')
    return "".join(parts)


def _grouped(
    report: Mapping[str, Any], outcome: str
) -> list[tuple[Mapping[str, Any] | None, list[tuple[int, Mapping[str, Any]]]]]:
    """Tests with ``outcome``, grouped under the first requirement their failure names (contract
    order), with their index in ``report['tests']``."""
    by_id = {r["id"]: r for r in report["requirements"]}
    groups: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for index, test in enumerate(report["tests"]):
        if test["outcome"] == outcome:
            key = next((i for i in test["failed_requirements"] if i in by_id), "")
            groups.setdefault(key, []).append((index, test))
    order = [r["id"] for r in report["requirements"]] + [""]
    return [(by_id.get(key), groups[key]) for key in order if key in groups]


def _failures_section(page: Page, section_id: str, title: str, kind: str, outcome: str) -> str:
    groups = _grouped(page.report, outcome)
    if not groups:
        return ""
    parts = []
    count = 0
    for requirement, tests in groups:
        if requirement is not None:
            heading = (
                f"<a href='#req-{_slug(requirement['id'])}'>{_e(requirement['title'])}</a> "
                f"<small><code>{_e(requirement['id'])}</code> · {_e(requirement['source'])} · "
                f"{_plural(len(tests), 'test')}</small>"
            )
        else:
            heading = f"Failures naming no requirement <small>{_plural(len(tests), 'test')}</small>"
        entries = []
        for position, (index, test) in enumerate(tests):
            count += 1
            page.failure_anchor[test["nodeid"]] = f"{kind}-{count}"
            # the first failure of each requirement is open: it shows what went wrong
            entries.append(_failure(page, kind, count, index, test, opened=position == 0))
        parts.append(
            f'<div class="failure-group" data-group="{kind}"><h3>{heading}</h3>'
            f"{''.join(entries)}</div>"
        )
    return f'<section id="{section_id}"><h2>{_e(title)} ({count})</h2>{"".join(parts)}</section>'


# --- requirements and tests ---


def _group_summary(rows: Sequence[Mapping[str, Any]]) -> str:
    verdicts = [r["verdict"] for r in rows]
    text, others = _cell_text(verdicts)
    return f"{_plural(len(rows), 'requirement')}: {text}" + (f", {others}" if others else "")


def _tests_of(page: Page, requirement: Mapping[str, Any], own: set[str]) -> str:
    """Links to the tests that are for this requirement (their primary one) or whose failure
    names it; the tests that only carry it as well are counted (errors.body rides on every error
    test) and found by searching for its id."""
    tests = requirement["tests"]
    if not tests:
        return "<small>no test selected</small>"
    tally: dict[str, int] = {}
    for nodeid in tests:
        outcome = page.outcomes.get(nodeid, "not run")
        tally[outcome] = tally.get(outcome, 0) + 1
    said = ", ".join(f"{count} {outcome}" for outcome, count in tally.items())
    listed = [nodeid for nodeid in tests if nodeid in own] or list(tests[:LISTED_CARRIERS])
    items = "".join(
        f"<li>{_test_link(page, nodeid, bare=True)}"
        + (
            f" {_e(page.outcomes[nodeid])}"
            if page.outcomes.get(nodeid, "passed") != "passed"
            else ""
        )
        + "</li>"
        for nodeid in listed
    )
    also = len(tests) - len(listed)
    if also:
        items += (
            f"<li class='also'><a href='#tests' data-search='{_e(requirement['id'])}'>and "
            f"{_plural(also, 'other test')} carrying it</a> (the tests table names it)</li>"
        )
    return (
        f'<details class="tests"><summary>{_plural(len(tests), "test")} '
        f"<small>{_e(said)}</small></summary><ul>{items}</ul></details>"
    )


def _requirements_section(page: Page) -> str:
    requirements = page.report["requirements"]
    own: dict[str, set[str]] = {}
    for test in page.report["tests"]:
        for rid in [*test["requirements"][:1], *test["failed_requirements"]]:
            own.setdefault(rid, set()).add(test["nodeid"])
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in requirements:
        # each requirement once, under its first operation; the matrix counts it in each
        groups.setdefault(r["operations"][0] if r["operations"] else GENERAL, []).append(r)
    bodies = []
    for operation in _operations(requirements):
        rows = groups.get(operation, [])
        if not rows:
            continue
        lines = "".join(
            f'<tr id="req-{_slug(r["id"])}" class="req" data-verdict="{_e(r["verdict"])}">'
            f"<td>{_badge(r['verdict'])}</td>"
            f"<td><span class='title'>{_e(r['title'])}</span>"
            f"<small class='ref'><code>{_e(r['id'])}</code> · {_e(r['source'])}"
            + (f" · also {_e(', '.join(r['operations'][1:]))}" if len(r["operations"]) > 1 else "")
            + "</small>"
            + (
                f"<small class='why'>{_e(page.why_untested(r))}</small>"
                if r["verdict"] == NOT_TESTED and page.why_untested(r)
                else ""
            )
            + "</td>"
            f"<td>{_e(r['category'])}</td>"
            f"<td class='tests'>{_tests_of(page, r, own.get(r['id'], set()))}</td></tr>"
            for r in rows
        )
        bodies.append(
            f'<tbody id="op-{_slug(operation)}" data-group="requirements">'
            f'<tr class="group-head"><th colspan="4">{_e(operation)}'
            f"<small>{_e(_group_summary(rows))}</small></th></tr>{lines}</tbody>"
        )
    return (
        '<section id="requirements"><h2>Requirements</h2>'
        "<table><thead><tr><th>verdict</th><th>requirement <small>id · decision; document: "
        "row</small></th><th>category</th><th>tests</th></tr></thead>"
        f"{''.join(bodies)}</table></section>"
    )


def _test_row(page: Page, test: Mapping[str, Any]) -> str:
    outcome = test["outcome"]
    verdict = OUTCOME_VERDICT.get(outcome, NOT_TESTED)
    nodeid = test["nodeid"]
    name = f"<code>{_e(nodeid.partition('::')[2] or nodeid)}</code>"
    failure = page.failure_anchor.get(nodeid)
    if failure:
        name = f'<a href="#{failure}">{name}</a>'
    if outcome in ("skipped", "xfailed", "xpassed") and test["message"]:
        name += f"<small class='why'>{_e(test['message'])}</small>"
    requirements = test["requirements"]
    primary = (
        f"<a href='#req-{_slug(requirements[0])}'><code>{_e(requirements[0])}</code></a>"
        if requirements
        else "<small>none</small>"
    )
    also = ""
    if len(requirements) > 1:
        others = " ".join(requirements[1:])
        primary += f" <small title='{_e(others)}'>+{len(requirements) - 1}</small>"
        # searched by the script like the row's text: errors.body finds every test carrying it
        also = f' data-also="{_e(others)}"'
    return (
        f'<tr id="{page.test_anchor[nodeid]}" class="test" data-verdict="{verdict}"{also}>'
        f"<td>{_badge(verdict, outcome.replace('-', ' '))}</td>"
        f'<td class="name">{name}</td><td class="reqs">{primary}</td>'
        f'<td class="dur">{_e(_ms(test["duration"]))}</td>'
        f'<td class="num">{len(test["exchanges"])}</td></tr>'
    )


def _tests_section(page: Page) -> str:
    """Every test, grouped by file (in run order), one line each."""
    tests = page.report["tests"]
    files: dict[str, list[Mapping[str, Any]]] = {}
    for test in tests:
        files.setdefault(_test_name(test["nodeid"]).partition("::")[0], []).append(test)
    bodies = []
    for name, inside in files.items():
        outcomes: dict[str, int] = {}
        for test in inside:
            outcomes[test["outcome"]] = outcomes.get(test["outcome"], 0) + 1
        said = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())
        took = sum(t["duration"] for t in inside)
        bodies.append(
            f'<tbody data-group="tests"><tr class="group-head"><th colspan="5">{_e(name)}'
            f"<small>{_e(said)} · {took:.1f} s</small></th></tr>"
            + "".join(_test_row(page, t) for t in inside)
            + "</tbody>"
        )
    total = sum(t["duration"] for t in tests)
    return (
        f'<section id="tests"><h2>Tests ({len(tests)}) <small>{_e(f"{total:.1f}")} s in '
        "total</small></h2><table><thead><tr><th>outcome</th><th>test</th>"
        "<th>requirement <small>(primary, + the others it carries)</small></th>"
        "<th>duration</th><th>exchanges</th></tr></thead>"
        f"{''.join(bodies)}</table></section>"
    )


def _environment_section(report: Mapping[str, Any]) -> str:
    env = report["environment"]
    software = [("Python", env["python"]), ("platform", env["platform"])] + [
        (name, version if version is not None else "not installed")
        for name, version in env["packages"].items()
    ]
    soft_rows = "".join(
        f"<tr><th scope='row'>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in software
    )
    option_rows = "".join(
        f"<tr><td><code>{_e(o['option'])}</code></td>"
        f"<td>{_e(o['value']) if o['value'] else '<small>-</small>'}</td>"
        f"<td>{_e(o['source'])}</td></tr>"
        for o in env["options"]
    )
    options = (
        "<div><h3>Options</h3><table><thead><tr><th>option</th><th>value</th><th>from</th>"
        f"</tr></thead><tbody>{option_rows}</tbody></table>"
        '<p class="note">Tokens and secrets are never shown. "from" says where each value came '
        "from: the command line (option), the environment (env), the ini file, the target "
        "profile, or the default.</p></div>"
        if option_rows
        else ""
    )
    return (
        '<section id="environment"><h2>Environment</h2><div class="columns">'
        f"<div><h3>Software</h3><table><tbody>{soft_rows}</tbody></table></div>{options}"
        "</div></section>"
    )


def _problems(report: Mapping[str, Any]) -> str:
    problems = report["expectations"]["problems"]
    if not problems:
        return ""
    return (
        '<section id="problems"><h2>Expectations file problems</h2><ul class="problems">'
        + "".join(f"<li>{_e(p)}</li>" for p in problems)
        + "</ul></section>"
    )


# --- the page, within its budget ---


def _page(page: Page) -> str:
    report = page.report
    page.failure_anchor.clear()
    failures = _failures_section(page, "failures", "Failures", "failure", "failed")
    deviations = _failures_section(
        page, "deviations", "Expected deviations", "deviation", DEVIATION
    )
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>UAPI conformance: {_e(report['verdict'])} · {_e(report['target'])}</title>",
            f"<style>{CSS}</style></head><body>",
            _first_screen(report, page),
            _toc(report),
            _problems(report),
            failures,
            deviations,
            _requirements_section(page),
            _tests_section(page),
            _environment_section(report),
            f"<footer>pytest-uapi {_e(report['suite_version'])} · contract digest "
            f"<span class='mono'>{_e(report['contract_digest'])}</span> · report.json beside "
            "this file holds every exchange</footer>",
            f"<script>{SCRIPT}</script></body></html>\n",
        ]
    )


def _priority(report: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """The parts of failed tests in the order they earn a place on the page: the first failure
    of each requirement in full (message, exchange list, the failing exchange's headers and
    bodies), then every other failure's message, then their exchange lists, then their failing
    exchanges, then the remaining exchanges' headers and bodies."""
    firsts: list[int] = []
    others: list[int] = []
    for outcome in ("failed", DEVIATION):
        for _, tests in _grouped(report, outcome):
            firsts.append(tests[0][0])
            others += [index for index, _ in tests[1:]]
    tests = report["tests"]

    def failing(indexes: list[int]) -> list[tuple[str, int, int]]:
        return [
            ("detail", i, tests[i]["failing_exchange"])
            for i in indexes
            if tests[i].get("failing_exchange") is not None
        ]

    def head(indexes: list[int], *parts: str) -> list[tuple[str, int, int]]:
        return [(part, i, 0) for i in indexes for part in parts]

    rest = [
        ("detail", i, x)
        for i in firsts + others
        for x in range(len(tests[i]["exchanges"]))
        if x != tests[i].get("failing_exchange")
    ]
    return (
        head(firsts, "message", "exchanges")
        + failing(firsts)
        + head(others, "message")
        + head(others, "exchanges")
        + failing(others)
        + rest
    )


def _cost(report: Mapping[str, Any], part: tuple[str, int, int]) -> int:
    kind, index, x = part
    test = report["tests"][index]
    if kind == "message":
        html = _message_block(test)
    elif kind == "exchanges":
        html = "".join(
            f'<li class="exchange brief"><span class="line">{_e(_exchange_line(i + 1, e))}'
            "</span></li>"
            for i, e in enumerate(test["exchanges"])
        )
    else:
        html = _exchange_detail(test["exchanges"][x])
    # plus the wrappers and labels around it
    return len(html.encode("utf-8")) + 80


def render(report: Mapping[str, Any], budget: int = PAGE_BUDGET) -> str:
    page = Page(report)
    left = budget - len(_page(page).encode("utf-8"))
    for part in _priority(report):
        kind, index, _ = part
        if kind == "detail" and ("exchanges", index, 0) not in page.shown:
            continue  # a detail lives in the exchange list
        cost = _cost(report, part)
        if cost <= left:
            page.shown.add(part)
            left -= cost
    return _page(page)


def write(directory: Path, report: Mapping[str, Any]) -> Path:
    path = directory / FILE_NAME
    path.write_text(render(report), encoding="utf-8")
    return path
