from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "culturepass.core"
    label = "core"
    verbose_name = "Core"
