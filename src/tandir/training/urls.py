"""Training pages: curriculum, cohorts, attendance, certificates and their public check."""

from django.urls import URLPattern, URLResolver

app_name = "training"

urlpatterns: list[URLPattern | URLResolver] = []
