"""The catalog app: models, syncs, surfaces; registers each run kind's work (importing
``catalog.sync.dispatch``), connects the login-throttle signals, the rules hook of the show
writer, the worker start-up checks, the loading hooks and the receivers that
keep Plex library schedules in step with the libraries and artwork with the shows."""

from typing import Any

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from catalog import tasks
        from catalog.auth import throttle  # noqa: F401  (connects the failed-login receivers)
        from catalog.rules.decide import decide_shows
        from catalog.rules.preview import facts_version_renew
        from catalog.runs.schedules import connect_schedule_signals
        from catalog.sync import (
            dispatch,  # noqa: F401  (registers each kind's work with runs)
            signals,
        )
        from catalog.sync.loading.queue import shows_queue_new, shows_refresh_episodes

        for hook in (decide_shows, shows_refresh_episodes, facts_version_renew):
            signals.on_shows_changed(hook)
        signals.on_shows_entered_library(shows_queue_new)
        post_spawn.connect(tasks.worker_spawned, dispatch_uid="catalog.worker_spawned")
        post_spawn.connect(_refilter_stale_rules, dispatch_uid="catalog.refilter_stale")
        connect_schedule_signals()
        _forget_artwork_of_deleted_shows()
        _save_upstream_counters_after_work()
        _teach_log_scrubber()


def _save_upstream_counters_after_work() -> None:
    """Web requests and queued tasks that called an upstream leave their counts in the table."""
    from django.core.signals import request_finished
    from django_q.signals import post_execute_in_worker

    from catalog.runs.counters import upstream_counters_flush_quietly

    request_finished.connect(upstream_counters_flush_quietly,
                             dispatch_uid="catalog.upstream_counters.request")
    post_execute_in_worker.connect(upstream_counters_flush_quietly,
                                   dispatch_uid="catalog.upstream_counters.task")


def _forget_artwork_of_deleted_shows() -> None:
    from django.db.models.signals import post_delete

    from catalog.models import Show
    from catalog.sync.loading.artwork import artwork_forget

    post_delete.connect(artwork_forget, sender=Show, dispatch_uid="catalog.artwork_forget")


def _teach_log_scrubber() -> None:
    """Every log line of this process masks the configured upstream keys by value, even
    where no client has been built yet (Plex and Sonarr keys are learnt as clients are)."""
    from django.conf import settings

    from integrations.errors import Scrubber, install_log_scrubber
    from integrations.http import DEFAULT_SECRET_NAMES

    keys = {"api_key": settings.TMDB_API_KEY or "", "apikey": settings.TVMAZE_API_KEY or ""}
    install_log_scrubber(Scrubber.for_config(DEFAULT_SECRET_NAMES, params=keys))


def _refilter_stale_rules(sender: Any = None, **kwargs: Any) -> None:
    """A worker starting notices rules whose filters changed while it was down; one refilter
    per rule is claimed, however many workers start together."""
    import logging

    from catalog.rules.services import rules_refilter_stale

    try:
        rules_refilter_stale(triggered_by="startup")
    except Exception:  # never keep a worker from starting
        logging.getLogger(__name__).exception("start-up rule check failed")
