"""Impact monitoring pages: instruments, data entry, imports and follow-up planning."""

from django.urls import URLPattern, URLResolver

app_name = "impact"

urlpatterns: list[URLPattern | URLResolver] = []
