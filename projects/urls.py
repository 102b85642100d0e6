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
    path("expert/briefs/<int:pk>/", views.expert_brief_timeline, name="expert_brief_timeline"),
    path("briefs/<int:pk>/quote/change/", views.quote_change, name="quote_change"),
    path("quotes/<int:pk>/answer/", views.quote_answer, name="quote_answer"),
]
