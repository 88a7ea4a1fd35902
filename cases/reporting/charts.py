"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable on a closed network.

Each function returns markup that is safe to embed: every label goes through `escape`. Every word and figure
is in the page's language (the callers pass translated labels; the words drawn here are translated, shares read
through `cases.core.display.percent`), and a bar or a day that counts cases links to the list it counts (`href`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.core.display import percent

PALETTE = {
    "overdue": "#c0392b",
    "due_soon": "#e67e22",
    "on_time": "#2e86c1",
    "with_ministry": "#95a5a6",
    "received": "#2e86c1",
    "actioned": "#27ae60",
    "share": "#27ae60",
    "share_low": "#c0392b",
}
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: int
    href: str = ""  # the list this segment counts


def _link(href: str, inner: str) -> str:
    """An SVG link around `inner` when there is a list to open."""
    return f'<a href="{escape(href)}" class="patuh-chart-link">{inner}</a>' if href else inner


def legend(items: Sequence[tuple[str, str]], *, x: int, y: int) -> str:
    out, cursor = [], x
    for key, label in items:
        out.append(f'<rect x="{cursor}" y="{y - 10}" width="12" height="12" fill="{PALETTE[key]}"/>'
                   f'<text x="{cursor + 16}" y="{y}" {FONT}>{escape(label)}</text>')
        cursor += 24 + 7 * len(str(label))
    return "".join(out)


def stacked_bars(rows: Sequence[tuple[str, Sequence[Segment]]], *, title: str, width: int = 640) -> SafeString:
    """One horizontal bar per row, split into segments (e.g. open cases per platform by deadline state)."""
    label_w, bar_h, gap, top = 130, 22, 10, 34
    height = top + len(rows) * (bar_h + gap) + 10
    biggest = max((sum(s.value for s in segs) for _l, segs in rows), default=0) or 1
    scale = (width - label_w - 60) / biggest
    parts = [f'<text x="0" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    keys = []
    for i, (label, segments) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + 15}" {FONT}>{escape(label)}</text>')
        x = label_w
        for seg in segments:
            if (seg.key, seg.label) not in keys:
                keys.append((seg.key, seg.label))
            if seg.value <= 0:
                continue
            w = max(seg.value * scale, 2)
            parts.append(_link(seg.href,
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[seg.key]}">'
                f"<title>{escape(label)}: {seg.value} {escape(seg.label)}</title></rect>"
            ))
            x += w
        total = sum(s.value for s in segments)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" {FONT}>{total}</text>')
    if not rows:
        parts.append(f'<text x="0" y="{top + 14}" {FONT}>—</text>')
    parts.append(legend(keys, x=label_w, y=height - 2))
    return _svg(parts, width, height + 14, title)


def percent_bars(rows: Sequence[tuple[str, float | None, str, str]], *, title: str, width: int = 640,
                 target: float = 0.9) -> SafeString:
    """One bar per row (label, share 0–1, note, href of the list it counts) showing a share; bars below
    `target` are drawn in the warning colour."""
    label_w, bar_h, gap, top = 130, 22, 10, 34
    height = top + len(rows) * (bar_h + gap)
    span = width - label_w - 70
    parts = [f'<text x="0" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    for i, (label, share, note, href) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + 15}" {FONT}>{escape(label)}</text>')
        if share is None:
            empty = escape(note or _("no cases"))
            parts.append(_link(href, f'<rect x="{label_w}" y="{y}" width="{span}" height="{bar_h}" fill="#ecf0f1">'
                                     f"<title>{escape(label)}: {empty}</title></rect>"
                                     f'<text x="{label_w + 6}" y="{y + 15}" {FONT}>{empty}</text>'))
            continue
        colour = PALETTE["share"] if share >= target else PALETTE["share_low"]
        parts.append(_link(href,
            f'<rect x="{label_w}" y="{y}" width="{span}" height="{bar_h}" fill="#ecf0f1"/>'
            f'<rect x="{label_w}" y="{y}" width="{share * span:.1f}" height="{bar_h}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(percent(share))} {escape(note)}</title></rect>"
            f'<text x="{label_w + span + 6}" y="{y + 15}" {FONT}>{escape(percent(share))}</text>'
        ))
    tx = label_w + target * span
    goal = _("target %(share)s") % {"share": percent(target)}
    parts.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height}" stroke="#34495e" '
                 f'stroke-dasharray="4 3"><title>{escape(goal)}</title></line>')
    return _svg(parts, width, height + 6, title)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *, title: str,
               width: int = 640, height: int = 220, links: Sequence[str] = ()) -> SafeString:
    """Daily series: one polyline per (key, label, values), with a y axis and a few date ticks. With `links`
    (one per day), each day's column is a link to the list of that day (its tooltip gives the day's figures)."""
    left, right, top, bottom = 36, 10, 30, 40
    n = len(labels)
    peak = max((max(values, default=0) for _k, _l, values in series), default=0) or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(i: int, v: int) -> tuple[float, float]:
        x = left + (plot_w * i / max(n - 1, 1))
        return x, top + plot_h - plot_h * v / peak

    parts = [f'<text x="0" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        y = top + plot_h - plot_h * frac
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ecf0f1"/>'
                     f'<text x="0" y="{y + 4:.1f}" {FONT}>{round(peak * frac)}</text>')
    step = max(n // 6, 1)
    for i in range(0, n, step):
        x, _y = xy(i, 0)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" {FONT} text-anchor="middle">'
                     f"{escape(labels[i])}</text>")
    for key, label, values in series:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        total = ngettext("%(label)s: %(total)s in %(n)s day", "%(label)s: %(total)s in %(n)s days", n) % {
            "label": label, "total": sum(values), "n": n}
        parts.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[key]}" stroke-width="2">'
                     f"<title>{escape(total)}</title></polyline>")
    column = plot_w / max(n - 1, 1)
    for i, href in enumerate(links):
        if not href:
            continue
        x, _y = xy(i, 0)
        figures = ", ".join(f"{values[i]} {label}" for _k, label, values in series)
        parts.append(_link(href, f'<rect x="{x - column / 2:.1f}" y="{top}" width="{column:.1f}" height="{plot_h}" '
                                 f'fill="transparent"><title>{escape(labels[i])}: {escape(figures)}</title></rect>'))
    parts.append(legend([(k, lbl) for k, lbl, _v in series], x=left, y=height - 4))
    return _svg(parts, width, height, title)


def _svg(parts: list[str], width: int, height: float, title: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every label above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height:.0f}" width="100%" preserveAspectRatio="xMinYMin meet">'
        + "".join(parts) + "</svg>"
    )
