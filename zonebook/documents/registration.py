from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry

MODULE = AppModule(
    app="zonebook.documents",
    url_prefix="documents",
    menu=[
        MenuEntry(_("Document templates"), "documents:template_list", group=_("Administration"), icon="file-earmark-text",
                  order=80, roles=("system_admin", "province_commerce"), visible="zonebook.documents.views.may_edit"),
    ],
)
