from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_index, name="index"),
    path("<slug:kind>/template.xlsx", views.import_template, name="template"),
    path("<slug:kind>/", views.import_upload, name="upload"),
    path("<slug:kind>/preview/<str:token>/", views.import_preview, name="preview"),
    path("<slug:kind>/preview/<str:token>/discard/", views.import_discard, name="discard"),
    path("<slug:kind>/preview/<str:token>/errors.xlsx", views.import_errors, name="errors"),
]
