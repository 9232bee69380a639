"""``report.html``: the JSON report drawn for people, as one file that works offline.

No template engine and no external asset (a certification report gets mailed and archived):
strings built here, every value through ``html.escape``, inline CSS, and ``<details>`` for the
expandable failures so that nothing needs JavaScript. Colours only repeat what the text says.
Stable ids and classes (``#verdict``, ``#matrix``, ``td.cell.fail``, ``details.failure``,
``pre.curl``) are what the browser test and any scraper rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from ..contract import CATEGORIES
from .verdicts import DEVIATION, FAIL, NOT_TESTED, PASS, WORST_FIRST

FILE_NAME = "report.html"
GENERAL = "general"
"""The matrix row of requirements that belong to no single operation (errors.body, security)."""

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222;
       padding: 0 1em; }
h1 { margin-bottom: .2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
.verdict { font-size: 1.6em; font-weight: 700; padding: .4em .8em; border-radius: 6px;
           display: inline-block; margin: .3em 0; }
.conformant { background: #d4edda; color: #155724; }
.not-conformant { background: #f8d7da; color: #721c24; }
#summary { font-weight: 600; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dl.run dt { font-weight: 600; } dl.run dd { margin: 0; font-family: monospace; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: .35em .7em; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; }
td.cell { text-align: center; min-width: 7em; }
td.cell small { display: block; font-size: .8em; }
.pass { background: #d4edda; color: #155724; }
.fail { background: #f8d7da; color: #721c24; font-weight: 600; }
.expected-deviation { background: #fff3cd; color: #6b5000; }
.not-tested { background: #e2e3e5; color: #383d41; }
.empty { background: #fff; color: #999; }
.legend span { padding: .1em .5em; margin-right: .5em; border-radius: 3px; }
details { border: 1px solid #ccc; border-radius: 4px; margin: .5em 0; padding: .3em .8em; }
details > summary { cursor: pointer; }
details.failure > summary { font-weight: 600; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; white-space: pre-wrap;
      word-break: break-all; font-size: .9em; }
pre.curl { background: #222; color: #eee; }
#requirements table { width: 100%; } #requirements td { overflow-wrap: anywhere; }
#requirements td:first-child, #requirements td:nth-child(5) { white-space: nowrap; }
.problems li { color: #721c24; font-weight: 600; }
footer { margin-top: 3em; color: #777; font-size: .85em; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)


def _operations(requirements: Sequence[Mapping[str, Any]]) -> list[str]:
    """Matrix rows: operations in contract order (order of first mention), then ``general``."""
    rows: list[str] = []
    for r in requirements:
        rows += [op for op in r["operations"] if op not in rows]
    return [*rows, GENERAL]


def _cell(operation: str, category: str, requirements: Sequence[Mapping[str, Any]]) -> str:
    cell_id = f"cell-{_slug(operation)}-{category}"
    if not requirements:
        return f'<td id="{cell_id}" class="cell empty">-</td>'
    verdicts = [r["verdict"] for r in requirements]
    worst = next(v for v in WORST_FIRST if v in verdicts)
    text = f"{verdicts.count(PASS)}/{len(verdicts)} pass"
    others = [
        f"{verdicts.count(v)} {v.replace('-', ' ')}"
        for v in (FAIL, DEVIATION, NOT_TESTED)
        if verdicts.count(v)
    ]
    detail = f"<small>{_e(', '.join(others))}</small>" if others else ""
    ids = " ".join(r["id"] for r in requirements)
    return f'<td id="{cell_id}" class="cell {worst}" title="{_e(ids)}">{_e(text)}{detail}</td>'


def _matrix(requirements: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in CATEGORIES)
    rows = []
    for operation in _operations(requirements):
        cells = []
        for category in CATEGORIES:
            inside = [
                r
                for r in requirements
                if r["category"] == category
                and (operation in r["operations"] or (operation == GENERAL and not r["operations"]))
            ]
            cells.append(_cell(operation, category, inside))
        rows.append(f"<tr><th scope='row'>{_e(operation)}</th>{''.join(cells)}</tr>")
    legend = "".join(
        f'<span class="{v}">{_e(v.replace("-", " "))}</span>'
        for v in (PASS, FAIL, DEVIATION, NOT_TESTED)
    )
    return (
        '<table id="matrix"><thead><tr><th>operation</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="legend">Each cell counts the requirements of that operation and category; '
        f"its colour is the worst verdict among them. {legend}</p>"
    )


def _headers(headers: Mapping[str, str] | None) -> str:
    return "".join(f"{name}: {value}\n" for name, value in (headers or {}).items())


def _exchange(n: int, x: Mapping[str, Any]) -> str:
    request = f"{x['method']} {x['url']}\n{_headers(x['request_headers'])}"
    if x["request_body"] is not None:
        request += f"\n{x['request_body']}"
    if x["status"] is None:
        response = f"no answer: {x['error'] or 'unknown error'}"
    else:
        response = f"{x['status']}\n{_headers(x['response_headers'])}"
        if x["response_body"]:
            response += f"\n{x['response_body']}"
    return (
        f'<div class="exchange"><p>Exchange {n} ({x["elapsed"] * 1000:.0f} ms)</p>'
        f'<pre class="request">{_e(request)}</pre><pre class="response">{_e(response)}</pre></div>'
    )


def _test_details(kind: str, n: int, test: Mapping[str, Any]) -> str:
    ids = ", ".join(test["failed_requirements"]) or "no requirement"
    parts = [
        f'<details class="{kind}" id="{kind}-{n}">',
        f"<summary><code>{_e(test['nodeid'])}</code>: {_e(ids)}</summary>",
    ]
    if test["deviation"]:
        parts.append(f'<p class="reason">Expected deviation: {_e(test["deviation"])}</p>')
    if test["message"]:
        parts.append(f'<pre class="message">{_e(test["message"])}</pre>')
    if test["curl"]:
        parts.append(f'<p>Reproduce with:</p><pre class="curl">{_e(test["curl"])}</pre>')
    exchanges = test["exchanges"]
    if exchanges:
        parts.append(
            f"<details class='exchanges'><summary>All {len(exchanges)} exchanges of the test"
            "</summary>"
            + "".join(_exchange(i, x) for i, x in enumerate(exchanges, 1))
            + "</details>"
        )
    parts.append("</details>")
    return "".join(parts)


def _tests_section(
    section_id: str, title: str, kind: str, tests: Iterable[Mapping[str, Any]]
) -> str:
    tests = list(tests)
    if not tests:
        return ""
    body = "".join(_test_details(kind, n, t) for n, t in enumerate(tests, 1))
    return f'<section id="{section_id}"><h2>{_e(title)} ({len(tests)})</h2>{body}</section>'


def _requirements_table(requirements: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f'<tr id="req-{_slug(r["id"])}"><td><code>{_e(r["id"])}</code></td>'
        f"<td>{_e(r['category'])}</td><td>{_e(r['title'])}</td>"
        f"<td>{_e(r['decision'])}; {_e(r['document'])}: {_e(r['row'])}</td>"
        f'<td class="{_e(r["verdict"])}">{_e(r["verdict"])}</td><td>{len(r["tests"])}</td></tr>'
        for r in requirements
    )
    return (
        '<section id="requirements"><h2>Requirements</h2><table><thead><tr><th>id</th>'
        "<th>category</th><th>requirement</th><th>source</th><th>verdict</th><th>tests</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _run(report: Mapping[str, Any]) -> str:
    items = [
        ("target", report["target"]),
        ("contract profile", report["profile"]),
        ("target profile (roles)", report["roles"]),
        ("seed", report["seed"]),
        ("started", report["started"]),
        ("finished", report["finished"]),
        ("suite version", report["suite_version"]),
        ("contract", f"{report['contract']['name']} v{report['contract']['version']}"),
        ("contract digest", report["contract_digest"]),
        ("expected deviations", report["expectations"]["file"] or "none"),
        ("exit status", report["exit_status"]),
    ]
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<section id="run"><h2>Run</h2><dl class="run">{rows}</dl></section>'


def _categories(report: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{_e(name)}</th>"
        + "".join(f"<td>{report['counts'][name][v]}</td>" for v in (PASS, FAIL, DEVIATION))
        + f"<td>{report['counts'][name][NOT_TESTED]}</td></tr>"
        for name in (*CATEGORIES, "all")
    )
    return (
        '<table id="categories"><thead><tr><th>category</th><th>pass</th><th>fail</th>'
        "<th>expected deviation</th><th>not tested</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render(report: Mapping[str, Any]) -> str:
    verdict = report["verdict"]
    verdict_class = "conformant" if verdict == "CONFORMANT" else "not-conformant"
    problems = report["expectations"]["problems"]
    problem_list = (
        '<section id="problems"><h2>Expectations file problems</h2><ul class="problems">'
        + "".join(f"<li>{_e(p)}</li>" for p in problems)
        + "</ul></section>"
        if problems
        else ""
    )
    tests = report["tests"]
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>UAPI conformance: {_e(verdict)}</title><style>{CSS}</style></head><body>",
            "<header><h1>UAPI conformance report</h1>",
            f'<p id="verdict" class="verdict {verdict_class}">{_e(verdict)}</p>',
            f'<p id="summary">{_e(report["summary"])}</p></header>',
            problem_list,
            '<section id="overview"><h2>Requirements by operation and category</h2>',
            _matrix(report["requirements"]),
            _categories(report),
            "</section>",
            _tests_section(
                "failures", "Failures", "failure", (t for t in tests if t["outcome"] == "failed")
            ),
            _tests_section(
                "deviations",
                "Expected deviations",
                "deviation",
                (t for t in tests if t["outcome"] == DEVIATION),
            ),
            _requirements_table(report["requirements"]),
            _run(report),
            f"<footer>pytest-uapi {_e(report['suite_version'])}</footer></body></html>\n",
        ]
    )


def write(directory: Path, report: Mapping[str, Any]) -> Path:
    path = directory / FILE_NAME
    path.write_text(render(report), encoding="utf-8")
    return path
