"""Server-side SVG charts: no JavaScript chart library, nothing to download, prints well."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart"]

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 380  # room for the longest area name (50 characters at 13 px)
CHART_WIDTH = 860


def bar_chart(title: str, rows: Sequence[tuple[str, int]], *, chart_id: str) -> Markup:
    """A horizontal bar chart of (label, count) rows, as accessible inline SVG.

    The SVG carries a <title> and each bar its count as text, so a screen reader and a
    printout both get the figures, not just the shapes.
    """
    top = max((value for _, value in rows), default=0)
    scale = (CHART_WIDTH - LABEL_WIDTH - 60) / top if top else 0.0
    height = max(len(rows), 1) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        width = max(value * scale, 1 if value else 0)
        middle = y + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'font-size="13" fill="#1d2329">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'rx="3" fill="#0b5394"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{middle}" font-size="13" '
            f'fill="#1d2329">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
