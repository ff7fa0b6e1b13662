"""Association pages: members, officers, meetings, dues and activities."""

from django.urls import URLPattern, URLResolver, path

from tandir.associations import views

app_name = "associations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.association_list, name="list"),
    path("new/", views.association_create, name="create"),
    path("support/", views.support, name="support"),
    path("<int:pk>/", views.association_detail, name="detail"),
    path("<int:pk>/edit/", views.association_edit, name="edit"),
    path("<int:pk>/dues/", views.dues_edit, name="dues"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:membership>/leave/", views.member_leave, name="member_leave"),
    path("<int:pk>/officers/elect/", views.officer_elect, name="elect"),
    path("<int:pk>/officers/<int:term>/end/", views.term_end, name="term_end"),
    path("<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/meetings/<int:meeting>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/payments/new/", views.payment_create, name="payment_create"),
    path("<int:pk>/activities/new/", views.activity_create, name="activity_create"),
]
