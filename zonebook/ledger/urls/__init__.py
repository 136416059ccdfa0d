from django.urls import path

from ..views import books as views

app_name = "ledger"
urlpatterns = [
    path("books/", views.book_list, name="book_list"),
    path("books/<int:pk>/", views.book_detail, name="book_detail"),
    path("books/<int:pk>/lists/new/", views.list_create, name="list_create"),
    path("books/<int:pk>/items/lookup/", views.item_lookup, name="item_lookup"),
    path("items/<int:pk>/balance/", views.balance_drilldown, name="balance_drilldown"),
    path("balances/", views.balance_list, name="balance_list"),
    path("lists/", views.list_list, name="list_list"),
    path("lists/post-selected/", views.list_post_selected, name="list_post_selected"),
    path("lists/<int:pk>/", views.list_detail, name="list_detail"),
    path("lists/<int:pk>/edit/", views.list_edit, name="list_edit"),
    path("lists/<int:pk>/submit/", views.list_submit, name="list_submit"),
    path("lists/<int:pk>/cancel/", views.list_cancel, name="list_cancel"),
    path("lists/<int:pk>/post/", views.list_post, name="list_post"),
    path("lists/<int:pk>/reverse/", views.list_reverse, name="list_reverse"),
    path("oversight/", views.oversight, name="oversight"),
]

# write-off (报核/核销) pages
from .writeoff import urlpatterns as _writeoff_urls  # noqa: E402

urlpatterns += _writeoff_urls

# carry-over (深加工结转) pages
from .carryover import urlpatterns as _carryover_urls  # noqa: E402

urlpatterns += _carryover_urls

# month close (月结) pages
from .monthclose import urlpatterns as _monthclose_urls  # noqa: E402

urlpatterns += _monthclose_urls
