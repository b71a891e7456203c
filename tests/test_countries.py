import pytest

from tiptiers.countries import UnknownCountry, country_table


@pytest.mark.parametrize("query", ["JPN", "jpn", "Japan", "japan", "JAPAN", " Japan "])
def test_country_resolves_by_code_or_name_in_any_case(query):
    assert country_table().resolve(query).iso3 == "JPN"


@pytest.mark.parametrize(
    ("query", "iso3"),
    [("Kosovo", "XKX"), ("KOS", "XKX"), ("cote d'ivoire", "CIV"), ("Côte d'Ivoire", "CIV"), ("Burma", "MMR"),
     ("Swaziland", "SWZ"), ("Curacao", "CUW"), ("Hong Kong", "HKG"), ("Netherlands Antilles", "ANT")],
)
def test_entities_outside_iso_and_old_names_resolve(query, iso3):
    assert country_table().resolve(query).iso3 == iso3


def test_unknown_country_suggests_the_closest_names():
    with pytest.raises(UnknownCountry) as caught:
        country_table().resolve("Japn")
    assert "Japan (JPN)" in str(caught.value)
    assert caught.value.suggestions[0] == "Japan (JPN)"


def test_non_iso_entities_are_marked():
    table = country_table()
    assert table.get("XKX").iso_status == "no"
    assert table.get("ANT").iso_status == "historic"
    assert table.get("JPN").iso_status == "yes"
