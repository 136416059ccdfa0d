import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assertions match the English source messages."""
    with translation.override("en"):
        yield


@pytest.fixture
def cfg(db):
    from zonebook.alerts.models import AlertSettings

    return AlertSettings.current()


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    """Pages too: the test client asks for English (the default UI language is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
