from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.forms import style_fields

from .choices import AREA_LABELS, GRANTABLE_AREAS, MemberRole, Role, ScopeLevel, UnitKind


class UserForm(forms.Form):
    """Create/edit a user.  Scope choices are limited to what the acting administrator may see;
    the rules themselves (role ↔ scope, inside the admin's scope) live in ``accounts.services``."""

    username = forms.CharField(label=_("User name"), max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    province_code = forms.ChoiceField(
        label=_("Province"), required=False, help_text=_("For provincial users.")
    )
    city_code = forms.ChoiceField(label=_("City"), required=False, help_text=_("For city users."))
    zone = forms.ModelChoiceField(
        label=_("Zone"),
        queryset=None,
        required=False,
        help_text=_("For zone staff, zone leaders and customs liaisons."),
    )
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=None, required=False, help_text=_("For enterprise users.")
    )
    can_manage_users = forms.BooleanField(
        label=_("User administrator"), required=False, help_text=_("May manage users inside the own scope.")
    )
    granted_areas = forms.MultipleChoiceField(
        label=_("Granted write areas"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Zone offices may be granted statistics reporting; enterprises applications and statistics."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.registry.models import Code, Enterprise, Zone

        self.actor = actor
        regions = Code.objects.filter(table__key="region").order_by("code")
        if not (actor.is_superuser or actor.scope_level == ScopeLevel.ALL):
            regions = regions.filter(code__startswith=(actor.province_code or "--")[:2])
            if actor.scope_level != ScopeLevel.PROVINCE:
                regions = regions.filter(code__in=[actor.province_code, actor.city_code])
        rows = list(regions.values_list("code", "name", "level"))
        blank = [("", "---------")]
        self.fields["province_code"].choices = blank + [(c, n) for c, n, lvl in rows if lvl == 1]
        self.fields["city_code"].choices = blank + [(c, n) for c, n, lvl in rows if lvl == 2]
        self.fields["zone"].queryset = Zone.objects.for_user(actor).order_by("name")
        self.fields["enterprise"].queryset = Enterprise.objects.for_user(actor).order_by("name")
        grantable = set().union(*(v for k, v in GRANTABLE_AREAS.items() if k != Role.MACHINE))
        self.fields["granted_areas"].choices = [(a, AREA_LABELS[a]) for a in sorted(grantable)]
        self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.MACHINE]
        if not (actor.is_superuser or actor.role == Role.SYSTEM_ADMIN):
            self.fields["role"].choices = [
                c for c in self.fields["role"].choices if c[0] != Role.SYSTEM_ADMIN
            ]
        style_fields(self)  # after the scoped querysets and choices are in place


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Leave empty to generate one. The user must change it at the first login."),
    )


def _region_choices(actor) -> tuple[list, list]:
    """(provinces, cities) choice lists limited to the actor's scope."""
    from zonebook.registry.models import Code

    regions = Code.objects.filter(table__key="region").order_by("code")
    if not (actor.is_superuser or actor.scope_level == ScopeLevel.ALL):
        regions = regions.filter(code__startswith=(actor.province_code or "--")[:2])
        if actor.scope_level != ScopeLevel.PROVINCE:
            regions = regions.filter(code__in=[actor.province_code, actor.city_code])
    rows = list(regions.values_list("code", "name", "level"))
    blank = [("", "---------")]
    return blank + [(c, n) for c, n, lvl in rows if lvl == 1], blank + [
        (c, n) for c, n, lvl in rows if lvl == 2
    ]


class UnitForm(forms.Form):
    """Create/edit a unit; choices limited to the actor's scope (the rules live in ``accounts.units``)."""

    name = forms.CharField(label=_("Unit name"), max_length=200)
    short_name = forms.CharField(label=_("Short name"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    parent = forms.ModelChoiceField(label=_("Parent unit"), queryset=None, required=False)
    province_code = forms.ChoiceField(label=_("Province"), required=False)
    city_code = forms.ChoiceField(label=_("City"), required=False)
    zone = forms.ModelChoiceField(
        label=_("Zone"),
        queryset=None,
        required=False,
        help_text=_("The narrowest of zone, city and province is the unit's scope; empty: the parent's."),
    )
    head = forms.ModelChoiceField(label=_("Head"), queryset=None, required=False)
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, actor, exclude_pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.registry.models import Zone

        from .models import Unit, User

        provinces, cities = _region_choices(actor)
        self.fields["province_code"].choices = provinces
        self.fields["city_code"].choices = cities
        parents = Unit.objects.for_user(actor).order_by("name")
        if exclude_pk:
            parents = parents.exclude(pk=exclude_pk)
        self.fields["parent"].queryset = parents
        self.fields["zone"].queryset = Zone.objects.for_user(actor).order_by("name")
        self.fields["head"].queryset = (
            User.objects.for_user(actor)
            .filter(is_active=True)
            .exclude(role=Role.MACHINE)
            .order_by("username")
        )
        style_fields(self)  # after the scoped querysets and choices are in place


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=None)
    role_in_unit = forms.ChoiceField(
        label=_("Role in unit"), choices=MemberRole.choices, initial=MemberRole.MEMBER
    )
    title = forms.CharField(label=_("Position"), max_length=60, required=False)
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import User

        self.fields["user"].queryset = (
            User.objects.for_user(actor)
            .filter(is_active=True)
            .exclude(role=Role.MACHINE)
            .order_by("username")
        )
        style_fields(self)  # after the scoped querysets and choices are in place


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Client name"), max_length=100, help_text=_("E.g. the gate system of the zone.")
    )
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=None)
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=None,
        required=False,
        help_text=_(
            "Empty: the client works for the whole zone. Chosen: only for this enterprise of the zone "
            "(e.g. its customs client sending its own messages)."
        ),
    )
    areas = forms.MultipleChoiceField(
        label=_("Write areas"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The API areas the client may use; without any it may not call the API."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: until revoked."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.registry.models import Enterprise, Zone

        self.fields["zone"].queryset = Zone.objects.for_user(actor).order_by("name")
        self.fields["enterprise"].queryset = Enterprise.objects.for_user(actor).order_by("name")
        self.fields["areas"].choices = [(a, AREA_LABELS[a]) for a in sorted(GRANTABLE_AREAS[Role.MACHINE])]
        style_fields(self)  # after the scoped querysets and choices are in place
