from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "culturepass.credit"
    label = "credit"
