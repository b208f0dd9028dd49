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

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 46, 16, 14, 30


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


def _svg(body: list[str], title: str, desc: str, *, css: str, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    return Markup(  # noqa: S704 - every text inside is escaped here; numbers are formatted by us
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _x(i: int, n: int) -> float:
    step = (WIDTH - LEFT - RIGHT) / max(n, 1)
    return LEFT + (i + 0.5) * step


def _y(share: float) -> float:
    return TOP + (1 - share) * (HEIGHT - TOP - BOTTOM)


def _x_labels(labels: Sequence[str], most: int = 7) -> list[str]:
    n = len(labels)
    if not n:
        return []
    every = max(1, -(-n // most))
    out = []
    for i in range(0, n, every):
        out.append(
            f'<text class="axis" x="{_x(i, n):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(labels[i])}</text>'
        )
    return out


def _share_grid() -> list[str]:
    out = []
    for step in (0, 0.25, 0.5, 0.75, 1):
        y = _y(step)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = f"{int(step * 100)}%"
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
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


def trend(points: Sequence[TrendPoint], target: float, *, title: str, desc: str, target_label: str) -> Markup:
    """Green share per bucket: the 95% band, the line, the target as a dashed line, below-target buckets as ▼."""
    n = len(points)
    body = _share_grid()
    for run in _runs(points):
        upper = [f"{_x(i, n):.1f},{_y(points[i].high):.1f}" for i in run]
        lower = [f"{_x(i, n):.1f},{_y(points[i].low):.1f}" for i in reversed(run)]
        if len(run) == 1:  # a lone bucket: its interval as a bar
            x = _x(run[0], n)
            upper = [f"{x - 3:.1f},{_y(points[run[0]].high):.1f}", f"{x + 3:.1f},{_y(points[run[0]].high):.1f}"]
            lower = [f"{x + 3:.1f},{_y(points[run[0]].low):.1f}", f"{x - 3:.1f},{_y(points[run[0]].low):.1f}"]
        body.append(f'<polygon class="band" points="{" ".join(upper + lower)}"/>')
        line = " ".join(f"{_x(i, n):.1f},{_y(points[i].share or 0):.1f}" for i in run)
        body.append(f'<polyline class="line" points="{line}"/>')
    y = _y(target)
    body.append(f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
    body.append(
        f'<text class="target-label" x="{WIDTH - RIGHT - 4}" y="{y - 6:.1f}" text-anchor="end">'
        f"{escape(target_label)}</text>"
    )
    for i, p in enumerate(points):
        if p.share is None:
            continue
        x, yy = _x(i, n), _y(p.share)
        if p.below:
            body.append(f'<path class="mark below" d="M {x - 5:.1f} {yy - 4:.1f} h 10 l -5 8 z"/>')
        elif n <= 62:
            body.append(f'<circle class="mark" cx="{x:.1f}" cy="{yy:.1f}" r="3"/>')
    body += _x_labels([p.label for p in points])
    return _svg(body, title, desc, css="trend")


PATTERNS = (
    '<defs><pattern id="{p}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect class="face-neutral" width="6" height="6"/><circle class="pattern-ink" cx="3" cy="3" r="1.1"/></pattern>'
    '<pattern id="{p}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect class="face-negative" width="6" height="6"/><rect class="pattern-ink" width="1.4" height="6"/>'
    "</pattern></defs>"
)


def faces(points: Sequence[FacePoint], *, title: str, desc: str, ident: str) -> Markup:
    """Counts per bucket as stacked bars: green at the bottom, yellow (dotted), red (hatched) on top."""
    n = len(points)
    top = max((p.positive + p.neutral + p.negative for p in points), default=0) or 1
    scale = (HEIGHT - TOP - BOTTOM) / top
    body = [PATTERNS.format(p=ident)]
    for step in (0, 0.5, 1):
        y = HEIGHT - BOTTOM - step * top * scale
        body.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{round(step * top)}</text>')
    width = max(1.0, (WIDTH - LEFT - RIGHT) / max(n, 1) * 0.72)
    fills = (
        ("positive", 'class="face-positive"'),
        ("neutral", f'fill="url(#{ident}-dots)"'),
        ("negative", f'fill="url(#{ident}-hatch)"'),
    )
    for i, p in enumerate(points):
        base = HEIGHT - BOTTOM
        for face, fill in fills:
            h = getattr(p, face) * scale
            if h <= 0:
                continue
            base -= h
            body.append(
                f'<rect {fill} x="{_x(i, n) - width / 2:.1f}" y="{base:.1f}" width="{width:.1f}" height="{h:.1f}"/>'
            )
    body += _x_labels([p.label for p in points])
    return _svg(body, title, desc, css="faces")


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
) -> Markup:
    """(weekday 1-7, hour, ratings, green share) as a grid: rows Monday..Sunday, columns the hours with ratings.

    A cell's shade deepens as its green share falls, and its percentage is written in it; cells with fewer
    than `few` ratings are hatched and show no percentage (too few to read anything into)."""
    busy = [h for _d, h, total, _s in cells if total]
    first, last = (min(busy), max(busy)) if busy else (8, 18)
    first, last = min(first, 8), max(last, 17)
    hours = list(range(first, last + 1))
    left, top = 44, 22
    width, height = left + CELL_W * len(hours) + 4, top + CELL_H * 7 + 4
    found = {(d, h): (total, share) for d, h, total, share in cells}
    body = [
        '<defs><pattern id="few" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect class="heat-none" width="5" height="5"/><rect class="pattern-faint" width="1" height="5"/>'
        "</pattern></defs>"
    ]
    for j, h in enumerate(hours):
        x = left + j * CELL_W + CELL_W / 2
        body.append(f'<text class="axis" x="{x:.0f}" y="14" text-anchor="middle">{h:02d}</text>')
    for d in range(1, 8):
        y = top + (d - 1) * CELL_H
        body.append(
            f'<text class="axis" x="{left - 6}" y="{y + 17}" text-anchor="end">{escape(weekdays[d - 1])}</text>'
        )
        for j, h in enumerate(hours):
            x = left + j * CELL_W
            total, share = found.get((d, h), (0, None))
            if not total or share is None:
                body.append(f'<rect class="heat-none" x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}"/>')
                continue
            if total < few:
                body.append(f'<rect fill="url(#few)" x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}"/>')
                continue
            level = min(4, int((1 - share) * 10))  # 0: 90-100% green ... 4: under 60%
            body.append(f'<rect class="heat-{level}" x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}"/>')
            body.append(
                f'<text class="heat-text heat-text-{level}" x="{x + (CELL_W - 2) / 2:.0f}" y="{y + 17}"'
                f' text-anchor="middle">{round(share * 100)}</text>'
            )
    return _svg(body, title, desc, css="heat", width=width, height=height)


def meter(share: float, low: float, high: float, *, target: float | None = None, kind: str = "green") -> Markup:
    """A share on a 0-100% track: its 95% interval as a bar, the share as a tick, the target as a notch.

    Decorative (aria-hidden): the same numbers are written beside it."""
    w, h, pad = 120, 18, 2
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
