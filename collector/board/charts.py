"""Charts drawn on the server as SVG: no script, nothing fetched, styled by board.css through classes.

Every chart has a `<title>` and a `<desc>` for screen readers, and the page shows a table with the same
numbers beside it (templates/macros.html). Nothing is told by colour alone: faces are also told by their
pattern (yellow dotted, red hatched) and order, a bucket below target by a downward triangle, the target by
a dashed line with its value written on it, and each heat map cell by its percentage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Frame:
    """A chart's box: the wide one for screens, the narrow one (larger type for its size) for phones."""

    width: int
    height: int
    left: int = 46
    right: int = 16
    top: int = 14
    bottom: int = 30
    labels: int = 7
    """At most this many labels along the x axis."""


WIDE = Frame(720, 240)
NARROW = Frame(360, 220, left=40, right=8, bottom=26, labels=4)
FRAMES = {"wide": WIDE, "narrow": NARROW}


@dataclass(frozen=True)
class TrendPoint:
    label: str
    """The bucket as an axis label ("3 nov")."""
    share: float | None
    """Green share, None without ratings."""
    low: float
    high: float
    below: bool
    """The bucket alone is below target (its own flag)."""


@dataclass(frozen=True)
class FacePoint:
    label: str
    positive: int
    neutral: int
    negative: int


def _svg(body: list[str], title: str, desc: str, *, css: str, width: int, height: int) -> Markup:
    return Markup(  # noqa: S704 - every text inside is escaped here; numbers are formatted by us
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _x(f: Frame, i: int, n: int) -> float:
    step = (f.width - f.left - f.right) / max(n, 1)
    return f.left + (i + 0.5) * step


def _y(f: Frame, share: float) -> float:
    return f.top + (1 - share) * (f.height - f.top - f.bottom)


def _x_labels(f: Frame, labels: Sequence[str]) -> list[str]:
    n = len(labels)
    every = max(1, -(-n // f.labels))
    out = []
    for i in range(0, n, every):
        x = _x(f, i, n)
        out.append(f'<text class="axis" x="{x:.1f}" y="{f.height - 8}" text-anchor="middle">{escape(labels[i])}</text>')
    return out


def _share_grid(f: Frame) -> list[str]:
    out = []
    for step in (0, 0.25, 0.5, 0.75, 1):
        y = _y(f, step)
        out.append(f'<line class="grid" x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = f"{int(step * 100)}%"
        out.append(f'<text class="axis" x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    return out


def _runs(points: Sequence[TrendPoint]) -> list[list[int]]:
    """Indexes of consecutive buckets with ratings (a bucket without any breaks the line)."""
    runs: list[list[int]] = []
    for i, p in enumerate(points):
        if p.share is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def trend(
    points: Sequence[TrendPoint], target: float, *, title: str, desc: str, target_label: str, frame: str = "wide"
) -> Markup:
    """Green share per bucket: the 95% band, the line, the target as a dashed line, below-target buckets as ▼."""
    f = FRAMES[frame]
    n = len(points)
    body = _share_grid(f)
    for run in _runs(points):
        upper = [f"{_x(f, i, n):.1f},{_y(f, points[i].high):.1f}" for i in run]
        lower = [f"{_x(f, i, n):.1f},{_y(f, points[i].low):.1f}" for i in reversed(run)]
        if len(run) == 1:  # a lone bucket: its interval as a bar
            x, p = _x(f, run[0], n), points[run[0]]
            upper = [f"{x - 3:.1f},{_y(f, p.high):.1f}", f"{x + 3:.1f},{_y(f, p.high):.1f}"]
            lower = [f"{x + 3:.1f},{_y(f, p.low):.1f}", f"{x - 3:.1f},{_y(f, p.low):.1f}"]
        body.append(f'<polygon class="band" points="{" ".join(upper + lower)}"/>')
        line = " ".join(f"{_x(f, i, n):.1f},{_y(f, points[i].share or 0):.1f}" for i in run)
        body.append(f'<polyline class="line" points="{line}"/>')
    y = _y(f, target)
    body.append(f'<line class="target" x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
    body.append(
        f'<text class="target-label" x="{f.width - f.right - 4}" y="{y - 6:.1f}" text-anchor="end">'
        f"{escape(target_label)}</text>"
    )
    for i, p in enumerate(points):
        if p.share is None:
            continue
        x, yy = _x(f, i, n), _y(f, p.share)
        if p.below:
            body.append(f'<path class="mark below" d="M {x - 5:.1f} {yy - 4:.1f} h 10 l -5 8 z"/>')
        elif n <= 62 and (frame == "wide" or n <= 31):
            body.append(f'<circle class="mark" cx="{x:.1f}" cy="{yy:.1f}" r="3"/>')
    body += _x_labels(f, [p.label for p in points])
    return _svg(body, title, desc, css=f"trend {frame}", width=f.width, height=f.height)


PATTERNS = (
    '<defs><pattern id="{p}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect class="face-neutral" width="6" height="6"/><circle class="pattern-ink" cx="3" cy="3" r="1.1"/></pattern>'
    '<pattern id="{p}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect class="face-negative" width="6" height="6"/><rect class="pattern-ink" width="1.4" height="6"/>'
    "</pattern></defs>"
)


def faces(points: Sequence[FacePoint], *, title: str, desc: str, ident: str, frame: str = "wide") -> Markup:
    """Counts per bucket as stacked bars: green at the bottom, yellow (dotted), red (hatched) on top."""
    f = FRAMES[frame]
    ident = f"{ident}-{frame}"
    n = len(points)
    top = max((p.positive + p.neutral + p.negative for p in points), default=0) or 1
    scale = (f.height - f.top - f.bottom) / top
    body = [PATTERNS.format(p=ident)]
    for step in (0, 0.5, 1):
        y = f.height - f.bottom - step * top * scale
        body.append(f'<line class="grid" x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(f'<text class="axis" x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{round(step * top)}</text>')
    width = max(1.0, (f.width - f.left - f.right) / max(n, 1) * 0.72)
    fills = (
        ("positive", 'class="face-positive"'),
        ("neutral", f'fill="url(#{ident}-dots)"'),
        ("negative", f'fill="url(#{ident}-hatch)"'),
    )
    for i, p in enumerate(points):
        base = f.height - f.bottom
        for face, fill in fills:
            h = getattr(p, face) * scale
            if h <= 0:
                continue
            base -= h
            x = _x(f, i, n) - width / 2
            body.append(f'<rect {fill} x="{x:.1f}" y="{base:.1f}" width="{width:.1f}" height="{h:.1f}"/>')
    body += _x_labels(f, [p.label for p in points])
    return _svg(body, title, desc, css=f"faces {frame}", width=f.width, height=f.height)


def face_key(face: str, ident: str) -> Markup:
    """A small swatch with the face's fill and pattern, for the legend beside `faces`."""
    fill = {"positive": 'class="face-positive"', "neutral": f'fill="url(#{ident}-dots)"'}.get(
        face, f'fill="url(#{ident}-hatch)"'
    )
    return Markup(  # noqa: S704 - fixed markup
        f'<svg class="swatch" viewBox="0 0 14 14" aria-hidden="true">{PATTERNS.format(p=ident + "-k")}'
        f'<rect {fill.replace(ident, ident + "-k")} stroke-width="1" x="0.5" y="0.5" width="13" height="13"/></svg>'
    )


CELL_W, CELL_H = 34, 26


def heat_map(
    cells: Sequence[tuple[int, int, int, float | None]],
    weekdays: Sequence[str],
    *,
    title: str,
    desc: str,
    few: int = 5,
    frame: str = "wide",
) -> Markup:
    """(weekday 1-7, hour, ratings, green share) as a grid: weekdays down and hours across (`wide`), or hours
    down and weekdays across (`narrow`, for phones). Only the hours with ratings (at least 8 to 17).

    A cell's shade deepens as its green share falls, and its percentage is written in it; cells with fewer
    than `few` ratings are hatched and show no percentage (too few to read anything into)."""
    busy = [h for _d, h, total, _s in cells if total]
    first, last = (min(busy), max(busy)) if busy else (8, 18)
    hours = list(range(min(first, 8), max(last, 17) + 1))
    days = list(range(1, 8))
    found = {(d, h): (total, share) for d, h, total, share in cells}
    wide = frame == "wide"
    rows: list[tuple[str, int]] = [(weekdays[d - 1], d) for d in days] if wide else [(f"{h:02d}", h) for h in hours]
    cols: list[tuple[str, int]] = [(f"{h:02d}", h) for h in hours] if wide else [(weekdays[d - 1], d) for d in days]
    cell_w = CELL_W if wide else 44
    left, top = 44, 22
    width, height = left + cell_w * len(cols) + 4, top + CELL_H * len(rows) + 4
    pattern = f"few-{frame}"
    body = [
        f'<defs><pattern id="{pattern}" width="5" height="5" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">'
        '<rect class="heat-none" width="5" height="5"/><rect class="pattern-faint" width="1" height="5"/>'
        "</pattern></defs>"
    ]
    for j, (label, _c) in enumerate(cols):
        x = left + j * cell_w + cell_w / 2
        body.append(f'<text class="axis" x="{x:.0f}" y="14" text-anchor="middle">{escape(label)}</text>')
    for i, (label, r) in enumerate(rows):
        y = top + i * CELL_H
        body.append(f'<text class="axis" x="{left - 6}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
        for j, (_label, c) in enumerate(cols):
            x = left + j * cell_w
            total, share = found.get((r, c) if wide else (c, r), (0, None))
            box = f'x="{x}" y="{y}" width="{cell_w - 2}" height="{CELL_H - 2}"'
            if not total or share is None:
                body.append(f'<rect class="heat-none" {box}/>')
                continue
            if total < few:
                body.append(f'<rect fill="url(#{pattern})" {box}/>')
                continue
            level = min(4, int((1 - share) * 10))  # 0: 90-100% green ... 4: under 60%
            body.append(f'<rect class="heat-{level}" {box}/>')
            body.append(
                f'<text class="heat-text heat-text-{level}" x="{x + (cell_w - 2) / 2:.0f}" y="{y + 17}"'
                f' text-anchor="middle">{round(share * 100)}</text>'
            )
    return _svg(body, title, desc, css=f"heat {frame}", width=width, height=height)


def meter(share: float, low: float, high: float, *, target: float | None = None, kind: str = "green") -> Markup:
    """A share on a 0-100% track: its 95% interval as a bar, the share as a tick, the target as a notch.

    Decorative (aria-hidden): the same numbers are written beside it."""
    w, h, pad = 100, 18, 2
    span = w - 2 * pad

    def x(v: float) -> float:
        return pad + max(0.0, min(1.0, v)) * span

    parts = [
        f'<rect class="meter-track" x="{pad}" y="7" width="{span}" height="4" rx="2"/>',
        f'<rect class="meter-band meter-{kind}" x="{x(low):.1f}" y="4" width="{max(1.5, x(high) - x(low)):.1f}"'
        ' height="10" rx="2"/>',
        f'<rect class="meter-value" x="{x(share) - 1:.1f}" y="2" width="2" height="14"/>',
    ]
    if target is not None:
        parts.append(f'<path class="meter-target" d="M {x(target):.1f} 0 v 18" />')
    return Markup(  # noqa: S704 - numbers only
        f'<svg class="meter" viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-hidden="true">{"".join(parts)}</svg>'
    )


def bar(fraction: float) -> Markup:
    """A plain horizontal bar for a ranked list (decorative: the number is written beside it)."""
    width = max(0.0, min(1.0, fraction)) * 160
    return Markup(  # noqa: S704 - numbers only
        f'<svg class="rank-bar" viewBox="0 0 160 12" width="160" height="12" aria-hidden="true">'
        f'<rect class="meter-track" width="160" height="12" rx="2"/><rect class="rank-fill" width="{width:.1f}"'
        ' height="12" rx="2"/></svg>'
    )
