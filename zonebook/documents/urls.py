from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview.<str:fmt>", views.template_preview, name="template_preview"),
]
