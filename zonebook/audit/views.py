from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .models import AuditEntry


@login_required
def audit_list(request):
    qs = AuditEntry.objects.for_user(request.user).select_related("actor")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page})
