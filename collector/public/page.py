"""The public page of an organisation's results: one month, per service point and service, accessible HTML."""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from collector.public.data import FIELDS, PublicRow
from collector.reports import present
from i18n import translator
from i18n.manager import FLAGS


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("collector.public", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    org: dict[str, str], month: date, rows: list[PublicRow], months: list[date], min_count: int, lang: str
) -> str:
    t = translator(lang)

    def show(value: float | int | None, kind: present.Kind) -> str:
        return present.show(value, kind, lang, t) if value is not None else "–"

    groups: dict[str, list[PublicRow]] = {}
    for row in rows:
        groups.setdefault(row.service_point, []).append(row)
    return (
        environment()
        .get_template("results.html")
        .render(
            _=t,
            lang=lang,
            org=org,
            month=month,
            month_name=present.month_name(month, lang),
            months=[(m, present.month_name(m, lang)) for m in months],
            groups=groups,
            min_count=min_count,
            show=show,
            flag=lambda state: t(FLAGS[state]) if state else "",
            no_service=t(present.NO_SERVICE),
        )
    )


def to_csv(rows: list[PublicRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(
            ["" if (v := getattr(row, f)) is None else (f"{v:%Y-%m}" if f == "month" else v) for f in FIELDS]
        )
    return out.getvalue()
