"""Panel helpers: bilingual titles and descriptions, text for every state, fixed colours beside the text."""

from __future__ import annotations

from typing import Literal, Protocol, Self, TypeVar

from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import FieldColor
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.common import (
    BigValueTextMode,
    GraphDrawStyle,
    LegendDisplayMode,
    LegendPlacement,
    TableCellHeight,
    TableColoredBackgroundCellOptions,
    TableColorTextCellOptions,
)

from dashboards import datasource, texts
from dashboards.sql import SqlQuery

STATE_COLOURS = {
    "below_target": "red",
    "on_target": "green",
    "not_enough_data": "text",
    "online": "green",
    "offline": "red",
    "unknown": "text",
}
FACE_COLOURS = {"green": "green", "yellow": "yellow", "red": "red", "misuse": "purple"}


class _Titled(Protocol):
    def title(self, title: str) -> Self: ...
    def description(self, description: str) -> Self: ...


P = TypeVar("P", bound=_Titled)


def titled(panel: P, italian: str, english: str, about_it: str, about_en: str) -> P:
    """Title and description in both languages (the description opens from the panel's "i")."""
    return panel.title(texts.both(italian, english)).description(f"{about_it}\n\n{about_en}")


def state_mappings() -> list[model.ValueMapping]:
    """The collector's flag states and kiosk states, as words with a colour beside them."""
    words = {**texts.FLAGS, **texts.KIOSK_STATES}
    return [
        model.ValueMap(
            options={
                code: model.ValueMappingResult(text=words[code], color=STATE_COLOURS[code], index=i)
                for i, code in enumerate(words)
            }
        )
    ]


def _props(**values: object) -> list[model.DynamicConfigValue]:
    return [model.DynamicConfigValue(id_val=key.replace("__", "."), value=value) for key, value in values.items()]


def coloured_text() -> model.DynamicConfigValue:
    return model.DynamicConfigValue(id_val="custom.cellOptions", value=TableColorTextCellOptions())


def percent(decimals: int = 0) -> list[model.DynamicConfigValue]:
    return _props(unit="percentunit", decimals=decimals, min=0, max=1)


SOURCE = model.DataSourceRef(type_val=datasource.TYPE, uid=datasource.UID)


def table_panel(sql: str, height: int = 12, width: int = 24) -> table.Panel:
    return (
        table.Panel()
        .datasource(SOURCE)
        .with_target(SqlQuery(sql))
        .height(height)
        .span(width)
        .mappings(state_mappings())
        .cell_height(TableCellHeight.SM)
        .filterable(True)
    )


def heat_table(sql: str, height: int = 14, width: int = 12) -> table.Panel:
    """A matrix whose cells show their number over a background shade (the number is the message)."""
    return (
        table_panel(sql, height, width)
        .cell_options(TableColoredBackgroundCellOptions())
        .color_scheme(_colour("continuous-RdYlGr"))
        .filterable(False)
    )


def _colour(mode: str, fixed: str | None = None) -> FieldColor:
    builder = FieldColor().mode(model.FieldColorModeId(mode))
    return builder.fixed_color(fixed) if fixed else builder


def fixed_colour(colour: str) -> model.DynamicConfigValue:
    return model.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour})


def stat_panel(sql: str, width: int = 6, height: int = 4, text: bool = False) -> stat.Panel:
    reduce = ReduceDataOptions().calcs(["lastNotNull"]).values(False)
    if text:
        reduce = reduce.fields("/.*/")
    return (
        stat.Panel()
        .datasource(SOURCE)
        .with_target(SqlQuery(sql))
        .height(height)
        .span(width)
        .mappings(state_mappings())
        .reduce_options(reduce)
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .color_scheme(_colour("fixed", "text"))
    )


def series_panel(
    sql: str, style: Literal["line", "bars"] = "line", width: int = 24, height: int = 9
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .datasource(SOURCE)
        .with_target(SqlQuery(sql, "time_series"))
        .height(height)
        .span(width)
        .legend(
            VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True)
        )
    )
    if style == "bars":
        panel = panel.draw_style(GraphDrawStyle.BARS).fill_opacity(80)
    return panel


def field_properties(**values: object) -> list[model.DynamicConfigValue]:
    """Override properties by id, e.g. `custom__width=90` for `custom.width`."""
    return _props(**values)
