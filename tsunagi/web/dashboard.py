"""The coordinator's dashboard as staff read it: the counts of tsunagi.domain.reports under
display names in the reader's language, suppressed by the one rule (reports.suppress), drawn
as accessible SVG bar charts (pygal, no script, no inline style: the page's CSP holds) with
their table beside them, and written as CSV a Japanese spreadsheet opens (UTF-8 with BOM).
"""
from __future__ import annotations

import csv
import io
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pygal
from flask_babel import force_locale, gettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from tsunagi.domain import municipality, reports
from tsunagi.domain.models import District, Location
from tsunagi.domain.triage.answers import AGE_BANDS, SUBJECTS
from tsunagi.domain.vocabulary import (
    CHANNEL_LABELS,
    LOCALES,
    LOCATION_KIND_LABELS,
    MEETING_DECISIONS,
    NEED_LABELS,
    OUTCOME_LABELS,
    OUTCOMES,
    PRIORITY_LABELS,
    REPORT_NONE_LABELS,
    REPORT_SECTIONS,
    REPORT_UNKNOWN,
    SERVICES,
    STATUS_LABELS,
    STATUSES,
    SUBJECT_LABELS,
)
from tsunagi.web.present import row_labels

# pygal appends a legacy import hook for its map plugins (not used here), which makes Python
# warn on every later import that reaches it: take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

BOM = "\ufeff"
# Values in the order a reader expects; sections not named here go by count, largest first.
ORDER: dict[str, tuple[str, ...]] = {
    "service": tuple(SERVICES), "priority": tuple(PRIORITY_LABELS), "age_band": AGE_BANDS, "subject": SUBJECTS,
    "status": STATUSES, "outcome": (*OUTCOMES, reports.NONE), "kind": tuple(LOCATION_KIND_LABELS),
    "channel": tuple(CHANNEL_LABELS), "need": (*NEED_LABELS, reports.NONE),
}
# Sections whose counts add up to the period's intakes: they show that total.
TOTALLED = frozenset(reports.SINGLE)


def labeler(session: Session, locale: str) -> Callable[[str, str], str]:
    """(section, value) -> the value's display name for a reader of `locale`."""
    places = {loc.code: municipality.localized(loc.name, locale) for loc in session.scalars(select(Location))}
    areas = {d.code: municipality.localized(d.name, locale) for d in session.scalars(select(District))}
    ages = row_labels()["age_band"]
    tables: dict[str, dict[str, str]] = {
        "kind": LOCATION_KIND_LABELS, "channel": CHANNEL_LABELS, "service": SERVICES, "gap": SERVICES,
        "priority": PRIORITY_LABELS, "need": NEED_LABELS, "subject": SUBJECT_LABELS, "status": STATUS_LABELS,
        "outcome": OUTCOME_LABELS, "age_band": {k: v for k, v in ages.items() if k != "unknown"},
    }

    def label(section: str, value: str) -> str:
        if section == "location":
            return places.get(value, value)
        if section == "area":
            return areas.get(value) or gettext(REPORT_UNKNOWN)
        if section == "language":
            return LOCALES.get(value, value)
        if value == reports.NONE and section in REPORT_NONE_LABELS:
            return gettext(REPORT_NONE_LABELS[section])
        if section in tables and value in tables[section]:
            return gettext(tables[section][value])
        return gettext(REPORT_UNKNOWN) if value in (reports.NONE, "unknown") else value
    return label


@dataclass
class Row:
    label: str
    cell: reports.Cell


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row]
    total: reports.Cell | None
    threshold: int
    chart: Markup = field(default=Markup(""))

    def text(self, cell: reports.Cell) -> str:
        return cell.text(self.threshold)


def _ordered(section: str, counts: Counter) -> list[str]:
    order = ORDER.get(section)
    if order:
        return [v for v in order if counts.get(v)] + sorted(v for v in counts if v not in order and counts[v])
    return sorted((v for v in counts if counts[v]), key=lambda v: (-counts[v], v))


def sections(session: Session, board: reports.Dashboard, threshold: int, locale: str,
             charts: bool = True) -> list[Section]:
    """One section per breakdown of the dashboard, suppressed, with its chart."""
    label = labeler(session, locale)
    found = []
    for key, title in REPORT_SECTIONS.items():
        counts = board.counts.get(key, Counter())
        values = _ordered(key, counts)
        totalled = key in TOTALLED
        table = reports.suppress([[counts[v] for v in values]], threshold, row_totals=totalled,
                                 totals=[board.intakes] if totalled else None)
        section = Section(key, gettext(title), [Row(label(key, v), c) for v, c in zip(values, table.rows[0])],
                          table.row_totals[0] if table.row_totals else None, threshold)
        if charts:
            section.chart = bar_chart(f"chart-{key}", section.title, section)
        found.append(section)
    return found


def duration(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    days, rest = divmod(minutes, 1440)
    if days:
        return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": rest // 60}
    return gettext("%(hours)s h %(minutes)s min") % {"hours": rest // 60, "minutes": rest % 60}


def figures(board: reports.Dashboard, threshold: int) -> list[tuple[str, str]]:
    """The headline figures: counts suppressed like any cell; a wait's median and 90th
    percentile only when at least `threshold` intakes waited (else one person's wait shows)."""
    def count(n: int) -> str:
        return reports.suppress([[n]], threshold, row_totals=False).rows[0][0].text(threshold)

    def wait(name: str, share: str) -> str:
        w = board.waits[name]
        return duration(getattr(w, share)) if w.count >= threshold else "—"

    return [
        (gettext("Intakes"), count(board.intakes)),
        (gettext("Unique persons"), count(board.persons)),
        (gettext("Multi-agency team cases"), count(board.count("service", "takikan"))),
        (gettext("Returned (re-routed)"), count(board.count("event", "returned"))),
        (gettext("Transferred"), count(board.count("event", "transferred"))),
        (gettext("Handed back by the team to a lead office"), count(board.count("event", "hand_back"))),
        *[(gettext("Meeting decisions: %(decision)s", decision=gettext(label)),
           count(board.count("event", f"meeting_{decision}"))) for decision, label in MEETING_DECISIONS.items()],
        (gettext("Overdue now"), count(board.overdue)),
        (gettext("Median time to accept"), wait("accept_wait", "median")),
        (gettext("90th percentile time to accept"), wait("accept_wait", "p90")),
        (gettext("Median time to first contact"), wait("contact_wait", "median")),
        (gettext("90th percentile time to first contact"), wait("contact_wait", "p90")),
    ]


# --- charts --------------------------------------------------------------------------

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)


def bar_chart(element_id: str, title: str, section: Section) -> Markup:
    """A horizontal bar chart of a section as inline SVG with its <title> and <desc>. A
    suppressed count draws no bar; its label says "<3" or "x", as the table does."""
    if not section.rows:
        return Markup("")
    rows = list(reversed(section.rows))  # pygal draws the first bar at the bottom
    labels = [f"{r.label}: {section.text(r.cell)}" for r in rows]
    # Room for the labels at the left, which pygal does not measure (13 px text; a wide
    # character counts as one em, a narrow one as about half).
    widest = max(sum(13 if ord(ch) > 0x2E7F else 7 for ch in text) for text in labels)
    chart = pygal.HorizontalBar(
        js=[], css=[], no_prefix=True, disable_xml_declaration=True, show_legend=False, width=720,
        height=60 + 34 * len(rows), margin=8, margin_left=min(420, widest + 16), show_y_guides=False,
        show_x_labels=False, truncate_label=-1, print_values=False, include_x_axis=True)
    chart.x_labels = labels
    chart.add(title, [None if r.cell.hidden else r.cell.value for r in rows])
    return _accessible(chart.render_tree(), element_id, title,
                       gettext("Bar chart of the counts in the table beside it; a count under %(n)s is shown as "
                               "\"<%(n)s\" and draws no bar.") % {"n": section.threshold})


def _accessible(svg: ET.Element, element_id: str, title: str, description: str) -> Markup:
    """pygal's SVG without its embedded script and style (served as a stylesheet instead),
    named for assistive technology by a <title> and a <desc>."""
    for parent in list(svg.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.rsplit("}", 1)[-1] in ("script", "style", "title"):
                parent.remove(child)
    for node in svg.iter():
        node.attrib.pop("style", None)
    svg.set("id", element_id)
    svg.set("role", "img")
    svg.set("aria-labelledby", f"{element_id}-title {element_id}-desc")
    head = ET.Element(f"{{{SVG}}}title", id=f"{element_id}-title")
    head.text = title
    desc = ET.Element(f"{{{SVG}}}desc", id=f"{element_id}-desc")
    desc.text = description
    svg.insert(0, desc)
    svg.insert(0, head)
    return Markup(ET.tostring(svg, encoding="unicode"))


# --- CSV -----------------------------------------------------------------------------

def to_csv(rows: list[list[str]]) -> str:
    """CSV with a BOM, so a Japanese spreadsheet reads it as UTF-8."""
    out = io.StringIO()
    out.write(BOM)
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def dashboard_rows(figs: list[tuple[str, str]], found: list[Section]) -> list[list[str]]:
    rows = [[gettext("Section"), gettext("Item"), gettext("Count")]]
    rows += [[gettext("Summary"), name, value] for name, value in figs]
    for s in found:
        rows += [[s.title, r.label, s.text(r.cell)] for r in s.rows]
        if s.total is not None:
            rows.append([s.title, gettext("Total"), s.text(s.total)])
    return rows


def in_language(lang: str | None, build: Callable[[], str]) -> str:
    """`build()` in English for ?lang=en, else in the staff's language."""
    if lang == "en":
        with force_locale("en"):
            return build()
    return build()


@dataclass
class Yearly:
    """Intakes by month and service for a fiscal year, with totals, suppressed."""

    months: list[str]
    services: list[str]
    table: reports.Table
    threshold: int

    def text(self, cell: reports.Cell) -> str:
        return cell.text(self.threshold)


def yearly(session: Session, span: reports.Period, threshold: int) -> Yearly:
    monthly = reports.by_month(session, span.start, span.end, "service")
    months, day = [], span.start
    while day <= span.end:
        months.append(day.strftime("%Y-%m"))
        day = reports.period("month", day).end + timedelta(days=1)
    codes = list(SERVICES)
    values = [[monthly.get(m, Counter())[c] for c in codes] for m in months]
    return Yearly(months, [gettext(SERVICES[c]) for c in codes],
                  reports.suppress(values, threshold, row_totals=True, column_totals=True), threshold)


def yearly_rows(report: Yearly, figs: list[tuple[str, str]], found: list[Section]) -> list[list[str]]:
    rows = [[gettext("Month"), *report.services, gettext("Total")]]
    for month, cells, total in zip(report.months, report.table.rows, report.table.row_totals):
        rows.append([month, *(report.text(c) for c in cells), report.text(total)])
    rows.append([gettext("Total"), *(report.text(c) for c in report.table.column_totals),
                 report.text(report.table.total)])
    rows.append([])
    return rows + dashboard_rows(figs, found)
