from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "culturepass.accounts"
    label = "accounts"
