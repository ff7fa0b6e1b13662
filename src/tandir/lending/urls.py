"""Lending pages under /loans/. The bank-file and document pages have url modules of their own."""

from django.urls import include, path

app_name = "lending"

urlpatterns = [
    path("bank/", include("tandir.lending.bank_urls")),
    path("documents/", include("tandir.lending.document_urls")),
]
