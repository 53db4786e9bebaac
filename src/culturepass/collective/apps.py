from django.apps import AppConfig


class CollectiveConfig(AppConfig):
    name = "culturepass.collective"
    label = "collective"
