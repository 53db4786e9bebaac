from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog, set_language
from django.views.static import serve

from culturepass.core.health import healthz
from culturepass.core.metrics import metrics

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="pro:home", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("compte/", include("culturepass.accounts.urls")),
    path("pro/", include("culturepass.pro.urls")),
    path("backoffice/", include("culturepass.backoffice.urls")),
    path("app/", include("culturepass.app.urls")),
    path("ecoles/", include("culturepass.schools.urls")),
    path("", include("culturepass.api.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(
            r"^media/(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
            name="media",
        )
    ]
