from django.urls import path

from marketplace import views

app_name = "marketplace"
urlpatterns = [
    path("", views.brief_list, name="brief_list"),
    path("new/", views.brief_create, name="brief_create"),
    path("profile/", views.startup_profile, name="startup_profile"),
    path("quotes.csv", views.quotes_csv, name="quotes_csv"),
    path("<int:pk>/", views.brief_detail, name="brief_detail"),
    path("<int:pk>/edit/", views.brief_edit, name="brief_edit"),
    path("<int:pk>/cancel/", views.brief_cancel, name="brief_cancel"),
]
