"""The blank ROI calculator checklist: the template a practitioner fills in before a programme
starts, so that each Phillips step can be met when the results come in.

It is built from `learnledger.impact.checklist.CHECKLIST_ITEMS`, the same items the filled
checklist of a programme checks against its data, as Markdown, CSV (one row per item, empty
columns to fill in a spreadsheet) and a printable HTML page (A4, no external assets).
"""

from __future__ import annotations

import csv
import html
import io

from learnledger.impact.checklist import CHECKLIST_ITEMS

#: What the practitioner writes down per item (the blank columns).
FILL_IN = ("Plan", "Data source and owner", "Due by", "Status")
#: What the practitioner writes down once, at the top.
HEADER_FIELDS = ("Programme", "Programme owner", "Business need", "Planned start", "Filled in by")
_TITLE = "ROI calculator checklist (to fill in before the programme)"
_INTRO = (
    "Fill in one line per step before the programme starts. After it runs, LearnLedger checks "
    "each step against your data: the programme page and `learnledger impact checklist` show "
    "which are done, partial or missing."
)


def blank_checklist_markdown() -> str:
    """The blank checklist as Markdown: fields to fill at the top, then each step with its
    question, what to prepare and blank lines."""
    lines = [f"# {_TITLE}", "", _INTRO, ""]
    lines += [f"- **{name}:** ____________________" for name in HEADER_FIELDS]
    lines.append("")
    for number, item in enumerate(CHECKLIST_ITEMS, start=1):
        lines += [f"## {number}. {item.step}", "", f"- [ ] {item.question}", ""]
        lines += [f"  _Prepare:_ {item.prepare}", ""]
        lines += [f"  - {name}: ____________________" for name in FILL_IN]
        lines.append("")
    return "\n".join(lines)


def blank_checklist_csv() -> str:
    """The blank checklist as CSV: one row per step, the fill-in columns empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["number", "step", "question", "prepare", *FILL_IN])
    for number, item in enumerate(CHECKLIST_ITEMS, start=1):
        writer.writerow([number, item.step, item.question, item.prepare, *([""] * len(FILL_IN))])
    return buffer.getvalue()


def blank_checklist_html() -> str:
    """The blank checklist as a self-contained printable HTML page (A4, one table)."""
    header = "".join(
        f"<div class='field'><span>{html.escape(name)}</span><span class='line'></span></div>"
        for name in HEADER_FIELDS
    )
    heads = "".join(f"<th class='fill'>{html.escape(name)}</th>" for name in FILL_IN)
    rows = "\n".join(
        f"<tr><td class='n'>{number}</td><td><strong>{html.escape(item.step)}</strong><br>"
        f"{html.escape(item.question)}<p class='prep'>{html.escape(item.prepare)}</p></td>"
        + "<td></td>" * len(FILL_IN)
        + "</tr>"
        for number, item in enumerate(CHECKLIST_ITEMS, start=1)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(_TITLE)}</title><style>"
        "@page{size:A4 landscape;margin:12mm}"
        "body{font:12px/1.35 system-ui,sans-serif;margin:2em;color:#1a1a1a}"
        "h1{font-size:18px;margin:0 0 .4em}.intro{margin:0 0 1em;color:#333}"
        ".fields{display:grid;grid-template-columns:repeat(auto-fit,minmax(16em,1fr));"
        "gap:.6em 1.5em;margin-bottom:1em}.field{display:flex;gap:.5em;align-items:flex-end}"
        ".field .line{flex:1;border-bottom:1px solid #555;min-height:1.2em}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #777;padding:.4em;"
        "vertical-align:top;text-align:left}th.fill{width:13%}td.n{width:2em}"
        "tr{page-break-inside:avoid}.prep{margin:.3em 0 0;color:#444;font-size:11px}"
        "@media print{body{margin:0}}</style></head><body>"
        f"<h1>{html.escape(_TITLE)}</h1><p class='intro'>{html.escape(_INTRO)}</p>"
        f"<div class='fields'>{header}</div>"
        f"<table><thead><tr><th>#</th><th>Step, question and what to prepare</th>{heads}"
        f"</tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
