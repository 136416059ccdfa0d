import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def cbook(world):
    """A 进料 handbook of enterprise a1 with two materials (opening 0)."""
    from zonebook.ledger.tests import factories as f

    b = f.book(world.enterprises.a1, kind="C")
    f.material(b, 1)
    f.material(b, 2)
    return b
