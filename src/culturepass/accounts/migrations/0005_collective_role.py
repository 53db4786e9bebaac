"""Add the ``collective`` staff permission and the "Commission régionale" role (issue 8).

The regional commission (standing for the Rectorat and the DRAC) references structures for
school groups and reviews collective offers. Administrators get the permission too. Values
are copied here on purpose: a migration must not change meaning when ``roles`` evolves.
"""

from django.db import migrations

CODENAME = "collective"
NAME = "Commission régionale : référencement et offres collectives"
GROUPS = ["Commission régionale", "Administrateurs"]


def add_role(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="accounts", model="staffpermission"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(permission)


def remove_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name="Commission régionale").delete()
    Permission.objects.filter(content_type__app_label="accounts", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_staff_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="staffpermission",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("homologation", "Homologation : structures et rattachements"),
                    ("compliance", "Conformité : revue des offres et règles de validation"),
                    ("finance", "Finance : comptes bancaires, règles, incidents, virements"),
                    ("territorial", "Édition territoriale : mises en avant, référents"),
                    ("support", "Support : utilisateurs et réservations"),
                    ("audit", "Consulter le journal d'audit"),
                    ("collective", NAME),
                ],
            },
        ),
        migrations.RunPython(add_role, remove_role),
    ]
