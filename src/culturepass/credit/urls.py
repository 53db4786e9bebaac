"""Beneficiary sign-up (the project mounts it at /app/inscription/)."""

from django.urls import path

from culturepass.credit import views

app_name = "credit"
urlpatterns = [
    path("", views.beneficiary_signup, name="beneficiary_signup"),
    path("verifiez-vos-emails/", views.beneficiary_signup_done, name="beneficiary_signup_done"),
]
