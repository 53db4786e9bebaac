from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "culturepass.notifications"
    label = "notifications"
