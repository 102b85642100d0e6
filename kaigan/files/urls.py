from django.urls import path

from kaigan.files import views

app_name = "files"
urlpatterns = [
    path("<int:pk>/download/", views.file_download, name="download"),
    path("<int:pk>/thumbnail/", views.file_thumbnail, name="thumbnail"),
]
