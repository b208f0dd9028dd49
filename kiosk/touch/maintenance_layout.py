"""What the maintenance screen is made of: the kiosk's state as a table, and the PIN pad.

Built anew by `maintenance_view.Maintenance.draw` at each change; the texts come translated (the
state in Italian or English, the PIN pad's prompt in both), the actions as callables.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from i18n import N_
from kiosk import __version__
from kiosk.core.face_api import KioskState
from kiosk.touch.widgets import KEYPAD, FramedLabel, Tile, key_tile

Translate = Callable[..., str]

ROWS = (
    (N_("Kiosk"), "kiosk"),
    (N_("Service point"), "service_point"),
    (N_("MQTT broker"), "broker"),
    (N_("Ratings waiting for the collector"), "pending"),
    (N_("Last rating number"), "last_seq"),
    (N_("Confirmed by the collector up to"), "watermark"),
    (N_("Configuration"), "config"),
    (N_("Clock"), "clock"),
    (N_("Software version"), "version"),
    (N_("Presses ignored (too close together)"), "ignored"),
    (N_("Last error"), "error"),
)
CONNECTED, NOT_CONNECTED = N_("connected"), N_("not connected")
SYNCED, NOT_SYNCED = N_("synchronised"), N_("not synchronised")
REVISION, LOCAL = N_("revision {revision}"), N_("local settings")
OLDEST = N_("oldest {seconds} s")


def state_values(state: KioskState, tr: Translate) -> dict[str, str]:
    """Each row's value, as staff read it."""
    pending = str(state.outbox_depth)
    if state.oldest_pending_age_s is not None:
        pending += f" ({tr(OLDEST, seconds=round(state.oldest_pending_age_s))})"
    revision = tr(REVISION, revision=state.config_revision) if state.config_revision is not None else tr(LOCAL)
    return {
        "kiosk": f"{state.kiosk_id} ({state.organisation})",
        "service_point": state.service_point,
        "broker": f"{state.broker}: {tr(CONNECTED if state.online else NOT_CONNECTED)}",
        "pending": pending,
        "last_seq": str(state.last_seq),
        "watermark": str(state.watermark),
        "config": revision + (f" - {state.config_error}" if state.config_error else ""),
        "clock": f"{state.clock_now:%Y-%m-%d %H:%M:%S} UTC, {tr(SYNCED if state.clock_synced else NOT_SYNCED)}",
        "version": state.software_version or __version__,
        "ignored": str(state.ignored_presses),
        "error": state.link_error or "-",
    }


def state_table(values: dict[str, str], tr: Translate, s: float, portrait: bool) -> GridLayout:
    """The state, a row a fact: label and value side by side, or the value under its label on a
    portrait screen (side by side, the columns are too narrow there for the longer ones). Texts wrap,
    never cut; "..." until the state is read."""
    table = GridLayout(cols=1 if portrait else 2, spacing=(12 * s, 0 if portrait else 5 * s), size_hint_y=None)
    table.bind(minimum_height=table.setter("height"))
    for label, key in ROWS:
        table.add_widget(_cell(tr(label), s, bold=True))
        table.add_widget(_cell(values.get(key, "..."), s, after=14 * s if portrait else 0))  # each value by its label
    return table


def pin_pad(
    body: BoxLayout,
    *,
    prompt: str,
    typed: int,
    locked: bool,
    cancel: str,
    u: float,
    s: float,
    portrait: bool,
    on_key: Callable[[str], None],
    on_cancel: Callable[[], None],
) -> str:
    """The typed digits as dots in a field and the keypad into `body`, with the prompt beside the keys
    on a landscape screen (they need its whole height on a 7-inch one). Returns what the prompt under
    the title says: the prompt on a portrait screen, else nothing.

    `locked` (too many wrong PINs): the prompt is a notice, and the keys and the field are greyed and
    `disabled`, which in Kivy also means they take no touch: nothing invites a press that does nothing.
    Cancel stays: the way out."""
    body.orientation = "vertical" if portrait else "horizontal"
    side = BoxLayout(orientation="vertical", spacing=14 * u)
    side.add_widget(Widget() if portrait else PinPrompt(text=prompt, alert=locked))
    side.add_widget(PinDots(text="\u2022 " * typed, disabled=locked))
    side.add_widget(Widget())
    pad = GridLayout(cols=3, spacing=10 * u)
    for key in KEYPAD:
        tile = key_tile(key)
        tile.disabled = locked
        tile.bind(on_press=lambda _t, k=key: on_key(k))
        pad.add_widget(tile)
    leave = action_tile(cancel, on_cancel, secondary=True)
    leave.markup = True
    leave.size_hint_y = None
    leave.height = 82 * u
    if portrait:
        side.size_hint_y = 0.25
        body.add_widget(side)
        body.add_widget(pad)
        body.add_widget(leave)
        return prompt
    side.size_hint_x = 0.7  # beside keys 1 wide: room for the prompt on few lines
    side.add_widget(leave)
    body.add_widget(side)
    body.add_widget(pad)
    return ""


def action_tile(text: str, action: Callable[[], None], filled: bool = False, secondary: bool = False) -> Tile:
    tile = Tile(text=text, text_factor=22, filled=filled, secondary=secondary)
    tile.bind(on_press=lambda _t: action())
    return tile


def _cell(text: str, s: float, bold: bool = False, after: float = 0) -> Label:
    """A cell of the state's table, as tall as its text (wrapped to its width), `after` pixels more under
    it (as the texture's padding: a label draws its texture centred, so a taller label would split
    the space above and below the text)."""
    label = Label(text=text, font_size=17 * s, bold=bold, halign="left", valign="top", size_hint_y=None)
    label.padding = (0, 0, 0, after)
    label.bind(
        width=lambda widget, width: setattr(widget, "text_size", (width, None)),
        texture_size=lambda widget, size: setattr(widget, "height", size[1]),
    )
    return label


class PinPrompt(FramedLabel):
    """What the PIN pad says (kv/maintenance.kv): plain text, or a notice's box while `alert` (locked)."""

    alert = BooleanProperty(False)


class PinDots(FramedLabel):
    """The PIN typed so far, one dot a digit, in a field (kv/maintenance.kv)."""
