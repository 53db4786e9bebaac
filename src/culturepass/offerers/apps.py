from django.apps import AppConfig


class OfferersConfig(AppConfig):
    name = "culturepass.offerers"
    label = "offerers"
