"""Event pages: events and registrations, the investor pipeline, cooperation agreements."""

from django.urls import URLPattern, URLResolver, path

from tandir.events import views

app_name = "events"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.event_list, name="list"),
    path("new/", views.event_create, name="create"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/participants/", views.participant_search, name="participant_search"),
    path("<int:pk>/register/", views.register, name="register"),
    path(
        "<int:pk>/registrations/<int:registration>/attendance/",
        views.attendance,
        name="attendance",
    ),
    path(
        "<int:pk>/registrations/<int:registration>/cancel/",
        views.unregister,
        name="unregister",
    ),
    path("<int:pk>/pipeline/", views.pipeline, name="pipeline"),
    path("<int:pk>/pipeline/projects/", views.project_create, name="project_create"),
    path("projects/<int:pk>/meetings/", views.project_meeting, name="project_meeting"),
    path("projects/<int:pk>/outcome/", views.project_outcome, name="project_outcome"),
    path("investors/", views.investor_list, name="investors"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement"),
    path("activities/<int:pk>/status/", views.activity_status, name="activity_status"),
]
