import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assertions match the English source messages."""
    with translation.override("en"):
        yield
