"""The loan officer's pages under /loans/day/: the day's collections, centres, solidarity groups
and collection sheets."""

from django.urls import path

from tandir.lending import officer_views as views

urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("loans/<int:pk>/follow-up/", views.day_follow_up, name="day_follow_up"),
    path("centres/", views.centre_list, name="centres"),
    path("centres/<int:pk>/", views.centre_detail, name="centre"),
    path("groups/", views.group_list, name="groups"),
    path("groups/new/", views.group_create, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("groups/<int:pk>/members/", views.group_member_search, name="group_member_search"),
    path("groups/<int:pk>/members/add/", views.group_member_add, name="group_member_add"),
    path(
        "groups/<int:pk>/members/<int:membership>/leave/",
        views.group_member_leave,
        name="group_member_leave",
    ),
    path("sheets/new/", views.sheet_prepare, name="sheet_new"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet"),
    path("sheets/<int:pk>/lines/<int:line>/", views.sheet_line, name="sheet_line"),
]
