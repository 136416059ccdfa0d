from django.urls import path

from . import views

app_name = "sla"
urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
]
