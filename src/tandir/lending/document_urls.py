"""Loan documents as PDF, under /loans/documents/ (names in the `lending` namespace)."""

from django.urls import path

from tandir.lending import document_views as views

urlpatterns = [
    path("<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("<int:pk>/schedule.pdf", views.schedule_pdf, name="schedule_pdf"),
    path("<int:pk>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("receipts/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("sheets/<int:pk>.pdf", views.sheet_pdf, name="sheet_pdf"),
]
