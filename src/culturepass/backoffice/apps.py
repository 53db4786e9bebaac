from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "culturepass.backoffice"
    label = "backoffice"
