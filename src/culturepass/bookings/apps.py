from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "culturepass.bookings"
    label = "bookings"
