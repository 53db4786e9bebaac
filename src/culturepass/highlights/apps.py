from django.apps import AppConfig


class HighlightsConfig(AppConfig):
    name = "culturepass.highlights"
    label = "highlights"
