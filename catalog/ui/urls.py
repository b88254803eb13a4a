"""The web UI's routes."""

from django.urls import path

from catalog.ui.views import actions, dashboard, libraries, rules, runs, shows

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("shows/", shows.shows_list, name="ui-shows"),
    path("shows/<int:show_id>/", shows.show_detail, name="ui-show"),
    path("shows/<int:show_id>/<str:action>/", actions.show_action, name="ui-show-action"),
    path("libraries/", libraries.libraries, name="ui-libraries"),
    path("libraries/servers/<int:server_id>/", libraries.server, name="ui-server"),
    path("rules/", rules.rules, name="ui-rules"),
    path("runs/", runs.runs, name="ui-runs"),
    path("runs/active/", runs.runs_active, name="ui-runs-active"),
    path("runs/<int:run_id>/cancel/", actions.cancel, name="ui-run-cancel"),
    path("sync/<str:kind>/", actions.sync, name="ui-sync"),
    path("decisions/review/", actions.review, name="ui-review"),
]
