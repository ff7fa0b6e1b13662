from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CobConfig(AppConfig):
    name = "tandir.cob"
    label = "cob"
    verbose_name = _("Close of business")
