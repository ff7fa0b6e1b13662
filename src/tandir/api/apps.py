from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tandir.api"
    label = "api"
