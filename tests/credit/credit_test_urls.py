"""The pages these tests need, with the sign-up mounted at /app/inscription/.

Self-contained (not the project's urlconf) so that these tests do not depend on the
beneficiary app's pages, built in parallel.
"""

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("compte/", include("culturepass.accounts.urls")),
    path("pro/", include("culturepass.pro.urls")),
    path("backoffice/", include("culturepass.backoffice.urls")),
    path("app/inscription/", include("culturepass.credit.urls")),
]
