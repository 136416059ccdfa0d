from django.urls import path

from . import views

app_name = "attachments"

urlpatterns = [
    path("for/<str:target>/", views.panel, name="panel"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
