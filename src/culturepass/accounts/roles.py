"""Staff roles: Django groups holding some of the ``accounts.StaffPermission`` permissions.

Migrations 0004_staff_roles and 0005_collective_role create these groups; a change here
needs a new data migration.
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
    "collective",
)

# Group name (shown to staff, stored as data) → permission codenames.
# The audit log holds personal data: only support and administrators browse it.
STAFF_ROLES: dict[str, tuple[str, ...]] = {
    "Homologation": ("homologation",),
    "Conformité": ("compliance",),
    "Finance": ("finance",),
    "Éditeurs territoriaux": ("territorial",),
    "Support": ("support", "audit"),
    # Stands for the Rectorat and the DRAC, who reference structures for school groups.
    "Commission régionale": ("collective",),
    ADMINISTRATORS: ALL_STAFF_PERMISSIONS,
}
