from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "culturepass.jobs"
    label = "jobs"
