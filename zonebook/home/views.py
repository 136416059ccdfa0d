from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import dashboard


@login_required
def home(request):
    """The user's dashboard: the to-do counters and panels registered for the role (core.modules)."""
    return render(request, "home/home.html", dashboard.build(request))
