"""Impact monitoring pages: instruments, data entry, imports and follow-up planning."""

from django.urls import URLPattern, URLResolver, path

from tandir.impact import views

app_name = "impact"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/seed/", views.seed, name="seed"),
    path("instruments/<int:pk>/", views.instrument, name="instrument"),
    path("instruments/<int:pk>/versions/new/", views.version_new, name="version_new"),
    path("versions/<int:pk>/", views.version, name="version"),
    path("versions/<int:pk>/xlsform.xlsx", views.version_xlsform, name="xlsform"),
    path("respond/", views.find, name="find"),
    path("respond/<int:pk>/", views.person, name="person"),
    path("respond/<int:pk>/<int:instrument>/", views.respond, name="respond"),
    path("import/", views.upload, name="upload"),
]
