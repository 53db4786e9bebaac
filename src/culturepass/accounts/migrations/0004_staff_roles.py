"""Create the staff roles (groups) and give each its backoffice permissions.

The mapping is copied here on purpose: a migration must not change meaning when
``culturepass.accounts.roles`` evolves later.
"""

from django.db import migrations

PERMISSIONS = {
    "homologation": "Homologation : structures et rattachements",
    "compliance": "Conformité : revue des offres et règles de validation",
    "finance": "Finance : comptes bancaires, règles, incidents, virements",
    "territorial": "Édition territoriale : mises en avant, référents",
    "support": "Support : utilisateurs et réservations",
    "audit": "Consulter le journal d'audit",
}

ROLES = {
    "Homologation": ["homologation"],
    "Conformité": ["compliance"],
    "Finance": ["finance"],
    "Éditeurs territoriaux": ["territorial"],
    "Support": ["support", "audit"],
    "Administrateurs": list(PERMISSIONS),
}


def create_roles(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # post_migrate creates these rows only after the whole migrate run: make them now.
    content_type, _ = ContentType.objects.get_or_create(
        app_label="accounts", model="staffpermission"
    )
    permissions = {
        codename: Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    }
    for group_name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(permissions[c] for c in codenames))


def delete_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_terms_and_email_throttles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
