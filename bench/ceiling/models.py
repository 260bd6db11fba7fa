from django.conf import settings
from django.db import models


class Ping(models.Model):
    """One row per ceiling request: who sent it and the client's reference."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_ref = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.client_ref
