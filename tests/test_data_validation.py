"""Reading CSV files and validating tables: every refusal names what is wrong and where."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest

from gen_models.data import DataError, infer_schema, read_csv, validate_table
from gen_models.data.reading import read_table

# --- read_csv ----------------------------------------------------------------------------------


def test_reads_a_plain_csv_from_bytes_path_and_file_object(tmp_path):
    content = b"a,b,c\n1,x,2.5\n2,y,\n"
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    for source in (content, path, str(path), io.BytesIO(content)):
        df = read_csv(source)
        assert list(df.columns) == ["a", "b", "c"]
        assert df["a"].tolist() == [1, 2]
        assert df["c"].isna().tolist() == [False, True]


def test_utf8_byte_order_mark_is_accepted():
    df = read_csv(b"\xef\xbb\xbfname,caf\xc3\xa9\nx,1\n")
    assert list(df.columns) == ["name", "café"]


@pytest.mark.parametrize("content", [b"", b"   \n\n  \r\n"])
def test_empty_file_is_refused(content):
    with pytest.raises(DataError, match="The file is empty"):
        read_csv(content)


def test_non_utf8_text_names_the_byte_and_line():
    content = b"a,b\n1,ok\n2,caf\xe9\n"  # a Latin-1 e-acute at offset 14 (counting from 0), on line 3
    with pytest.raises(DataError, match=r"offset 14 \(line 3\)") as info:
        read_csv(content)
    assert "UTF-8" in str(info.value)
    with pytest.raises(DataError, match=r"offset 17 \(line 3\)"):
        read_csv(b"\xef\xbb\xbf" + content)  # the offset counts the byte-order mark too


def test_binary_content_is_refused():
    with pytest.raises(DataError, match="binary"):
        read_csv(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="Excel"):
        read_csv(b"PK\x03\x04" + b"\x00" * 100)


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"<!DOCTYPE html><html><body>hi</body></html>", "web page"), (b'[{"a": 1}, {"a": 2}]', "JSON")],
)
def test_html_and_json_are_refused(content, what):
    with pytest.raises(DataError, match=what):
        read_csv(content)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_detected(delimiter):
    rows = ["a,b,c".replace(",", delimiter), "1,2,3".replace(",", delimiter), "4,5,6".replace(",", delimiter)]
    df = read_csv(("\n".join(rows) + "\n").encode())
    assert list(df.columns) == ["a", "b", "c"]
    assert df["c"].tolist() == [3, 6]


def test_semicolons_with_decimal_commas_are_read_as_numbers():
    df = read_csv(b"height;weight\n1,75;70,5\n1,80;80,1\n")
    assert list(df.columns) == ["height", "weight"]
    assert df["height"].tolist() == [1.75, 1.80]
    assert df["weight"].dtype == float


def test_european_thousands_and_decimals_are_read_as_numbers_and_reported():
    raw = "Stadt;Einwohner;Fläche\nBerlin;3.645.000;891,7\nBonn;327.258;141,1\nUlm;126.329;118,69\n".encode()
    table = read_table(raw)
    assert table.frame["Einwohner"].tolist() == [3_645_000, 327_258, 126_329]
    assert table.frame["Fläche"].tolist() == [891.7, 141.1, 118.69]
    assert (table.info.delimiter, table.info.decimal, table.info.thousands) == (";", ",", ".")
    assert "decimal comma" in table.info.describe()


def test_quoted_thousands_in_a_comma_file_are_numbers_not_text():
    table = read_table(b'name,amount\na,"1,234.5"\nb,"12,000.25"\nc,7.5\n')
    assert table.frame["amount"].tolist() == [1234.5, 12000.25, 7.5]
    assert (table.info.decimal, table.info.thousands) == (".", ",")


def test_a_plain_comma_file_keeps_its_decimal_point():
    table = read_table(b"x,y\n1.5,2\n2.25,3\n")
    assert table.frame["x"].tolist() == [1.5, 2.25]
    assert (table.info.delimiter, table.info.decimal, table.info.thousands) == (",", ".", None)


def test_a_header_starting_with_a_bracket_is_not_a_web_page():
    df = read_csv(b"<id>,value\n1,2\n3,4\n")
    assert list(df.columns) == ["<id>", "value"]
    with pytest.raises(DataError, match="web page"):
        read_csv(b"<!DOCTYPE html><html><body>hi</body></html>")


def test_gzip_parquet_and_excel_files_are_read_like_csv(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, None]})
    csv_bytes = frame.to_csv(index=False).encode()
    gz = read_table(gzip.compress(csv_bytes))
    assert gz.info.format == "csv.gz"
    pd.testing.assert_frame_equal(gz.frame, frame)

    frame.to_parquet(tmp_path / "t.parquet")
    parquet = read_table(tmp_path / "t.parquet")
    assert parquet.info.format == "parquet"
    pd.testing.assert_frame_equal(parquet.frame, frame)

    with pd.ExcelWriter(tmp_path / "t.xlsx", engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="first", index=False)
        frame.assign(a=[7, 8, 9]).to_excel(writer, sheet_name="second", index=False)
    excel = read_table(tmp_path / "t.xlsx")
    assert (excel.info.format, excel.info.sheet, excel.sheets) == ("excel", "first", ("first", "second"))
    assert excel.frame["a"].tolist() == [1, 2, 3]
    assert excel.frame["b"].tolist() == ["x", "y", "z"]
    assert read_table(tmp_path / "t.xlsx", sheet="second").frame["a"].tolist() == [7, 8, 9]
    with pytest.raises(DataError, match="no sheet 'third'.*first, second"):
        read_table(tmp_path / "t.xlsx", sheet="third")


def test_excel_duplicate_headers_and_old_xls_get_clear_messages(tmp_path):
    pd.DataFrame([["a", "a"], [1, 2]]).to_excel(tmp_path / "d.xlsx", header=False, index=False)
    with pytest.raises(DataError, match="appears twice"):
        read_table(tmp_path / "d.xlsx")
    with pytest.raises(DataError, match=r"old Excel file \(\.xls\)"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(DataError, match="damaged"):
        read_table(b"\x1f\x8b" + b"junk")


def test_single_column_file_reads_as_one_column():
    df = read_csv(b"value\n1\n2\n3\n")
    assert list(df.columns) == ["value"]


def test_ambiguous_delimiter_is_refused():
    with pytest.raises(DataError, match="commas and semicolons"):
        read_csv(b"a,b;c\n1,2;3\n4,5;6\n")


def test_duplicate_column_names_are_refused_naming_the_column():
    with pytest.raises(DataError, match=r"'mass' appears twice.*columns 2 and 4") as info:
        read_csv(b"id,mass,sex,mass\n1,2,m,3\n")
    assert info.value.column == "mass"


def test_ragged_row_names_the_line():
    with pytest.raises(DataError, match="Line 4 has 4 cells but the header has 3 columns"):
        read_csv(b"a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(DataError, match="Line 3 has 2 cells"):
        read_csv(b"a,b,c\n1,2,3\n4,5\n")


def test_quoted_delimiters_and_newlines_are_not_ragged():
    df = read_csv(b'name,note\nx,"a, b"\ny,"two\nlines"\n')
    assert df["note"].tolist() == ["a, b", "two\nlines"]


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="There is no file"):
        read_csv(tmp_path / "nope.csv")


# --- validate_table ----------------------------------------------------------------------------


def table(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "colour": rng.choice(["red", "green"], n),
            "day": pd.date_range("2022-01-01", periods=n).strftime("%Y-%m-%d"),
        }
    )


def test_a_good_table_passes():
    df = table()
    assert validate_table(df, infer_schema(df)) is None


def test_too_few_rows():
    df = table(30)
    schema = infer_schema(df)
    with pytest.raises(DataError) as info:
        validate_table(df.head(4), schema)
    assert str(info.value) == "The table has 4 rows; training needs at least 10."
    with pytest.raises(DataError, match="no rows"):
        validate_table(df.head(0), schema)
    validate_table(df.head(4), schema, min_rows=4)


def test_no_usable_column():
    df = table()
    schema = infer_schema(df, overrides={"x": "ignore", "colour": "ignore", "day": "ignore"})
    with pytest.raises(DataError, match="every column is set to 'ignore'"):
        validate_table(df, schema)


def test_column_missing_from_the_table():
    df = table()
    with pytest.raises(DataError, match="'colour' is missing") as info:
        validate_table(df.drop(columns="colour"), infer_schema(df))
    assert info.value.column == "colour"


def test_entirely_missing_column_is_named():
    df = table()
    df["blank"] = np.nan
    schema = infer_schema(df, overrides={"blank": "continuous"})
    with pytest.raises(DataError, match="'blank' has no values") as info:
        validate_table(df, schema)
    assert info.value.column == "blank"


def test_infinite_value_names_column_and_row():
    df = table()
    schema = infer_schema(df)
    df.loc[6, "x"] = np.inf  # the 7th data row
    with pytest.raises(DataError, match="'x' has an infinite value in row 7") as info:
        validate_table(df, schema)
    assert (info.value.column, info.value.row) == ("x", 7)


def test_text_in_a_numeric_column_names_the_row():
    df = table()
    schema = infer_schema(df)
    df["x"] = df["x"].astype(object)
    df.loc[2, "x"] = "n/a"
    with pytest.raises(DataError, match="row 3 holds 'n/a'") as info:
        validate_table(df, schema)
    assert info.value.row == 3


def test_unparsable_date_names_the_row():
    df = table()
    schema = infer_schema(df)
    assert schema.column("day").kind == "datetime"
    df.loc[4, "day"] = "sometime in May"
    with pytest.raises(DataError, match="'day'.*row 5 holds 'sometime in May'") as info:
        validate_table(df, schema)
    assert (info.value.column, info.value.row) == ("day", 5)


def test_too_many_levels_caught_at_validation():
    df = table()
    schema = infer_schema(df)
    df["colour"] = [f"c{i % 12}" for i in range(len(df))]
    with pytest.raises(DataError, match="'colour' has 12 different values; at most 10"):
        validate_table(df, schema, max_levels=10)


def test_a_number_too_large_for_the_models_is_refused_naming_column_and_row():
    df = pd.DataFrame({"x": [1.0, 2.0, 1e308, 4.0] * 5, "c": list("abcd") * 5})
    with pytest.raises(DataError, match=r"Column 'x' holds 1e\+308 in row 3.*placeholder") as refused:
        validate_table(df, infer_schema(df))
    assert (refused.value.column, refused.value.row) == ("x", 3)
