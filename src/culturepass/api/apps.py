from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "culturepass.api"
    label = "api"
