from django.urls import include, path

app_name = "backoffice"
urlpatterns = [
    # Dashboard, audit log, users and staff roles (culturepass.backoffice.views).
    path("", include("culturepass.backoffice.urls_core")),
    # Structures, attachment requests, venues (culturepass.backoffice.views_offerers).
    path("structures/", include("culturepass.backoffice.urls_offerers")),
    path("offres/", include("culturepass.backoffice.urls_offers")),
    path("beneficiaires/", include("culturepass.backoffice.urls_beneficiaries")),
    path("mises-en-avant/", include("culturepass.backoffice.urls_highlights")),
    # Bank accounts review, payment runs, custom rules, incidents (staff permission "finance").
    path("finance/", include("culturepass.backoffice.urls_finance")),
    path("collectif/", include("culturepass.backoffice.urls_collective")),
]
