"""Pro portal URLs. Every pattern naming a structure, venue, member or invitation
resolves it through culturepass.pro.access (404 for non-members); the test
tests/pro/test_access.py walks all of them."""

from django.urls import include, path

from culturepass.pro import views

app_name = "pro"
urlpatterns = [
    path("", views.home, name="home"),
    path("referents/", views.territorial_contacts, name="territorial_contacts"),
    path("structures/creer/", views.offerer_create, name="offerer_create"),
    path("structures/rattachement/", views.attachment_request, name="attachment_request"),
    path("structures/<int:offerer_id>/", views.offerer_detail, name="offerer_detail"),
    path("structures/<int:offerer_id>/lieux/", views.venue_list, name="venue_list"),
    path("structures/<int:offerer_id>/lieux/creer/", views.venue_create, name="venue_create"),
    path("lieux/<int:venue_id>/", views.venue_edit, name="venue_edit"),
    path("structures/<int:offerer_id>/membres/", views.members, name="members"),
    path("structures/<int:offerer_id>/membres/inviter/", views.member_invite, name="member_invite"),
    path("membres/<int:membership_id>/retirer/", views.member_remove, name="member_remove"),
    path(
        "rattachements/<int:membership_id>/accepter/",
        views.attachment_accept,
        name="attachment_accept",
    ),
    path(
        "rattachements/<int:membership_id>/refuser/",
        views.attachment_reject,
        name="attachment_reject",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path(
        "invitations-envoyees/<int:invitation_id>/annuler/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
    # Offers: wizard, list, detail (same access rules; walked by the same test).
    path("", include("culturepass.pro.urls_offers")),
    path("", include("culturepass.pro.urls_bookings")),
    path("", include("culturepass.pro.urls_finance")),
    path("", include("culturepass.pro.urls_collective")),
    path("", include("culturepass.pro.urls_integrations")),
]
