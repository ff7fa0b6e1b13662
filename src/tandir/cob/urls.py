"""Close of business pages: the runs an administrator follows."""

from django.urls import URLPattern, URLResolver

app_name = "cob"

urlpatterns: list[URLPattern | URLResolver] = []
