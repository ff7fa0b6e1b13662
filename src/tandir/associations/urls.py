"""Association pages: members, officers, meetings, dues and activities."""

from django.urls import URLPattern, URLResolver

app_name = "associations"

urlpatterns: list[URLPattern | URLResolver] = []
