"""Routes of the network pages (gathered by `tandir.reports.urls`)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
