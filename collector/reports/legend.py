"""What every rendering of the report says about how to read it: the flag, the intervals, participation."""

from __future__ import annotations

from babel.numbers import format_percent

from collector.reports.model import MonthlyReport
from i18n import N_, translator

LEGEND = (
    N_(
        "Shares count ratings without misuse. The range after a share is its {confidence} interval (Wilson): with few "
        "ratings it is wide, and the true share most likely lies inside it."
    ),
    N_(
        "Below target: even the most favourable end of the interval misses the target (green share under "
        "{green}, or red share over {red}, for the organisation's default target), with at least {min} ratings. "
        "Fewer ratings: not enough data. Service points and services may have targets of their own."
    ),
    N_(
        "Misuse: presses in bursts (a child, an angry citizen pressing many times) are kept apart and not counted "
        "in shares or flags."
    ),
    N_(
        "Participation rate: ratings divided by citizens served, over the days or hours for which citizens "
        "served were posted, for the same service points and services. Unknown when nothing was posted."
    ),
    N_(
        "Changes are differences of the green share, in percentage points, from the month before and from the "
        "same month a year earlier. Months are local time ({zone})."
    ),
)


def legend(report: MonthlyReport, lang: str) -> list[str]:
    t = translator(lang)
    target = report.overall.target
    values = {
        "green": format_percent(target.min_green_share, locale=lang),
        "red": format_percent(target.max_red_share, locale=lang),
        "min": str(target.min_ratings),
        "zone": report.timezone,
        "confidence": format_percent(0.95, locale=lang),
    }
    return [t(text, **{k: v for k, v in values.items() if "{" + k + "}" in text}) for text in LEGEND]
