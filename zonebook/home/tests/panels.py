"""Panel and counter functions for the home tests (registered by the tests only)."""


def ok(request):
    return {"value": "<b>bold</b>"}


def boom(request):
    raise RuntimeError("panel failed on purpose")


def seven(user):
    return 7


def broken_count(user):
    raise ValueError("counter failed on purpose")
