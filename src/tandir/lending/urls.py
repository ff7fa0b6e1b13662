"""Lending pages under /loans/. Bank files, documents and the officer's day have url modules of
their own."""

from django.urls import include, path

from tandir.lending import views

app_name = "lending"

urlpatterns = [
    path("bank/", include("tandir.lending.bank_urls")),
    path("documents/", include("tandir.lending.document_urls")),
    path("day/", include("tandir.lending.officer_urls")),
    # The loan cycle's own pages.
    path("", views.loan_list, name="list"),
    path("apply/<int:person>/", views.apply, name="apply"),
    path("disbursements/new/", views.instruct_many, name="instruct_many"),
    path("repayments/<int:pk>/reverse/", views.reverse_repayment, name="reverse_repayment"),
    path("changes/<int:pk>/decide/", views.decide_change, name="decide_change"),
    path("<int:pk>/", views.loan_detail, name="detail"),
    path("<int:pk>/appraise/", views.appraise, name="appraise"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/instruct/", views.instruct_one, name="instruct"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/repay/", views.repay, name="repay"),
    path("<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("<int:pk>/change/", views.request_change, name="request_change"),
    path("<int:pk>/attach/", views.attach_document, name="attach_document"),
    path("<int:pk>/files/<int:document>/", views.document_file, name="document_file"),
    path("<int:pk>/<str:step>/", views.reason_step, name="step"),
]
