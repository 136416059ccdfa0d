"""Demo loaders of fake modules for the runner tests."""

from zonebook.core import context

CALLS: list[tuple[str, str]] = []
PRESENT = {"late": False}


def first(stdout):
    CALLS.append(("first", context.current().source))
    stdout.write("first loaded")


def second(stdout):
    from zonebook.registry.testing import ZoneFactory

    ZoneFactory(name="演示测试综合保税区", short_name="演示测试")
    CALLS.append(("second", context.current().source))


def boom(stdout):
    raise RuntimeError("loader failed on purpose")


def late(stdout):
    CALLS.append(("late", context.current().source))
    PRESENT["late"] = True


def late_present():
    return PRESENT["late"]
