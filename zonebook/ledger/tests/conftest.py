import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Assertions match the English source messages."""
    with translation.override("en"):
        yield


@pytest.fixture
def handbook(world):
    """Example C's handbook: one material (单耗 0.947368421 via net 0.9, 4 % + 1 %), one product."""
    from . import factories as f

    b = f.book(world.enterprises.a1, kind="C")
    m = f.material(b, 1)
    p = f.product(b, 1)
    f.bom(p, m, "0.9", 4, 1)
    return b, m, p
