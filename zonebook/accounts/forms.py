from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Role, ScopeLevel


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
        if not (actor.is_superuser or actor.role == Role.SYSTEM_ADMIN):
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.SYSTEM_ADMIN]
        self._style()

    def _style(self):
        # Like core.forms.BootstrapFormMixin, but after the scoped querysets are in place
        # (the mixin validates bound data in __init__ to mark invalid fields).
        for name, field in self.fields.items():
            w = field.widget
            if isinstance(w, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(w, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            w.attrs["class"] = (w.attrs.get("class", "") + " " + css).strip()


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Leave empty to generate one. The user must change it at the first login."),
    )
