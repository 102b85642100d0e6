from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("briefs/<int:pk>/accept/", views.brief_accept, name="brief_accept"),
    path("briefs/<int:pk>/not-satisfied/", views.brief_not_satisfied, name="brief_not_satisfied"),
    path("expert/invitations/<int:pk>/accept/", views.invitation_accept, name="invitation_accept"),
    path(
        "expert/invitations/<int:pk>/decline/", views.invitation_decline, name="invitation_decline"
    ),
    path("expert/briefs/<int:pk>/deliver/", views.brief_deliver, name="brief_deliver"),
]
