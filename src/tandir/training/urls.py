"""Training pages: curriculum, cohorts, attendance, certificates and their public check."""

from django.urls import URLPattern, URLResolver, path

from tandir.training import views

app_name = "training"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("curriculum/", views.curriculum, name="curriculum"),
    path("curriculum/seed/", views.seed, name="seed"),
    path("modules/new/", views.module_new, name="module_new"),
    path("modules/<int:pk>/", views.module_detail, name="module"),
    path("modules/<int:pk>/materials/<int:material>/", views.material_file, name="material"),
    path("courses/new/", views.course_new, name="course_new"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("venues/", views.venues, name="venues"),
    path("cohorts/new/", views.cohort_new, name="cohort_new"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort"),
    path("cohorts/<int:pk>/sessions/", views.session_new, name="session_new"),
    path("cohorts/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("cohorts/<int:pk>/complete/", views.complete, name="complete"),
    path(
        "cohorts/<int:pk>/attendance/upload/",
        views.attendance_upload,
        name="attendance_upload",
    ),
    path(
        "cohorts/<int:pk>/sessions/<int:session>/attendance/",
        views.attendance,
        name="attendance",
    ),
    path("participants/<int:pk>/", views.participant, name="participant"),
    path("participants/<int:pk>/certificate.pdf", views.certificate_pdf, name="certificate"),
    # Public, without login: anyone holding a certificate's code may check it.
    path("verify/", views.verify, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]
