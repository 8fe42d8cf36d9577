"""mer_lessons.data.core: the registry, the Dataset contract, load()'s errors."""

import numpy as np
import pandas as pd
import pytest

from mer_lessons import data
from mer_lessons.data import core


# every test gets its own empty data folder (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("data_home")


def test_registry_lists_every_dataset_with_a_loader_and_a_card():
    registry = data.read_registry()
    assert set(registry) == set(core.LOADER_MODULES)
    for name, info in registry.items():
        assert info.access in core.ACCESS_LEVELS
        assert info.title and info.licence and info.citation and info.modalities
        assert name in data.card(name).lower() or info.title.split(":")[0].lower() in data.card(name).lower()
        if info.access in ("eula", "request"):
            assert info.request_url or info.homepage
        for f in info.files:
            assert f.url.startswith(("https://", "http://")) and f.filename
            assert f.sha256 == "" or len(f.sha256) == 64


def test_available_is_a_table_of_every_dataset():
    table = data.available()
    assert isinstance(table, pd.DataFrame)
    assert {"mini", "deap", "meld", "vgmidi"} <= set(table.index)
    assert {"title", "modalities", "labels", "size", "licence", "access", "chapters", "on_disk"} <= set(table.columns)
    assert not table["on_disk"].any()  # nothing downloaded in this empty data folder


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(KeyError, match="known datasets: .*deap"):
        data.load("deep")


@pytest.mark.parametrize("name, expected", [("deap", "Request access"), ("deam", "fetch\\('deam'\\)")])
def test_missing_real_dataset_fails_at_once_saying_what_to_do(name, expected, data_home):
    with pytest.raises(data.DatasetNotAvailableError, match=expected) as error:
        data.load(name)
    assert str(data_home / name) in str(error.value)


def test_an_empty_root_folder_is_not_a_dataset(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(data.DatasetNotAvailableError, match="no data in"):
        data.load("ravdess", root=tmp_path / "empty")


def test_malformed_registry_is_reported(monkeypatch):
    monkeypatch.setattr(core, "_registry_text", lambda: '[broken]\ntitle = "x"\n')
    with pytest.raises(data.DatasetFormatError, match=r"\[broken\] is malformed"):
        data.read_registry()
    monkeypatch.setattr(core, "_registry_text", lambda: (
        '[odd]\ntitle="x"\naccess="secret"\nmodalities=[]\nlabels=[]\nsize=""\nlicence=""\nhomepage=""\ncitation=""\n'))
    with pytest.raises(data.DatasetFormatError, match="access must be one of"):
        data.read_registry()


def _toy(tmp_path=None, broken_ids=()):
    meta = pd.DataFrame({"id": ["a", "b", "c"], "subject": [1, 1, 2], "valence": np.array([2.0, 5.0, 8.0])})

    def load_item(row):
        if row["id"] in broken_ids:
            raise data.DatasetFormatError(f"{row['id']}.wav: truncated")
        return {"signal": np.full(4, row["valence"])}

    return data.Dataset("toy", meta, load_item, label_columns=["valence"], root=tmp_path)


def test_dataset_contract():
    ds = _toy()
    assert len(ds) == 3
    item = ds[1]
    assert item["id"] == "b" and item["labels"] == {"valence": 5.0}
    assert isinstance(item["labels"]["valence"], float)  # plain Python scalars
    np.testing.assert_array_equal(item["signal"], np.full(4, 5.0))
    assert ds[-1]["id"] == "c"
    assert [it["id"] for it in ds] == ["a", "b", "c"]
    assert "3 items" in repr(ds)


def test_dataset_indexing_errors():
    ds = _toy()
    with pytest.raises(IndexError, match="out of range"):
        ds[3]
    with pytest.raises(TypeError, match="subset"):
        ds[[0, 1]]


def test_subset_by_mask_and_positions():
    ds = _toy()
    by_mask = ds.subset(ds.meta["subject"] == 1)
    assert list(by_mask.meta["id"]) == ["a", "b"] and by_mask[1]["id"] == "b"
    assert list(ds.subset([2, 0]).meta["id"]) == ["c", "a"]


def test_validate_lists_bad_items_by_id_and_the_rest_still_load():
    ds = _toy(broken_ids=("b",))
    assert ds.validate() == [("b", "b.wav: truncated")]
    assert ds[0]["id"] == "a" and ds[2]["id"] == "c"


def test_duplicate_ids_and_missing_label_columns_are_rejected():
    meta = pd.DataFrame({"id": ["a", "a"]})
    with pytest.raises(data.DatasetFormatError, match="duplicate item ids"):
        data.Dataset("toy", meta, lambda row: {})
    with pytest.raises(ValueError, match="label columns"):
        data.Dataset("toy", pd.DataFrame({"id": ["a"]}), lambda row: {}, label_columns=["valence"])


def test_require_file_names_the_file_and_the_expectation(tmp_path):
    with pytest.raises(data.DatasetFormatError, match="labels.csv is missing; expected the label table"):
        core.require_file(tmp_path / "labels.csv", "toy", "the label table")


@pytest.mark.parametrize("value, expected", [("train", ["train"]), (["val", "test"], ["val", "test"]),
                                             (("train",), ["train"]), ([], [])])
def test_option_names_takes_one_name_or_a_list(value, expected):
    assert core.option_names(value, ("train", "val", "test"), dataset="toy", what="split") == expected


def test_option_names_refuses_unknown_names():
    with pytest.raises(ValueError, match=r"^toy: unknown split\(s\) \['validation'\]; choose from \('train', 'val'\)$"):
        core.option_names(["train", "validation"], ("train", "val"), dataset="toy", what="split")


def test_warn_skipped_warns_once_with_the_first_five_names():
    message = r"^toy: 6 file\(s\) skipped: a, b, c, d, e \.\.\. \(see ds.skipped\)$"
    with pytest.warns(UserWarning, match=message) as caught:
        core.warn_skipped([(name, "why") for name in "abcdef"], "toy", "file(s) skipped", stacklevel=1)
    assert len(caught) == 1 and caught[0].filename == __file__    # stacklevel counts from the caller
    with pytest.warns(UserWarning, match=r"^toy: 1 file\(s\) skipped: a \(see ds.skipped\)$"):
        core.warn_skipped([("a", "why")], "toy", "file(s) skipped", stacklevel=1)


def test_warn_skipped_is_silent_when_nothing_was_skipped(recwarn):
    core.warn_skipped([], "toy", "file(s) skipped")
    assert len(recwarn) == 0


@pytest.mark.parametrize("value", [3, "3", "03", "s03", "S3", " s003 "])
def test_participant_number_reads_numbers_and_names(value):
    assert core.participant_number(value, dataset="toy", prefix="s", count=32) == 3


@pytest.mark.parametrize("value", ["P03", "s", "3a", "subject 3"])
def test_participant_number_names_the_accepted_forms(value):
    with pytest.raises(ValueError, match=r"toy: cannot read .* as a participant \(use 1..32 or 's01'\)"):
        core.participant_number(value, dataset="toy", prefix="s", count=32)


def test_select_participants_keeps_the_asked_for_files_in_order(tmp_path):
    found = {1: tmp_path / "s01.dat", 2: tmp_path / "s02.dat", 7: tmp_path / "s07.dat"}
    options = dict(dataset="toy", prefix="s", count=32, file_name="s{:02d}.dat", where=tmp_path)
    assert core.select_participants(found, None, **options) == found
    assert core.select_participants(found, "s02", **options) == {2: found[2]}
    assert list(core.select_participants(found, [7, "s01", 1], **options)) == [1, 7]
    with pytest.raises(data.DatasetFormatError, match=r"toy: .* has no s03.dat, s09.dat \(asked for by subjects=\)"):
        core.select_participants(found, [3, 1, 9], **options)


def test_a_folder_with_only_an_unfinished_download_is_not_a_dataset(tmp_path):
    folder = tmp_path / "deam"
    folder.mkdir()
    (folder / "DEAM_audio.zip.part").write_bytes(b"partial")
    (folder / ".fetched.json").write_text("{}")
    with pytest.raises(data.DatasetNotAvailableError, match="no data in"):
        data.load("deam", root=folder)


def test_open_dataset_without_download_files_says_where_to_get_it(data_home):
    info = data.dataset_info("pmemo")
    assert info.access == "open" and not info.files
    with pytest.raises(data.DatasetNotAvailableError) as error:
        data.load("pmemo")
    assert "fetch(" not in str(error.value) and (info.request_url or info.homepage) in str(error.value)
