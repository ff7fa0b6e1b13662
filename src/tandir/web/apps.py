from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tandir.web"
    label = "web"
