"""Dashboard, audit log, users and staff roles (mounted under the "backoffice" namespace)."""

from django.urls import path

from culturepass.backoffice import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("journal/", views.audit_log, name="audit_log"),
    path("utilisateurs/", views.user_list, name="user_list"),
    path("utilisateurs/<int:user_id>/", views.user_detail, name="user_detail"),
    path("utilisateurs/<int:user_id>/roles/", views.user_roles, name="user_roles"),
]
