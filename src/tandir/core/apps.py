from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandir.core"
    label = "core"
    verbose_name = "Tandir core"

    def ready(self) -> None:
        from tandir.core import audit  # noqa: F401  (connects the history channel receiver)
