"""Navbar support: tells the base template the alerts app is there (no query).  The notification
bell is ``zonebook.notify``'s, on every page."""


def alerts(request):
    return {"ALERTS_ENABLED": True}
