"""Report pages: each area keeps its own routes in its own module, gathered here."""

from django.urls import URLPattern, URLResolver

from tandir.reports import urls_dashboard, urls_donor, urls_network, urls_portfolio

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_dashboard.urlpatterns,
    *urls_portfolio.urlpatterns,
    *urls_donor.urlpatterns,
    *urls_network.urlpatterns,
]
