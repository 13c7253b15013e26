"""Type inference over whole columns, and the parsing of Spanish and English formats."""

from __future__ import annotations

import pytest

from abierto.datastore import infer
from abierto.datastore.schema import BOOL, DATE, INT, NUMERIC, TEXT, TIMESTAMP


def column(*values: str | None) -> tuple[str, list[str | None]]:
    """The type inferred for a column holding `values`, and the values as stored."""
    inference = infer.Inference(1)
    inference.feed([[v] for v in values])
    [(kind, decimal)] = inference.fields()
    convert = infer.converter(kind, decimal)
    return kind, [convert(v) for v in values]


def test_spanish_amounts_with_decimal_comma_and_thousands_points_are_numbers():
    kind, stored = column("1.234,56", "2,5", "1.000", "-17")
    assert kind == NUMERIC
    assert stored == ["1234.56", "2.5", "1000", "-17"]


def test_english_amounts_with_thousands_commas_are_numbers():
    kind, stored = column("1,234.56", "$3,000", "0.5")
    assert kind == NUMERIC
    assert stored == ["1234.56", "3000", "0.5"]


def test_integers_with_spanish_thousands_stay_integers():
    assert column("1.234.567", "12", "999") == (INT, ["1234567", "12", "999"])


def test_a_lone_1_234_is_read_as_a_decimal_unless_the_column_shows_a_decimal_comma():
    assert column("1.234", "5.678") == (NUMERIC, ["1.234", "5.678"])
    assert column("1.234", "0,5") == (NUMERIC, ["1234", "0.5"])


def test_mixed_decimal_separators_make_a_text_column():
    assert column("1,5", "2.75")[0] == TEXT


def test_day_first_and_iso_dates_are_dates():
    assert column("31/12/2017", "2018-01-05", "01-02-2019") == (
        DATE,
        ["2017-12-31", "2018-01-05", "2019-02-01"],
    )


def test_a_month_first_date_is_not_taken_for_a_date():
    assert column("12/31/2017")[0] == TEXT


def test_dates_and_datetimes_together_are_timestamps():
    kind, stored = column("2017-12-31 10:30", "31/12/2017 08:00:15", "2018-01-01")
    assert kind == TIMESTAMP
    assert stored == ["2017-12-31T10:30:00", "2017-12-31T08:00:15", "2018-01-01T00:00:00"]


def test_an_offset_is_converted_to_utc():
    assert column("2017-12-31T10:30:00-06:00")[1] == ["2017-12-31T16:30:00"]


@pytest.mark.parametrize(
    ("values", "stored"),
    [
        (("sí", "No", "SI"), ["1", "0", "1"]),
        (("verdadero", "falso"), ["1", "0"]),
        (("true", "FALSE"), ["1", "0"]),
    ],
)
def test_spanish_and_english_booleans(values, stored):
    assert column(*values) == (BOOL, stored)


def test_ones_and_zeros_stay_integers():
    assert column("1", "0", "1")[0] == INT


def test_null_markers_become_null_and_do_not_spoil_the_type():
    kind, stored = column("12", "N/A", "", "s/d", "-", "NA", "N/D", "sin dato", "7")
    assert kind == INT
    assert stored == ["12", None, None, None, None, None, None, None, "7"]


def test_a_column_of_only_nulls_is_text():
    assert column("", "N/A")[0] == TEXT


def test_text_columns_keep_markers_as_written_and_empty_as_null():
    assert column("Zapopan", "N/A", "") == (TEXT, ["Zapopan", "N/A", None])


def test_codes_with_leading_zeros_stay_text():
    # INEGI keys: municipio 001 of state 01. As numbers they would lose their zeros.
    assert column("001", "014", "120") == (TEXT, ["001", "014", "120"])


def test_a_number_too_large_for_bigint_is_numeric():
    assert column("12345678901234567890")[0] == NUMERIC


def test_a_late_value_of_another_type_widens_the_column():
    values = [str(n) for n in range(20_000)] + ["12,5 aprox."]
    inference = infer.Inference(1)
    for start in range(0, len(values), 5000):
        inference.feed([[v] for v in values[start : start + 5000]])
    assert inference.fields()[0][0] == TEXT


def test_an_invalid_date_is_not_a_date():
    assert column("2017-02-30")[0] == TEXT


def test_a_forced_type_refuses_a_value_with_a_message():
    convert = infer.converter(INT)
    with pytest.raises(infer.ParseError, match="no es un número entero"):
        convert("doce")
    assert convert("1.234") == "1234"


@pytest.mark.parametrize(
    "batches",
    [
        [["1234.5", "007"]],
        [["007", "1234.5"]],
        [["1234.5"], ["007"]],
        [["007"], ["1234.5"]],
        [["1234.5"], [""], ["007"]],
    ],
)
def test_a_code_among_decimals_makes_text_whatever_the_order_and_the_batches(batches):
    # Before, a decimal seen first made `007` fit (as 7): numeric or text by chance.
    inference = infer.Inference(1)
    for batch in batches:
        inference.feed([[value] for value in batch])
    assert inference.fields() == [(TEXT, None)]
