"""Business plan pages: the advisor's list, the plan, its cash flow and PDF."""

from django.urls import URLPattern, URLResolver

app_name = "plans"

urlpatterns: list[URLPattern | URLResolver] = []
