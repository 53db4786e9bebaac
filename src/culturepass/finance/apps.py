from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "culturepass.finance"
    label = "finance"
