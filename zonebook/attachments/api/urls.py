from . import views


def register(router):
    router.register("attachments", views.AttachmentViewSet, basename="attachment")
