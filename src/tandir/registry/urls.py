from django.urls import path

from tandir.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.beneficiary_list, name="list"),
    path("new/", views.beneficiary_create, name="create"),
    path("options/<str:field>/", views.place_options, name="place_options"),
    path("export.<str:file_format>", views.beneficiary_export, name="export"),
    path("<int:pk>/", views.beneficiary_detail, name="detail"),
    path("<int:pk>/edit/", views.beneficiary_edit, name="edit"),
    path("<int:pk>/status/", views.beneficiary_status, name="status"),
    path("<int:pk>/consent/withdraw/", views.beneficiary_withdraw_consent, name="withdraw_consent"),
    path("<int:pk>/consent/new/", views.beneficiary_record_consent, name="record_consent"),
    path("<int:pk>/merge/", views.beneficiary_merge, name="merge"),
    path("<int:pk>/export.xlsx", views.beneficiary_record_export, name="record_export"),
]
