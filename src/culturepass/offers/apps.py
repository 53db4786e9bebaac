from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "culturepass.offers"
    label = "offers"
