"""Server-side SVG charts: no script, no CDN, and every value written out as text, so a
chart reads the same without colour (status is a symbol and a fill pattern, not a hue)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalog.models import SyncRun

# Status -> (symbol, fill). Fills differ in pattern as well as shade.
STATUS_MARK = {
    SyncRun.Status.SUCCEEDED: ("✓", "url(#solid)"),
    SyncRun.Status.FAILED: ("✗", "url(#hatch)"),
    SyncRun.Status.CANCELLED: ("⊘", "url(#dots)"),
}
PATTERNS = (
    '<defs><pattern id="solid" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="4" height="4" fill="#3d6fb6"/></pattern>'
    '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<rect width="3" height="6" fill="#b3261e"/></pattern>'
    '<pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#fff"/><circle cx="3" cy="3" r="1.6" fill="#555"/>'
    '</pattern></defs>'
)


def _svg(parts: list[str]) -> SafeString:
    """Join the pieces; every text interpolated into them went through ``escape``."""
    return mark_safe("".join(parts))  # noqa: S308 - labels are escaped where inserted


def bar_chart(rows: Sequence[tuple[str, int]], *, title: str, width: int = 420) -> SafeString:
    """Horizontal bars, label at the left and the count at the bar's end."""
    if not rows:
        return _svg([])
    bar_h, gap, label_w, value_w = 16, 6, 170, 48
    height = len(rows) * (bar_h + gap) + gap
    top = max(value for _, value in rows) or 1
    span = width - label_w - value_w
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
             f'<title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(1, round(span * value / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" font-size="12">'
            f'{escape(label[:28])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#3d6fb6">'
            f'<title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_w + w + 4}" y="{y + 12}" font-size="12">{value}</text>')
    parts.append("</svg>")
    return _svg(parts)


def _seconds(run: SyncRun) -> float:
    if run.started_at and run.finished_at:
        return max(0.0, (run.finished_at - run.started_at).total_seconds())
    return 0.0


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return str(timedelta(seconds=round(seconds)))


def runs_svg(runs: Sequence[SyncRun], *, title: str, width: int = 520) -> SafeString:
    """One bar per run (oldest left), height = duration; a symbol above each bar names its
    status and the longest duration is written on the axis."""
    height, axis, top_pad = 120, 18, 16
    plot_h = height - axis - top_pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
             f'<title>{escape(title)}</title>{PATTERNS}']
    if not runs:
        parts.append(f'<text x="8" y="{height // 2}" font-size="12">no finished runs yet</text>'
                     '</svg>')
        return _svg(parts)
    longest = max(_seconds(run) for run in runs) or 1.0
    slot = (width - 60) / max(len(runs), 1)
    bar_w = max(3.0, slot * 0.7)
    for i, run in enumerate(runs):
        seconds = _seconds(run)
        symbol, fill = STATUS_MARK.get(run.status, ("?", "#999"))
        h = max(2.0, plot_h * seconds / longest)
        x = 56 + i * slot
        y = top_pad + plot_h - h
        parts.append(
            f'<g><title>#{run.pk} {escape(run.scope)} {run.status}: {duration_text(seconds)}, '
            f'{run.processed} items</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{fill}" '
            f'stroke="#1d2330" stroke-width="0.6"/>'
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
            f'font-size="10">{symbol}</text></g>')
    parts.append(
        f'<line x1="54" y1="{top_pad + plot_h}" x2="{width}" y2="{top_pad + plot_h}" '
        f'stroke="#1d2330"/><text x="50" y="{top_pad + 8}" text-anchor="end" font-size="10">'
        f'{duration_text(longest)}</text><text x="50" y="{top_pad + plot_h}" '
        f'text-anchor="end" font-size="10">0</text>'
        f'<text x="56" y="{height - 4}" font-size="10">oldest … newest of {len(runs)} · '
        f'✓ succeeded ✗ failed ⊘ cancelled</text></svg>')
    return _svg(parts)
