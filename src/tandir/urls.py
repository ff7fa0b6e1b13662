from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tandir.api.main import api
from tandir.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("beneficiaries/", include("tandir.registry.urls")),
    path("loans/", include("tandir.lending.urls")),
    path("close-of-business/", include("tandir.cob.urls")),
    path("jobs/", include("tandir.jobs.urls")),
    path("training/", include("tandir.training.urls")),
    path("plans/", include("tandir.plans.urls")),
    path("associations/", include("tandir.associations.urls")),
    path("events/", include("tandir.events.urls")),
    path("impact/", include("tandir.impact.urls")),
    path("reports/", include("tandir.reports.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
