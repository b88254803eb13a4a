"""Shows and episodes: the catalog every source feeds."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Show(models.Model):
    """One TV series, whatever source told us about it, carrying every external id it has."""

    class TmdbStatus(models.TextChoices):
        UNKNOWN = "unknown", "Unknown (placeholder)"
        FRESH = "fresh", "Fresh"
        NOT_FOUND = "not_found", "Not on TMDB"
        ERROR = "error", "Error"
        AMBIGUOUS = "ambiguous", "Ambiguous on TMDB"  # several /find hits, none decided

    class LoadingStatus(models.TextChoices):
        """``idle`` (never asked) -> ``pending`` -> ``loading_<part>`` -> an outcome."""

        IDLE = "idle", "Idle"
        PENDING = "pending", "Pending"
        LOADING_FACTS = "loading_facts", "Loading facts"
        LOADING_EPISODES = "loading_episodes", "Loading episodes"
        LOADING_METADATA = "loading_metadata", "Loading metadata"
        LOADING_ARTWORK = "loading_artwork", "Loading artwork"
        COMPLETED = "completed", "Completed"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"

    tvmaze_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    tvdb_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    imdb_id = models.CharField(max_length=16, null=True, blank=True, unique=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, unique=True)

    title = models.CharField(max_length=500)  # indexed in Meta: no pattern-ops twin
    language = models.CharField(max_length=64, blank=True, default="")
    country = models.CharField(max_length=8, blank=True, default="")
    type = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=64, blank=True, default="")
    premiered = models.DateField(null=True, blank=True)
    ended = models.DateField(null=True, blank=True)
    network = models.CharField(max_length=200, blank=True, default="")
    web_channel = models.CharField(max_length=200, blank=True, default="")
    genres = models.JSONField(default=list, blank=True)
    runtime = models.PositiveIntegerField(null=True, blank=True)
    rating = models.FloatField(null=True, blank=True)
    tvmaze_updated_at = models.DateTimeField(null=True, blank=True)

    tmdb_status = models.CharField(
        max_length=16, choices=TmdbStatus.choices, default=TmdbStatus.UNKNOWN
    )
    overview = models.TextField(blank=True, default="")
    tmdb_seasons = models.PositiveIntegerField(null=True, blank=True)
    tmdb_episodes = models.PositiveIntegerField(null=True, blank=True)
    poster_path = models.CharField(max_length=200, blank=True, default="")
    backdrop_path = models.CharField(max_length=200, blank=True, default="")
    tmdb_fetched_at = models.DateTimeField(null=True, blank=True)
    # Days taken off the TTL for this row, drawn at each refresh, so that a bulk first pass
    # does not make the whole library expire on the same day.
    tmdb_jitter_days = models.PositiveSmallIntegerField(default=0)
    tmdb_series_status = models.CharField(max_length=32, blank=True, default="",
                                          help_text="TMDB's own status, e.g. Returning Series.")
    # [[season_number, episode_count], ...] from TMDB, specials apart: the episode slots.
    tmdb_season_episodes = models.JSONField(default=list, blank=True)

    loading_status = models.CharField(
        max_length=16, choices=LoadingStatus.choices, default=LoadingStatus.IDLE
    )
    # One flag per part (``tmdb_loaded`` is the ``metadata`` part); see catalog.sync.loading.
    facts_loaded = models.BooleanField(default=False)
    episodes_loaded = models.BooleanField(default=False)
    tmdb_loaded = models.BooleanField(default=False)
    artwork_loaded = models.BooleanField(default=False)
    loading_started_at = models.DateTimeField(null=True, blank=True)
    loading_completed_at = models.DateTimeField(null=True, blank=True)
    loading_error = models.TextField(blank=True, default="")
    # The load queue: parts still to do, their tries and last errors, when the next try may
    # start, and who holds the show now (a loader run's owner token).
    loading_parts = models.JSONField(default=list, blank=True)
    loading_attempts = models.JSONField(default=dict, blank=True)
    loading_errors = models.JSONField(default=dict, blank=True)
    loading_next_at = models.DateTimeField(null=True, blank=True)
    loading_owner = models.CharField(max_length=32, blank=True, default="")
    loading_changed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # "An operator added it" (by the API, the admin's Add show page or its "Add to the
    # library" action): set, it puts the show in the library (``catalog.models.library``).
    added_at = models.DateTimeField(
        null=True, blank=True, help_text="When an operator added it to the library.")
    added_by = models.CharField(max_length=150, blank=True, default="")
    logo_path = models.CharField(max_length=200, blank=True, default="")
    # kind -> the TMDB path whose file sits in DATA_DIR/artwork (downloaded once per path).
    artwork = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["title"], name="show_title"),
            models.Index(fields=["tmdb_status", "tmdb_fetched_at"], name="show_tmdb_refresh"),
            models.Index(fields=["loading_status", "loading_next_at"], name="show_loading_queue"),
            # The operator's adds: the library's third part (catalog.models.library), a few rows.
            models.Index(fields=["added_at"], name="show_operator_added",
                         condition=models.Q(added_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def operator_added(self) -> bool:
        """Whether an operator added it to the library: ``added_at`` is the one fact."""
        return self.added_at is not None

    @operator_added.setter
    def operator_added(self, added: bool) -> None:
        if not added:
            self.added_at, self.added_by = None, ""
        elif self.added_at is None:
            self.added_at = timezone.now()

    @property
    def is_placeholder(self) -> bool:
        """No TMDB pass has touched it yet, so ``tmdb_id_refresh`` refreshes it whatever the TTL.

        Shows from the TVMaze mirror start this way too; only library shows in this state
        count as placeholders awaiting TMDB (``catalog.models.library.placeholders``).
        """
        return self.tmdb_status == self.TmdbStatus.UNKNOWN


class Episode(models.Model):
    """One episode of a show; specials have no number."""

    # No index of its own: the (show, season, number) unique index leads with it.
    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="episodes",
                             db_index=False)
    season = models.PositiveIntegerField()
    number = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True, default="")
    airdate = models.DateField(null=True, blank=True)
    runtime = models.PositiveIntegerField(null=True, blank=True)
    tvmaze_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["show_id", "season", "number", "id"]
        indexes = [models.Index(fields=["show", "season", "number"], name="episode_show_se")]

    def __str__(self) -> str:
        number = "special" if self.number is None else f"E{self.number:02d}"
        return f"S{self.season:02d}{number} {self.title}".strip()
