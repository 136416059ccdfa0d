from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zonebook.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self):
        from zonebook.audit.display import register_masked_field

        from . import calc, names, services

        # Contact phone numbers: masked in the audit log, history tabs and exports by the contacts tab's rule.
        register_masked_field(
            "registry.enterprisecontact", "phone", mask=calc.mask_phone, visible=services.phone_visible_in
        )
        names.connect()

        from zonebook.attachments import attachable

        from .models import Enterprise

        # Licences, permits, visit photos on the enterprise page; an enterprise user attaches to its own profile.
        attachable.register(Enterprise, write_areas=("registry", "enterprise_profile"))
