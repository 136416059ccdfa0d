"""Request pages: thin views that scope, parse, call a service and render.

Every object is looked up through ``for_user`` (out of scope → 404).  What a user may do on a request
follows from the service rules (``actions_for``); the services check again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.lists import FilteredListView
from zonebook.core.views import scoped_object
from zonebook.sla import services as sla

from . import forms as f
from . import services
from .filtersets import RequestFilterSet
from .models import Assignment, Extension, ServiceRequest, Status
from .tables import RequestTable, request_list_queryset

SERVICE_ERRORS = (DomainError, ValidationError)


class RequestList(FilteredListView):
    model = ServiceRequest
    filterset_class = RequestFilterSet
    table_class = RequestTable
    template_name = "service/request_list.html"
    title = gettext_lazy("Service requests")
    export_filename = gettext_lazy("service requests")
    export_code = "service.request.exported"

    def get_queryset(self):
        return request_list_queryset(self.request.user)


request_list = RequestList.as_view()


@login_required
def request_create(request):
    user = request.user
    if not (services.is_office(user) or services.is_enterprise_user(user)):
        raise PermissionDenied(_("Your role may not file requests."))
    form = f.RequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = data.get("enterprise") or user.enterprise
        try:
            req = services.receive(
                enterprise=enterprise, category=data["category"], title=data["title"],
                description=data["description"], channel=data.get("channel", ""), by=user,
                contact_name=data["contact_name"], contact_phone=data["contact_phone"],
            )
        except SERVICE_ERRORS as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Request %(number)s recorded.") % {"number": req.number})
            return redirect(req)
    return render(request, "service/form.html", {"form": form, "title": _("New request"),
                                                 "cancel": "service:request_list"})


def actions_for(req: ServiceRequest, user, assignment: Assignment | None) -> set[str]:
    """The steps ``user`` may take on ``req`` now (the services enforce the same rules)."""
    acts: set[str] = set()
    office = services.is_office(user)
    enterprise = services.is_enterprise_user(user)
    lead = assignment is not None and services._member_of(user, assignment.lead_unit)
    co = assignment is not None and any(services._member_of(user, u) for u in assignment.co_units.all())
    s = req.status
    if office and s == Status.RECEIVED:
        acts |= {"dispatch", "answer"}
    if lead and s == Status.DISPATCHED:
        acts |= {"sign", "return"}
    if (lead or co) and s in (Status.IN_PROGRESS, Status.EXTENSION_PENDING):
        acts.add("reply")
    if lead and s == Status.IN_PROGRESS:
        acts |= {"extension", "result"}
    if office and s == Status.EXTENSION_PENDING:
        acts.add("decide")
    if s == Status.RESULT_REVIEW and assignment is not None and services._may_review(user, assignment.lead_unit):
        acts.add("review")
    if office and s == Status.REVISIT:
        acts |= {"revisit", "close"}
    if office and s in (Status.DISPATCHED, Status.IN_PROGRESS, Status.EXTENSION_PENDING, Status.RESULT_REVIEW):
        acts |= {"remind", "supervise"}
    if not enterprise:
        acts.add("note")
    return acts


def _deadline_rows(req, assignment):
    rows = []
    for obj in [req, assignment] if assignment is not None else [req]:
        for d in services.deadlines_of(obj).values():
            rows.append({"deadline": d, "status": sla.status(d)})
    rows.sort(key=lambda r: r["deadline"].started_at)
    return rows


FORMS = {
    "dispatch": None,  # built with the request
    "answer": f.AnswerForm,
    "sign": None,
    "return": f.ReasonForm,
    "reply": f.StageReplyForm,
    "extension": f.ExtensionForm,
    "decide": f.DecisionForm,
    "result": f.ResultForm,
    "review": f.ReviewForm,
    "revisit": f.RevisitForm,
    "close": f.ReasonForm,
    "remind": f.ReasonForm,
    "supervise": f.ReasonForm,
    "note": f.TextForm,
}


def _form(action, req, data=None):
    if action == "dispatch":
        return f.DispatchForm(data, req=req, prefix=action)
    cls = FORMS.get(action)
    return cls(data, prefix=action) if cls else None


@scoped_object(ServiceRequest)
@login_required
def request_detail(request, pk, forms_override=None):
    req = get_object_or_404(request_list_queryset(request.user), pk=pk)
    user = request.user
    assignment = services.current_assignment(req)
    acts = actions_for(req, user, assignment)
    events = req.events.select_related("actor", "unit")
    if services.is_enterprise_user(user):
        events = events.filter(internal=False)
    action_forms = {a: _form(a, req) for a in sorted(acts)}
    action_forms.update(forms_override or {})
    context = {
        "req": req,
        "title": req.number,
        "assignment": assignment,
        "assignments": req.assignments.select_related("lead_unit").prefetch_related("co_units"),
        "events": events,
        "deadlines": _deadline_rows(req, assignment) if not services.is_enterprise_user(user) else [],
        "actions": acts,
        "action_forms": action_forms,
        "pending_extension": req.extensions.filter(state=Extension.State.PENDING).first(),
        "extensions": req.extensions.all(),
        "show_internal": not services.is_enterprise_user(user),
    }
    return render(request, "service/request_detail.html", context)


@scoped_object(ServiceRequest)
@login_required
@require_POST
def request_action(request, pk, action):
    req = get_object_or_404(ServiceRequest.objects.for_user(request.user), pk=pk)
    user = request.user
    assignment = services.current_assignment(req)
    if action not in actions_for(req, user, assignment):
        raise PermissionDenied(_("This step is not open to you now."))
    form = _form(action, req, request.POST)
    if form is not None and not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return request_detail(request, pk, forms_override={action: form})
    data = form.cleaned_data if form is not None else {}
    try:
        if action == "dispatch":
            services.dispatch(req, lead_unit=data["lead_unit"], co_units=list(data["co_units"]), note=data["note"], by=user)
        elif action == "answer":
            services.answer_directly(req, result=data["result"], by=user)
        elif action == "sign":
            services.sign(req, by=user)
        elif action == "return":
            services.return_request(req, reason=data["reason"], by=user)
        elif action == "reply":
            services.stage_reply(req, text=data["text"], next_date=data["next_date"], by=user)
        elif action == "extension":
            services.request_extension(req, days=data["days"], reason=data["reason"], by=user)
        elif action == "decide":
            ext = req.extensions.filter(state=Extension.State.PENDING).first()
            if ext is None:
                raise DomainError(_("There is no pending extension."), code="no_extension")
            services.decide_extension(ext, approve=data["approve"], note=data["note"], by=user)
        elif action == "result":
            services.submit_result(req, result=data["result"], solved=data["solved"], by=user)
        elif action == "review":
            services.review_result(req, accept=data["accept"], note=data["note"], by=user)
        elif action == "revisit":
            services.revisit(req, satisfaction=data["satisfaction"], attributable=data["attributable"],
                             reason=data["reason"], by=user)
        elif action == "close":
            services.close(req, note=data["reason"], by=user)
        elif action == "remind":
            services.remind(req, text=data["reason"], by=user)
        elif action == "supervise":
            services.supervise(req, reason=data["reason"], by=user)
        elif action == "note":
            services.add_note(req, text=data["text"], by=user)
    except SERVICE_ERRORS as exc:
        if form is not None:
            apply_service_error(form, exc)
            return request_detail(request, pk, forms_override={action: form})
        messages.error(request, str(getattr(exc, "message", exc)))
        return redirect(req)
    messages.success(request, _("Saved."))
    return redirect(req)
