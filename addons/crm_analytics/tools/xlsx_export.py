"""Scorecards and KPI values as Excel workbooks, apart from the ORM.

Two writers, both on a file object (``BytesIO``, a temporary file, a socket's
buffer): :func:`write_scorecards` lays out one formatted sheet per scorecard from
plain dicts; :func:`write_values` writes raw rows as an iterator yields them, in
xlsxwriter's ``constant_memory`` mode, so that memory stays flat however many rows
there are. The controllers build the dicts and rows; tests read the workbooks back.
"""

import re
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from odoo.tools.misc import format_date
from odoo.tools.translate import LazyTranslate

# labels in the language of the request's user, English without a request
_lt = LazyTranslate(__name__, default_lang="en_US")

# Formulas and links are never read from the data: a KPI named "=HYPERLINK(...)"
# stays text, and so does a figure kept as text.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd",
}
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Excel reserves this sheet name for its change tracking
SHEET_NAME_RESERVED = {"history"}
EXCEL_MAX_ROWS = 1_048_576

# Excel's own Good / Neutral / Bad cell styles
LIGHT_COLORS = {
    "green": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "amber": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
TREND_ARROWS = {"up": "▲", "down": "▼", "flat": "►"}
UNIT_SUFFIXES = {
    "percent": " %",
    "days": _lt(" days"),
    "hours": _lt(" h"),
    "times": " x",
}

# Scorecard sheet: where things go (rows and columns count from 0)
LINES_HEADER_ROW = 5
LINE_COLUMNS = [
    # (key, label, width)
    ("kpi", _lt("KPI"), 32),
    ("perspective", _lt("Perspective"), 18),
    ("unit", _lt("Unit"), 12),
    ("weight", _lt("Weight"), 9),
    ("target", _lt("Target"), 14),
    ("alert_threshold", _lt("Alert at"), 14),
    ("value", _lt("Value"), 14),
    ("achievement", _lt("Achievement"), 13),
    ("light", _lt("Light"), 12),
    ("previous", _lt("Previous period"), 16),
    ("last_year", _lt("Last year"), 16),
    ("trend", _lt("Trend"), 10),
    ("alert_achievement", _lt("Red below"), 11),
]
COL = {key: index for index, (key, _label, _width) in enumerate(LINE_COLUMNS)}


def sheet_names(titles, default="Sheet"):
    """Excel sheet names for these titles: at most 31 characters, none of
    ``[]:*?/\\``, unique regardless of case (a counter is added to repeats)."""
    names, used = [], set()
    for title in titles:
        base = SHEET_NAME_FORBIDDEN.sub(" ", str(title or "")).strip().strip("'")
        base = base.strip() or default
        if base.lower() in SHEET_NAME_RESERVED:
            base = f"{base} (1)"
        name = base[:SHEET_NAME_MAX].rstrip()
        counter = 1
        while name.lower() in used:
            counter += 1
            suffix = f" ({counter})"
            name = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        used.add(name.lower())
        names.append(name)
    return names


def number_format(unit, value=None, currency=None):
    """The Excel number format of a KPI figure, as ``crm.kpi._format_value`` shows
    it: whole numbers without decimals, amounts with the currency's symbol."""
    if unit == "currency":
        currency = currency or {}
        digits = currency.get("digits", 2)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        symbol = str(currency.get("symbol") or "").replace('"', "")
        if not symbol:
            return pattern
        if currency.get("position") == "before":
            return f'"{symbol}"\u00a0{pattern}'
        return f'{pattern}\u00a0"{symbol}"'
    if unit == "number":
        whole = value is not None and float(value).is_integer()
        return "#,##0" if whole else "#,##0.00"
    suffix = str(UNIT_SUFFIXES.get(unit, "")).replace('"', "")
    return "#,##0.00" + (f'"{suffix}"' if suffix else "")


class _Styles:
    """Cell formats of a workbook, made once each: xlsxwriter keeps every format
    it is given, so asking twice for the same one must return the same object."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.cache = {}

    def get(self, **properties):
        key = tuple(sorted(properties.items()))
        if key not in self.cache:
            self.cache[key] = self.workbook.add_format(properties)
        return self.cache[key]

    def header(self):
        return self.get(
            bold=True, bg_color="#DDE3EA", border=1, text_wrap=True, valign="top"
        )

    def cell(self, num_format=None, **properties):
        if num_format:
            properties["num_format"] = num_format
        return self.get(border=1, **properties)


def _write_figure(worksheet, row, col, value, style):
    """A number, or an empty cell when it cannot be said (charts leave a gap)."""
    if value is None:
        worksheet.write_blank(row, col, None, style)
    else:
        worksheet.write_number(row, col, value, style)


def write_scorecards(fileobj, scorecards_data):
    """Write one formatted sheet per scorecard into ``fileobj``.

    Each sheet has the scorecard's title, owner and period, the table of its lines
    with traffic-light conditional formats on the achievement, and the history of
    the last periods as a table and a line chart of the achievements (the KPIs'
    units differ, their achievements compare).

    :param scorecards_data: a list of dicts, one per scorecard::

        {
            "name": "Sales North",          # title; the sheet name is made from it
            "owner": "Sales team: North",   # who the scorecard belongs to, as read
            "period": "Month",              # the kind of period, as read
            "date_from": date, "date_to": date,   # the current period
            "score": 0.87,                  # weighted achievement, 1.0 on target;
                                            # None when it cannot be said
            "light": "amber",               # green / amber / red / None
            "light_label": "Behind",
            "currency": {"symbol": "€", "position": "after", "digits": 2},
            "lines": [{
                "kpi": "Revenue", "perspective": "Financial",
                "unit": "currency",          # crm.kpi unit code: the number format
                "unit_label": "Currency",
                "weight": 1.0, "target": 1000.0, "alert_threshold": 900.0,
                "alert_achievement": 0.9,    # achievement at the alert threshold:
                                             # red below it, amber from it to 1.0
                "value": 870.0,              # None: cannot be said
                "achievement": 0.87,         # fraction, None: cannot be said
                "light": "amber", "light_label": "Behind",
                "previous": "800 €",         # previous period, as displayed
                "last_year": "n/a",          # same period last year, as displayed
                "trend": "up", "trend_label": "Up",
            }, ...],
            "history": [{                    # oldest first, the current period last
                "label": "Mar 2026", "date_from": date, "date_to": date,
                "values": [870.0, None],       # one per line, in the lines' order
                "achievements": [0.87, None],  # fractions, one per line
            }, ...],
        }
    """
    workbook = xlsxwriter.Workbook(fileobj, WORKBOOK_OPTIONS)
    styles = _Styles(workbook)
    names = sheet_names([card["name"] for card in scorecards_data], "Scorecard")
    for card, name in zip(scorecards_data, names, strict=True):
        worksheet = workbook.add_worksheet(name)
        _write_scorecard(workbook, worksheet, styles, card)
    workbook.close()


def _write_scorecard(workbook, worksheet, styles, card):
    worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)
    for index, (_key, _label, width) in enumerate(LINE_COLUMNS):
        worksheet.set_column(index, index, width)
    label_style = styles.get(bold=True)
    worksheet.set_row(0, 24)
    worksheet.write_string(0, 0, card["name"], styles.get(bold=True, font_size=16))
    worksheet.write_string(1, 0, str(_lt("Owner")), label_style)
    worksheet.write_string(1, 1, card.get("owner") or "")
    worksheet.write_string(2, 0, str(_lt("Period")), label_style)
    worksheet.write_string(2, 1, card.get("period") or "")
    date_style = styles.get(num_format="yyyy-mm-dd", align="left")
    worksheet.write_datetime(2, 2, _as_datetime(card["date_from"]), date_style)
    worksheet.write_datetime(2, 3, _as_datetime(card["date_to"]), date_style)
    worksheet.write_string(3, 0, str(_lt("Score")), label_style)
    score_style = styles.get(
        num_format="0.0%",
        bold=True,
        align="left",
        **LIGHT_COLORS.get(card.get("light"), {}),
    )
    _write_figure(worksheet, 3, 1, card.get("score"), score_style)
    worksheet.write_string(3, 2, card.get("light_label") or "")
    lines = card.get("lines") or []
    if not lines:
        return
    last_line_row = _write_lines(worksheet, styles, card, lines)
    if card.get("history"):
        _write_history(workbook, worksheet, styles, card, lines, last_line_row + 2)


def _write_lines(worksheet, styles, card, lines):
    """The lines' table; the achievement column lights up by conditional formats
    against each line's own alert threshold, so that edits in Excel recolour it."""
    header_style = styles.header()
    for col, (_key, label, _width) in enumerate(LINE_COLUMNS):
        worksheet.write_string(LINES_HEADER_ROW, col, str(label), header_style)
    text = styles.cell()
    percent = styles.cell("0.0%")
    currency = card.get("currency")
    row = LINES_HEADER_ROW
    for line in lines:
        row += 1
        unit = line.get("unit")
        worksheet.write_string(row, COL["kpi"], line["kpi"], text)
        worksheet.write_string(
            row, COL["perspective"], line.get("perspective") or "", text
        )
        worksheet.write_string(row, COL["unit"], line.get("unit_label") or "", text)
        worksheet.write_number(
            row, COL["weight"], line.get("weight") or 0.0, styles.cell("0.##")
        )
        for key in ("target", "alert_threshold", "value"):
            figure = line.get(key)
            style = styles.cell(number_format(unit, figure, currency))
            _write_figure(worksheet, row, COL[key], figure, style)
        _write_figure(
            worksheet, row, COL["achievement"], line.get("achievement"), percent
        )
        worksheet.write_string(
            row,
            COL["light"],
            line.get("light_label") or "",
            styles.cell(**LIGHT_COLORS.get(line.get("light"), {})),
        )
        worksheet.write_string(row, COL["previous"], line.get("previous") or "", text)
        worksheet.write_string(row, COL["last_year"], line.get("last_year") or "", text)
        trend = line.get("trend")
        worksheet.write_string(
            row,
            COL["trend"],
            " ".join(filter(None, [TREND_ARROWS.get(trend), line.get("trend_label")])),
            text,
        )
        _write_figure(
            worksheet,
            row,
            COL["alert_achievement"],
            line.get("alert_achievement"),
            percent,
        )
    first = LINES_HEADER_ROW + 1
    achievement = xl_col_to_name(COL["achievement"])
    threshold = xl_col_to_name(COL["alert_achievement"])
    _traffic_lights(
        worksheet,
        styles,
        (first, COL["achievement"], row, COL["achievement"]),
        f"{achievement}{first + 1}",
        f"${threshold}{first + 1}",
    )
    return row


def _traffic_lights(worksheet, styles, cell_range, cell, threshold):
    """Green from 100%, amber from the threshold, red below it; blank stays blank.

    ``cell`` and ``threshold`` name the top-left cell of the range and its threshold,
    as Excel reads a conditional format's formula relative to that cell.
    """
    known = f"ISNUMBER({cell})"
    rules = [
        ("green", f"=AND({known},{cell}>=1)"),
        ("amber", f"=AND({known},{cell}>={threshold})"),
        ("red", f"=AND({known},{cell}<{threshold})"),
    ]
    for light, formula in rules:
        worksheet.conditional_format(
            *cell_range,
            {
                "type": "formula",
                "criteria": formula,
                "format": styles.get(**LIGHT_COLORS[light]),
                "stop_if_true": True,
            },
        )


def _write_history(workbook, worksheet, styles, card, lines, top):
    """Values and achievements of the last periods, one row per period, and a line
    chart of the achievements."""
    history = card["history"]
    currency = card.get("currency")
    header_style = styles.header()
    title_style = styles.get(bold=True, font_size=13)
    worksheet.write_string(top, 0, str(_lt("History")), title_style)
    n_lines = len(lines)
    first_value_col = 3
    first_achievement_col = first_value_col + n_lines
    group_row, header_row = top + 1, top + 2
    worksheet.write_string(
        group_row, first_value_col, str(_lt("Value")), styles.get(bold=True)
    )
    worksheet.write_string(
        group_row, first_achievement_col, str(_lt("Achievement")), styles.get(bold=True)
    )
    for col, label in enumerate([_lt("Period"), _lt("From"), _lt("To")]):
        worksheet.write_string(header_row, col, str(label), header_style)
    for index, line in enumerate(lines):
        worksheet.write_string(
            header_row, first_value_col + index, line["kpi"], header_style
        )
        worksheet.write_string(
            header_row, first_achievement_col + index, line["kpi"], header_style
        )
    text = styles.cell()
    day = styles.cell("yyyy-mm-dd")
    percent = styles.cell("0.0%")
    row = header_row
    for period in history:
        row += 1
        worksheet.write_string(row, 0, period.get("label") or "", text)
        worksheet.write_datetime(row, 1, _as_datetime(period["date_from"]), day)
        worksheet.write_datetime(row, 2, _as_datetime(period["date_to"]), day)
        for index, line in enumerate(lines):
            value = period["values"][index]
            style = styles.cell(number_format(line.get("unit"), value, currency))
            _write_figure(worksheet, row, first_value_col + index, value, style)
            _write_figure(
                worksheet,
                row,
                first_achievement_col + index,
                period["achievements"][index],
                percent,
            )
    first_row, last_row = header_row + 1, row
    threshold_col = xl_col_to_name(COL["alert_achievement"])
    for index in range(n_lines):
        col = first_achievement_col + index
        _traffic_lights(
            worksheet,
            styles,
            (first_row, col, last_row, col),
            xl_rowcol_to_cell(first_row, col),
            f"${threshold_col}${LINES_HEADER_ROW + 2 + index}",
        )

    chart = workbook.add_chart({"type": "line"})
    sheet = worksheet.get_name()
    for index, line in enumerate(lines):
        col = first_achievement_col + index
        chart.add_series(
            {
                "name": line["kpi"],
                "categories": [sheet, first_row, 0, last_row, 0],
                "values": [sheet, first_row, col, last_row, col],
                "marker": {"type": "circle"},
            }
        )
    chart.set_title({"name": str(_lt("Achievement by period"))})
    chart.set_y_axis({"num_format": "0%", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 760, "height": 340})
    worksheet.insert_chart(last_row + 2, 0, chart)


def _as_datetime(day):
    """xlsxwriter writes datetimes; a date is its midnight."""
    if isinstance(day, datetime):
        return day
    return datetime.combine(day, datetime.min.time())


def write_values(fileobj, rows_iter, header, num_formats=None, sheet_name="Values"):
    """Write raw rows into ``fileobj`` as they come, in constant memory.

    xlsxwriter's ``constant_memory`` mode flushes each row to a temporary file as
    soon as the next one starts, and writes strings inline rather than in a shared
    table, so the rows are never all held at once. Past Excel's row limit, the rows
    go on to a new sheet.

    :param rows_iter: an iterable of sequences, one per row, aligned with
        ``header``; None leaves a cell empty, dates and datetimes are written as
        such, numbers as numbers, anything else as text
    :param header: column titles
    :param num_formats: optional Excel number formats, one per column (None for the
        default)
    :return: the number of rows written, the header not counted
    """
    workbook = xlsxwriter.Workbook(
        fileobj, {**WORKBOOK_OPTIONS, "constant_memory": True}
    )
    header_style = workbook.add_format(
        {"bold": True, "bg_color": "#DDE3EA", "border": 1}
    )
    date_style = workbook.add_format({"num_format": "yyyy-mm-dd"})
    datetime_style = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    styles = [
        workbook.add_format({"num_format": fmt}) if fmt else None
        for fmt in (num_formats or [None] * len(header))
    ]
    worksheet = _new_values_sheet(workbook, sheet_name, header, header_style)
    row, sheets, count = 0, 1, 0
    for values in rows_iter:
        if row == EXCEL_MAX_ROWS - 1:
            _close_values_sheet(worksheet, row, len(header))
            sheets += 1
            name = f"{sheet_name} ({sheets})"
            worksheet = _new_values_sheet(workbook, name, header, header_style)
            row = 0
        row += 1
        count += 1
        for col, cell in enumerate(values):
            if cell is None:
                continue
            if isinstance(cell, bool):
                worksheet.write_boolean(row, col, cell)
            elif isinstance(cell, int | float):
                worksheet.write_number(row, col, cell, styles[col])
            elif isinstance(cell, datetime):
                worksheet.write_datetime(row, col, cell, datetime_style)
            elif isinstance(cell, date):
                worksheet.write_datetime(row, col, _as_datetime(cell), date_style)
            else:
                worksheet.write_string(row, col, str(cell), styles[col])
    _close_values_sheet(worksheet, row, len(header))
    workbook.close()
    return count


def _new_values_sheet(workbook, name, header, header_style):
    worksheet = workbook.add_worksheet(sheet_names([name])[0])
    worksheet.freeze_panes(1, 0)
    for col, title in enumerate(header):
        worksheet.set_column(col, col, max(12, min(len(str(title)) + 4, 40)))
    worksheet.write_row(0, 0, [str(title) for title in header], header_style)
    return worksheet


def _close_values_sheet(worksheet, last_row, n_cols):
    if n_cols:
        worksheet.autofilter(0, 0, last_row, n_cols - 1)


# ------------------------------------------------------------
# COHORTS
# ------------------------------------------------------------

MONTH_FORMAT = "MMM y"
# Excel's red - yellow - green colour scale
COLOR_SCALE = {
    "type": "3_color_scale",
    "min_color": "#F8696B",
    "mid_color": "#FFEB84",
    "max_color": "#63BE7B",
}
# cohort sheet: the matrix starts under two title rows, after two label columns
MATRIX_HEADER_ROW = 2
MATRIX_FIRST_COL = 2


def write_cohorts(fileobj, data, env):
    """Two sheets: the cohort matrix of retention rates (cohort months down,
    months since the first purchase across) with a colour scale, and the monthly
    churn rates. Rates are written as fractions in a percent format."""
    workbook = xlsxwriter.Workbook(fileobj, WORKBOOK_OPTIONS)
    header = workbook.add_format(
        {"bold": True, "bg_color": "#DDE3EA", "border": 1, "text_wrap": True}
    )
    title = workbook.add_format({"bold": True, "font_size": 14})
    text = workbook.add_format({"border": 1})
    number = workbook.add_format({"border": 1, "num_format": "#,##0"})
    percent = workbook.add_format({"border": 1, "num_format": "0.0%"})

    def label(month):
        return format_date(env, month, date_format=MONTH_FORMAT)

    # cohorts
    sheet = workbook.add_worksheet(env._("Cohorts"))
    cohorts = data["cohorts"]
    width = max((max(cells, default=0) + 1 for _m, _s, cells in cohorts), default=1)
    sheet.write_string(0, 0, env._("Retention by cohort (%)"), title)
    sheet.write_string(MATRIX_HEADER_ROW, 0, env._("Cohort"), header)
    sheet.write_string(MATRIX_HEADER_ROW, 1, env._("Customers"), header)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 11)
    sheet.set_column(MATRIX_FIRST_COL, MATRIX_FIRST_COL + width - 1, 8)
    for months_since in range(width):
        sheet.write_number(
            MATRIX_HEADER_ROW, MATRIX_FIRST_COL + months_since, months_since, header
        )
    sheet.write_string(
        MATRIX_HEADER_ROW - 1, MATRIX_FIRST_COL, env._("Months since first purchase")
    )
    row = MATRIX_HEADER_ROW
    for month, size, cells in cohorts:
        row += 1
        sheet.write_string(row, 0, label(month), text)
        sheet.write_number(row, 1, size, number)
        for months_since, (active, _revenue) in sorted(cells.items()):
            col = MATRIX_FIRST_COL + months_since
            sheet.write_number(row, col, active / size if size else 0.0, percent)
    if cohorts:
        sheet.conditional_format(
            MATRIX_HEADER_ROW + 1,
            MATRIX_FIRST_COL,
            row,
            MATRIX_FIRST_COL + width - 1,
            COLOR_SCALE,
        )
    sheet.freeze_panes(MATRIX_HEADER_ROW + 1, MATRIX_FIRST_COL)

    # churn
    sheet = workbook.add_worksheet(env._("Churn"))
    headers = [
        env._("Month"),
        env._("Active at start"),
        env._("Churned"),
        env._("Churn rate"),
        env._("New customers"),
    ]
    for col, name in enumerate(headers):
        sheet.write_string(0, col, name, header)
    sheet.set_column(0, len(headers) - 1, 14)
    day = workbook.add_format({"border": 1, "num_format": "mmm yyyy"})
    for row, (month, active_start, churned, new_customers) in enumerate(
        data["churn"], start=1
    ):
        sheet.write_datetime(row, 0, datetime.combine(month, datetime.min.time()), day)
        sheet.write_number(row, 1, active_start, number)
        sheet.write_number(row, 2, churned, number)
        if active_start:
            sheet.write_number(row, 3, churned / active_start, percent)
        else:
            sheet.write_blank(row, 3, None, percent)
        sheet.write_number(row, 4, new_customers, number)
    sheet.freeze_panes(1, 1)
    workbook.close()
