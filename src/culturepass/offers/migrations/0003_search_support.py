"""Search support for the beneficiary app (issue 4).

- ``unaccent`` and a French text search configuration that ignores accents
  (``french_unaccent``): "theatre" finds "Théâtre", "concerts" finds "concert".
- A GIN index on the French tsvector of name + description; its expression is exactly
  what ``SearchVector("name", "description", config="french_unaccent")`` generates, so
  the planner uses it for ``culturepass.offers.search``.
- A btree index on the offer's coordinates for the bounding box that precedes the
  haversine distance.

Raw SQL rather than ``Meta.indexes``: the configuration must exist before the index and
the offers model stays owned by the offers module.
"""

from django.db import migrations

CONFIG_SQL = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION french_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;
"""

INDEX_SQL = """
CREATE INDEX IF NOT EXISTS offer_search_fr ON offers_offer USING gin (
    to_tsvector('french_unaccent'::regconfig,
                COALESCE(name, '') || ' ' || COALESCE(description, ''))
);
CREATE INDEX IF NOT EXISTS offer_coordinates ON offers_offer (latitude, longitude)
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("offers", "0002_offer_draft_without_title")]

    operations = [
        migrations.RunSQL(
            CONFIG_SQL,
            reverse_sql="DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent;",
        ),
        migrations.RunSQL(
            INDEX_SQL,
            reverse_sql=(
                "DROP INDEX IF EXISTS offer_search_fr; DROP INDEX IF EXISTS offer_coordinates;"
            ),
        ),
    ]
