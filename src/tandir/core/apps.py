from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandir.core"
    label = "core"
    verbose_name = "Tandir core"
