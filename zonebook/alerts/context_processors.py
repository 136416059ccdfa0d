"""Navbar support: tells the base template the alerts app is there (no query; the unread count is
fetched once after load from ``alerts:notification_badge`` (``data-fill-url``), so every page keeps its query count)."""


def alerts(request):
    return {"ALERTS_ENABLED": True}
