from django.urls import path

from experts import views

app_name = "experts"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tag/", views.claim_tag, name="claim_tag"),
]
