import pytest
from django.utils import translation

from zonebook.notify import registry


@pytest.fixture(autouse=True)
def _english():
    """Assertions match the English source messages."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    """Pages too: the test client asks for English (the default UI language is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def test_kind():
    """A kind registered by "a module" (this test), with a link built from the object."""
    kind = registry.register_kind(
        "test.visit",
        label="Visit planned",
        title="Visit to %(place)s on %(day)s",
        body=lambda p: f"Bring {p.get('what', 'nothing')}.",
        link=lambda obj, params: f"/registry/enterprises/{obj.pk}/" if obj is not None else "/",
    )
    yield kind
    registry.unregister_kind("test.visit")
