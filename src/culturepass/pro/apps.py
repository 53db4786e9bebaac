from django.apps import AppConfig


class ProConfig(AppConfig):
    name = "culturepass.pro"
    label = "pro"
