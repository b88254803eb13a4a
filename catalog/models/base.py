"""What every upstream server row shares; its secret field is each subclass's own."""

from __future__ import annotations

from django.db import models

from catalog.models.validators import validate_server_url


class UpstreamServer(models.Model):
    """A server mediasync talks to. Subclasses add the credential, which no str/repr shows."""

    name = models.CharField(max_length=100, unique=True)
    url = models.CharField(max_length=300, validators=[validate_server_url])
    enabled = models.BooleanField(default=True)
    version = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.pk} {self.name!r}>"
