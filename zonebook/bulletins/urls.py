from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.BulletinList.as_view(), name="list"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/rebuild/", views.rebuild, name="rebuild"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/v<int:version>/<str:fmt>/", views.download, name="download"),
]
