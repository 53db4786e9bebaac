"""Staff roles: Django groups holding some of the ``accounts.StaffPermission`` permissions.

Migration 0004_staff_roles creates these groups; a change here needs a new data migration.
"""

from __future__ import annotations

ADMINISTRATORS = "Administrateurs"

ALL_STAFF_PERMISSIONS = (
    "homologation",
    "compliance",
    "finance",
    "territorial",
    "support",
    "audit",
)

# Group name (shown to staff, stored as data) → permission codenames.
# The audit log holds personal data: only support and administrators browse it.
STAFF_ROLES: dict[str, tuple[str, ...]] = {
    "Homologation": ("homologation",),
    "Conformité": ("compliance",),
    "Finance": ("finance",),
    "Éditeurs territoriaux": ("territorial",),
    "Support": ("support", "audit"),
    ADMINISTRATORS: ALL_STAFF_PERMISSIONS,
}
