"""Routes of the network pages (gathered by `tandir.reports.urls`)."""

from django.urls import URLPattern, URLResolver, path

from tandir.reports import views_network

urlpatterns: list[URLPattern | URLResolver] = [
    path("network/", views_network.network, name="network"),
    path("network/figures.xlsx", views_network.network_export, name="network_export"),
    path("network/sharing/", views_network.sharing, name="network_sharing"),
]
