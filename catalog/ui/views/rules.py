"""Discovery rules: decision counts, top filter reasons, validation and preview."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from catalog.auth.roles import Role
from catalog.models import DiscoveryRule
from catalog.ui import charts, selectors
from catalog.ui.access import ui_view
from catalog.ui.labels import reason_label


def _render(request: HttpRequest, **extra: object) -> HttpResponse:
    rows = selectors.rules_overview()
    for row in rows:
        row.chart = charts.bar_chart([(reason_label(why), n) for why, n in row.reasons],
                                     title=f"Top filter reasons of {row.rule.name}")
    status = 400 if extra.get("preview_error") else 200
    return render(request, "ui/rules.html", {"rows": rows, "statuses": selectors.DECISION_STATUSES,
                                             **extra}, status=status)


@ui_view()
def rules(request: HttpRequest) -> HttpResponse:
    return _render(request)


@ui_view(Role.OPERATOR)
def rule_preview(request: HttpRequest, rule_id: int) -> HttpResponse:
    """What the edited filters would admit; nothing is saved (admins edit in the admin)."""
    rule = get_object_or_404(DiscoveryRule.objects.prefetch_related("selections"), pk=rule_id)
    text = request.GET.get("filters")
    if text is None:  # a bare link previews the stored filters
        text = selectors.rule_spec_text(rule)
    try:
        preview = selectors.rule_preview(rule, text)
    except selectors.PreviewError as exc:
        return _render(request, preview_rule=rule.pk, preview_text=text[:20_000],
                       preview_error=str(exc))
    return _render(request, preview_rule=rule.pk, preview_text=text, preview=preview)
