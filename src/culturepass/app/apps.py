from django.apps import AppConfig


class AppPagesConfig(AppConfig):
    name = "culturepass.app"
    label = "app"
