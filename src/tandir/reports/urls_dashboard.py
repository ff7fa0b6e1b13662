"""Routes of the dashboard pages (gathered by `tandir.reports.urls`)."""

from django.urls import URLPattern, URLResolver, path

from tandir.reports import views_dashboard

urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
]
