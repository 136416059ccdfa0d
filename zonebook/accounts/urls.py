from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_units

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("history/", views.login_history, name="login_history"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("units/", views_units.unit_list, name="unit_list"),
    path("units/new/", views_units.unit_create, name="unit_create"),
    path("units/<int:pk>/", views_units.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views_units.unit_edit, name="unit_edit"),
    path("units/<int:pk>/members/add/", views_units.member_add, name="unit_member_add"),
    path("units/members/<int:pk>/end/", views_units.member_end, name="unit_member_end"),
    path("tokens/", views_units.token_list, name="token_list"),
    path("tokens/new/", views_units.token_issue, name="token_issue"),
    path("tokens/<int:pk>/revoke/", views_units.token_revoke, name="token_revoke"),
]
