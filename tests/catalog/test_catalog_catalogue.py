"""The catalogue as code data: pure, no database."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from django.utils import translation

from culturepass.catalog import catalogue
from culturepass.catalog.catalogue import (
    Choice,
    Platform,
    ReimbursementRule,
    categories,
    category,
    clean_extra_data,
    extra_field_choice,
    extra_field_choices,
    extra_field_tree,
    find_category,
    find_subcategory,
    selectable_subcategories,
    subcategories,
    subcategories_by_category,
    subcategory,
    validate_extra_data,
)


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


# --- Counts of data/README.md -----------------------------------------------------------------


def test_there_are_15_categories_and_only_the_technical_one_is_not_selectable():
    assert len(categories()) == 15
    assert [c.id for c in categories() if not c.is_selectable] == ["TECHNIQUE"]


def test_there_are_73_subcategories_28_events_and_45_things():
    subs = subcategories()
    assert len(subs) == 73
    assert len({s.id for s in subs}) == 73
    assert sum(s.is_event for s in subs) == 28
    assert sum(s.is_thing for s in subs) == 45


def test_65_subcategories_are_selectable():
    assert sum(s.is_selectable for s in subcategories()) == 65
    assert len(selectable_subcategories()) == 65


def test_flag_counts_match_the_readme():
    subs = subcategories()
    assert sum(s.can_be_duo for s in subs) == 25
    assert sum(s.is_withdrawable for s in subs) == 6
    assert sum(s.can_expire for s in subs) == 24
    assert sum(s.can_have_opening_hours for s in subs) == 7
    assert sum(s.can_be_collective for s in subs) == 23


def test_reimbursement_rules_are_50_standard_20_not_reimbursed_3_book():
    counts = Counter(s.reimbursement_rule for s in subcategories())
    assert counts == {
        ReimbursementRule.STANDARD: 50,
        ReimbursementRule.NOT_REIMBURSED: 20,
        ReimbursementRule.BOOK: 3,
    }


def test_platforms_are_45_offline_24_online_4_both():
    counts = Counter(s.platform for s in subcategories())
    assert counts == {Platform.OFFLINE: 45, Platform.ONLINE: 24, Platform.ONLINE_OR_OFFLINE: 4}


def test_four_subcategories_have_an_app_label_of_their_own():
    differing = {s.id: s.app_label for s in subcategories() if s.app_label != s.pro_label}
    assert differing == {
        "EVENEMENT_CINE": "Évènement cinéma",
        "CINE_VENTE_DISTANCE": "Cinéma",
        "LIVRE_PAPIER": "Livre",
        "PLATEFORME_PRATIQUE_ARTISTIQUE": "Plateforme de pratique artistique",
    }


def test_every_subcategory_belongs_to_a_known_category():
    ids = {c.id for c in categories()}
    assert {s.category_id for s in subcategories()} <= ids


# --- Known subcategories ------------------------------------------------------------------------


def test_concert_is_a_duo_capable_withdrawable_event():
    concert = subcategory("CONCERT")
    assert concert.category_id == "MUSIQUE_LIVE"
    assert concert.pro_label == "Concert"
    assert concert.is_event
    assert concert.can_be_duo
    assert concert.is_withdrawable
    assert not concert.is_digital
    assert concert.platform == "OFFLINE"
    assert concert.reimbursement_rule is ReimbursementRule.STANDARD
    assert not concert.can_expire
    assert concert.can_be_collective
    assert concert.is_selectable
    assert concert.homepage_label == "CONCERT"
    assert concert.eac_formats == ("CONCERT",)


def test_the_six_withdrawable_subcategories_are_the_ones_of_the_spec():
    assert {s.id for s in subcategories() if s.is_withdrawable} == {
        "CONCERT",
        "EVENEMENT_MUSIQUE",
        "FESTIVAL_MUSIQUE",
        "SPECTACLE_REPRESENTATION",
        "FESTIVAL_SPECTACLE",
        "FESTIVAL_ART_VISUEL",
    }


def test_music_festival_is_withdrawable_and_has_opening_hours():
    festival = subcategory("FESTIVAL_MUSIQUE")
    assert festival.is_withdrawable
    assert festival.can_have_opening_hours
    assert festival.eac_formats == ("FESTIVAL_SALON_CONGRES", "CONCERT")


def test_paper_book_is_a_physical_thing_reimbursed_at_the_book_rate():
    book = subcategory("LIVRE_PAPIER")
    assert book.reimbursement_rule is ReimbursementRule.BOOK
    assert book.is_thing
    assert book.is_physical
    assert book.can_expire
    assert book.app_label == "Livre"


def test_digital_subcategories_follow_the_data_on_reimbursement():
    assert subcategory("VOD").reimbursement_rule is ReimbursementRule.NOT_REIMBURSED
    assert subcategory("VOD").is_digital
    assert subcategory("PODCAST").reimbursement_rule is ReimbursementRule.NOT_REIMBURSED
    # Digital books are still reimbursed at the book rate, and livestreams at the standard rate.
    assert subcategory("LIVRE_NUMERIQUE").reimbursement_rule is ReimbursementRule.BOOK
    assert subcategory("LIVESTREAM_MUSIQUE").reimbursement_rule is ReimbursementRule.STANDARD
    digital_rules = Counter(s.reimbursement_rule for s in subcategories() if s.is_digital)
    assert digital_rules[ReimbursementRule.NOT_REIMBURSED] == 15


def test_visite_is_the_id_of_free_visits():
    assert subcategory("VISITE").pro_label == "Visite libre"
    assert find_subcategory("VISITE_LIBRE") is None


def test_technical_subcategories_are_not_selectable_and_not_reimbursed():
    technical = [s for s in subcategories() if s.category_id == "TECHNIQUE"]
    assert len(technical) == 4
    assert all(not s.is_selectable for s in technical)
    assert all(s.platform is Platform.ONLINE_OR_OFFLINE for s in technical)
    assert all(s.reimbursement_rule is ReimbursementRule.NOT_REIMBURSED for s in technical)


def test_trailing_spaces_of_labels_are_stripped():
    assert subcategory("ACTIVATION_EVENT").pro_label == (
        "Catégorie technique d'évènement d'activation"
    )
    assert all(s.pro_label == s.pro_label.strip() for s in subcategories())


def test_unknown_ids_raise_key_error_or_give_none():
    with pytest.raises(KeyError):
        subcategory("NOPE")
    with pytest.raises(KeyError):
        category("NOPE")
    assert find_subcategory("NOPE") is None
    assert find_category("NOPE") is None
    assert category("SPECTACLE").label == "Spectacle vivant"


def test_catalogue_objects_are_immutable():
    concert = subcategory("CONCERT")
    with pytest.raises(AttributeError):
        concert.can_be_duo = False  # type: ignore[misc]
    assert subcategory("CONCERT") is concert  # loaded once


# --- Conditional fields -------------------------------------------------------------------------


def test_show_subcategories_require_show_type_and_sub_type_in_the_pro_form():
    show = subcategory("SPECTACLE_REPRESENTATION")
    assert show.conditional_field_names == (
        "author",
        "showSubType",
        "showType",
        "stageDirector",
        "performer",
    )
    show_type = show.conditional_field("showType")
    assert show_type is not None
    assert show_type.required_in_pro_form
    assert show_type.required_in_public_api
    assert not show_type.is_artist_field
    performer = show.conditional_field("performer")
    assert performer is not None
    assert performer.is_artist_field
    assert not performer.required_in_pro_form


def test_concert_asks_for_music_type_required_only_by_the_public_api():
    concert = subcategory("CONCERT")
    music_type = concert.conditional_field("musicType")
    assert music_type is not None
    assert music_type.required_in_public_api
    assert not music_type.required_in_pro_form
    assert concert.conditional_field("speaker") is None
    assert subcategory("CONFERENCE").conditional_field_names == ("speaker",)
    assert subcategory("CARTE_JEUNES").conditional_fields == ()


def test_conditional_fields_agree_with_the_summary_columns_of_subcategories_csv():
    with (catalogue.DATA_DIR / "subcategories.csv").open(encoding="utf-8", newline="") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    for sub in subcategories():
        row = rows[sub.id]
        listed = [name for name in row["conditional_fields"].split("|") if name]
        expected = [(name.rstrip("*"), name.endswith("*")) for name in listed]
        assert [(f.name, f.required_in_pro_form) for f in sub.conditional_fields] == expected
        public = {name for name in row["required_in_public_api"].split("|") if name}
        assert {f.name for f in sub.conditional_fields if f.required_in_public_api} == public


def test_every_conditional_field_has_a_french_label():
    names = {f.name for s in subcategories() for f in s.conditional_fields}
    assert names <= set(catalogue.CONDITIONAL_FIELD_LABELS)
    assert catalogue.conditional_field_label("showType") == "Type de spectacle"
    assert catalogue.conditional_field_label("unknown") == "unknown"


# --- Selection helpers --------------------------------------------------------------------------


def test_selectable_subcategories_of_a_category_and_events_only():
    live = selectable_subcategories("MUSIQUE_LIVE")
    assert [s.id for s in live] == [
        "CONCERT",
        "EVENEMENT_MUSIQUE",
        "LIVESTREAM_MUSIQUE",
        "ABO_CONCERT",
        "FESTIVAL_MUSIQUE",
    ]
    events = selectable_subcategories("MUSIQUE_LIVE", events_only=True)
    assert "ABO_CONCERT" not in {s.id for s in events}
    assert all(s.is_event for s in selectable_subcategories(events_only=True))
    assert "DECOUVERTE_METIERS" not in {s.id for s in selectable_subcategories("CONFERENCE")}
    assert selectable_subcategories("TECHNIQUE") == ()


def test_subcategories_by_category_is_sorted_and_only_selectable():
    groups = subcategories_by_category()
    labels = [cat.label for cat, _subs in groups]
    assert len(groups) == 14
    assert "Catégorie technique" not in labels
    assert labels[0] == "Beaux-arts"
    assert labels == sorted(labels, key=catalogue._sort_key)
    assert sum(len(subs) for _cat, subs in groups) == 65
    for cat, subs in groups:
        assert all(s.category_id == cat.id and s.is_selectable for s in subs)
        assert [s.pro_label for s in subs] == sorted(
            (s.pro_label for s in subs), key=catalogue._sort_key
        )
    cinema = dict((cat.id, subs) for cat, subs in groups)["CINEMA"]
    # Accents do not send "Évènement" after "Séance".
    assert [s.pro_label for s in cinema].index("Évènement cinématographique") < [
        s.pro_label for s in cinema
    ].index("Séance de cinéma")


def test_subcategories_by_category_for_events_leaves_out_thing_only_categories():
    groups = dict(subcategories_by_category(events_only=True))
    ids = {cat.id for cat in groups}
    assert "LIVRE" in ids  # the book festival
    assert "INSTRUMENT" not in ids
    assert all(s.is_event for subs in groups.values() for s in subs)


def test_labels_are_translated_for_display():
    assert catalogue.category_label("MUSIQUE_LIVE") == "Musique live"
    assert catalogue.subcategory_label("LIVRE_PAPIER") == "Livre papier"
    assert catalogue.subcategory_label("LIVRE_PAPIER", app=True) == "Livre"
    assert catalogue.subcategory_label("NOPE") == "NOPE"
    assert catalogue.choice_label("showType", "1300") == "Théâtre"
    assert catalogue.choice_label("showSubType", "-1", parent_code="1300") == "Autre"


# --- Extra-field values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "count"),
    [
        ("musicType", 16),
        ("musicSubType", 200),
        ("showType", 11),
        ("showSubType", 85),
        ("gtl_id", 19),
        ("bookFormat", 8),
        ("eacFormat", 8),
        ("homepageLabel", 19),
    ],
)
def test_extra_field_value_counts(field, count):
    assert len(extra_field_choices(field)) == count


def test_an_unknown_extra_field_raises_key_error():
    with pytest.raises(KeyError):
        extra_field_choices("colour")


def test_music_types_and_their_sub_types_form_a_tree():
    tree = dict(extra_field_tree("musicType"))
    jazz = next(t for t in tree if t.code == "501")
    assert jazz == Choice(code="501", label="Jazz")
    assert len(tree[jazz]) == 19
    assert all(sub.parent_code == "501" for sub in tree[jazz])
    assert tree[jazz][-1] == Choice(code="-1", label="Autre", parent_code="501", slug="JAZZ-OTHER")
    assert sum(len(subs) for subs in tree.values()) == 200


def test_show_types_and_their_sub_types_form_a_tree():
    tree = dict(extra_field_tree("showType"))
    assert len(tree) == 11
    theatre = next(t for t in tree if t.label == "Théâtre")
    assert theatre.code == "1300"
    assert [s.label for s in tree[theatre]][:3] == ["Boulevard", "Classique", "Comédie"]
    assert sum(len(subs) for subs in tree.values()) == 85
    other = next(t for t in tree if t.code == "1500")
    assert other.label == "Autre (spectacle sur glace, historique, aquatique, …)"


def test_autre_sub_types_repeat_their_code_but_not_their_slug():
    for field in ("musicSubType", "showSubType"):
        choices = extra_field_choices(field)
        others = [c for c in choices if c.code == "-1"]
        assert len(others) > 5
        assert len({c.key for c in choices}) == len(choices)
        assert all(c.slug and c.key == c.slug for c in choices)


def test_children_of_a_parent_and_single_lookup():
    assert [c.label for c in extra_field_choices("showSubType", parent_code="400")] == [
        "Café Théâtre",
        "Improvisation",
        "Seul.e en scène",
        "Sketch",
        "Stand Up",
        "Ventriloque",
        "Autre",
    ]
    choice = extra_field_choice("showSubType", "-1", parent_code="400")
    assert choice is not None
    assert choice.slug == "HUMOUR-OTHER"
    assert extra_field_choice("showSubType", "101", parent_code="400") is None
    assert extra_field_choice("musicType", " 880 ") == Choice(code="880", label="Electro")


def test_gtl_music_genres_keep_their_codes_and_know_which_fit_events():
    genres = extra_field_choices("gtl_id")
    assert genres[0] == Choice(code="01000000", label="Musique Classique", slug="MUSIQUE_CLASSIQUE")
    assert {g.code for g in genres if not g.can_be_event} == {
        "03000000",
        "15000000",
        "16000000",
        "18000000",
    }


def test_book_formats():
    assert [c.code for c in extra_field_choices("bookFormat")][:2] == [
        "BANDE_DESSINEE",
        "BEAUX_LIVRES",
    ]
    assert extra_field_choices("bookFormat")[0].label == "BANDE DESSINEE"


# --- Extra data validation ----------------------------------------------------------------------


def test_valid_show_extra_data_has_no_error():
    show = subcategory("SPECTACLE_REPRESENTATION")
    assert validate_extra_data(show, {"showType": "1300", "showSubType": "1303"}) == {}
    assert validate_extra_data(show, {"showType": 1300, "showSubType": -1}) == {}


def test_required_show_type_and_sub_type_missing_give_french_errors():
    show = subcategory("SPECTACLE_REPRESENTATION")
    assert validate_extra_data(show, {"showType": "  ", "performer": "Molière"}) == {
        "showType": "Choisissez un type de spectacle.",
        "showSubType": "Choisissez un sous-type de spectacle.",
    }


def test_show_type_not_in_the_list_is_refused():
    show = subcategory("ABO_SPECTACLE")
    errors = validate_extra_data(show, {"showType": "999", "showSubType": "1303"})
    assert errors == {"showType": "Choisissez une valeur de la liste."}


def test_show_sub_type_of_another_type_is_refused():
    show = subcategory("FESTIVAL_SPECTACLE")
    errors = validate_extra_data(show, {"showType": "100", "showSubType": "1303"})
    assert errors == {"showSubType": "Ce sous-type ne correspond pas au type de spectacle choisi."}


def test_show_sub_type_not_in_any_list_is_refused():
    show = subcategory("FESTIVAL_SPECTACLE")
    errors = validate_extra_data(show, {"showType": "100", "showSubType": "42"})
    assert errors == {"showSubType": "Choisissez une valeur de la liste."}


def test_music_fields_are_optional_for_a_concert_but_checked_when_given():
    concert = subcategory("CONCERT")
    assert validate_extra_data(concert, {}) == {}
    assert validate_extra_data(concert, {"musicType": "501", "musicSubType": "-1"}) == {}
    assert validate_extra_data(concert, {"musicType": "501", "musicSubType": "521"}) == {
        "musicSubType": "Ce sous-genre ne correspond pas au genre musical choisi."
    }
    assert validate_extra_data(concert, {"musicType": "12"}) == {
        "musicType": "Choisissez une valeur de la liste."
    }
    assert validate_extra_data(concert, {"musicSubType": "521"}) == {
        "musicSubType": "Choisissez d'abord un genre musical."
    }


def test_fields_the_subcategory_does_not_use_are_ignored_and_cleaned_away():
    concert = subcategory("CONCERT")
    data = {"showType": "nonsense", "performer": "  Nina  ", "author": "", "musicType": "600"}
    assert validate_extra_data(concert, data) == {}
    assert clean_extra_data(concert, data) == {"performer": "Nina", "musicType": "600"}


def test_errors_are_given_whatever_the_active_language():
    # The msgids are French; without an English translation they stay French.
    show = subcategory("SPECTACLE_REPRESENTATION")
    with translation.override("en"):
        errors = validate_extra_data(show, {})
    assert set(errors) == {"showType", "showSubType"}
