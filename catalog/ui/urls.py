"""The web UI's routes."""

from django.urls import path, register_converter

from catalog.ui.ids import IdConverter
from catalog.ui.views import actions, dashboard, libraries, rules, runs, shows

register_converter(IdConverter, "id")

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("shows/", shows.shows_list, name="ui-shows"),
    path("shows/<id:show_id>/", shows.show_detail, name="ui-show"),
    path("shows/<id:show_id>/<str:action>/", actions.show_action, name="ui-show-action"),
    path("libraries/", libraries.libraries, name="ui-libraries"),
    path("libraries/servers/<id:server_id>/", libraries.server, name="ui-server"),
    path("rules/", rules.rules, name="ui-rules"),
    path("rules/<id:rule_id>/preview/", rules.rule_preview, name="ui-rule-preview"),
    path("runs/", runs.runs, name="ui-runs"),
    path("runs/active/", runs.runs_active, name="ui-runs-active"),
    path("runs/history/", runs.runs_history, name="ui-runs-history"),
    path("runs/<id:run_id>/cancel/", actions.cancel, name="ui-run-cancel"),
    path("sync/<str:kind>/", actions.sync, name="ui-sync"),
    path("decisions/review/", actions.review, name="ui-review"),
]
