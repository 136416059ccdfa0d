# Placeholder views; replaced by the registry pages work.
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from .models import Enterprise, Zone


@login_required
def zone_list(request):
    return HttpResponse("zones")


@login_required
def zone_detail(request, pk):
    get_object_or_404(Zone.objects.for_user(request.user), pk=pk)
    return HttpResponse("zone")


@login_required
def enterprise_list(request):
    return HttpResponse("enterprises")


@login_required
def enterprise_detail(request, pk):
    get_object_or_404(Enterprise.objects.for_user(request.user), pk=pk)
    return HttpResponse("enterprise")
