import pytest


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    """Tasks run in-process; result files go to a temporary MEDIA_ROOT."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
