"""Routes of the donor pages (gathered by `tandir.reports.urls`)."""

from django.urls import URLPattern, URLResolver, path

from tandir.reports import views_donor

urlpatterns: list[URLPattern | URLResolver] = [
    path("donor/", views_donor.donor, name="donor"),
    path("donor/records/<slug:key>/", views_donor.donor_records, name="donor_records"),
    path("donor/run/", views_donor.donor_run, name="donor_run"),
    path("runs/<int:pk>/", views_donor.run_detail, name="run"),
    path("runs/<int:pk>/download/", views_donor.run_download, name="run_download"),
    path("exchange-rates/", views_donor.exchange_rates, name="exchange_rates"),
    path(
        "exchange-rates/<int:pk>/delete/",
        views_donor.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
]
