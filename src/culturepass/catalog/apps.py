from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """No models: the app exists so that its labels enter the translation catalogue."""

    name = "culturepass.catalog"
    label = "catalog"
