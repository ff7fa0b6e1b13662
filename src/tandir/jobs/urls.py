"""Scheduled job pages: the last runs of close of business, their duration and failures."""

from django.urls import URLPattern, URLResolver

app_name = "jobs"

urlpatterns: list[URLPattern | URLResolver] = []
