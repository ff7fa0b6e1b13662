"""Event pages: events and registrations, the investor pipeline, cooperation agreements."""

from django.urls import URLPattern, URLResolver

app_name = "events"

urlpatterns: list[URLPattern | URLResolver] = []
