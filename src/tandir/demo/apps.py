from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tandir.demo"
    label = "demo"
    verbose_name = "Tandir demo programme"
