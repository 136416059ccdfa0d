import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every attachment test writes its files into its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
