from django.urls import path

from culturepass.accounts import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("inscription/", views.signup_view, name="signup"),
    path("inscription/verifiez-vos-emails/", views.check_inbox_view, name="check_inbox"),
    path("verification/<str:token>/", views.verify_email_view, name="verify_email"),
    path("mot-de-passe/oublie/", views.password_reset_view, name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.password_reset_done_view, name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/",
        views.password_reset_complete_view,
        name="password_reset_complete",
    ),
    path("profil/", views.profile_view, name="profile"),
    path("profil/mot-de-passe/", views.password_change_view, name="password_change"),
]
