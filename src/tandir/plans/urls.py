"""Business plan pages: the advisor's list, the plan, its cash flow and PDF."""

from django.urls import URLPattern, URLResolver, path

from tandir.plans import views

app_name = "plans"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("new/<int:person>/", views.new, name="new"),
    path("line/<slug:kind>/", views.line, name="line"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/plan.pdf", views.pdf, name="pdf"),
]
