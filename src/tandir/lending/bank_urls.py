"""Pages of a partner bank's files under /loans/bank/: statements and disbursement files."""

from django.urls import path

from tandir.lending import bank_views

urlpatterns = [
    path("", bank_views.bank_statements_page, name="bank_statements"),
    path("statements/<int:pk>/", bank_views.bank_statement_page, name="bank_statement"),
    path(
        "disbursements/<int:pk>/instruction.<str:fmt>",
        bank_views.disbursement_file,
        name="disbursement_file",
    ),
]
