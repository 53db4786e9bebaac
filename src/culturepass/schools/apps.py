from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    """The schools portal (/ecoles/): teachers and school heads book collective offers."""

    name = "culturepass.schools"
    label = "schools"
