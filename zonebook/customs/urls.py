from django.urls import path

from . import views

app_name = "customs"

urlpatterns = [
    path("messages/", views.MessageList.as_view(), name="message_list"),
    path("receipts/", views.ReceiptQueue.as_view(), name="queue"),
    path("receipts/retry/", views.queue_retry, name="queue_retry"),
    path("lists/<int:pk>/inv101.xml", views.list_inv101, name="list_inv101"),
]
