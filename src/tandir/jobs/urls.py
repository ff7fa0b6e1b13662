"""Scheduled job pages: the last runs of close of business, their duration and failures."""

from django.urls import URLPattern, URLResolver, path

from tandir.jobs import views

app_name = "jobs"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.runs, name="runs"),
    path("run-now/", views.run_now, name="run_now"),
    path("schedule/", views.set_schedule, name="schedule"),
]
