from django.urls import path

from ..views import monthclose as views

urlpatterns = [
    path("closes/", views.monthclose_list, name="monthclose_list"),
    path("closes/close/", views.monthclose_start, name="monthclose_start"),
    path("closes/verify/", views.monthclose_verify, name="monthclose_verify"),
]
