"""mer_lessons.data.labels: every label scheme from valence and arousal."""

import numpy as np
import pytest

from mer_lessons.data import labels


def test_quadrants_follow_russell():
    v = np.array([8, 2, 2, 8, 5])
    a = np.array([8, 8, 2, 2, 5])
    assert list(labels.quadrant(v, a)) == ["Q1", "Q2", "Q3", "Q4", "Q1"]  # the midpoint counts as high


def test_high_low_and_polarity_thresholds():
    assert list(labels.high_low([4.9, 5.0, 5.1])) == [0, 1, 1]  # the midpoint counts as high, as in quadrant()
    assert list(labels.polarity([1, 4, 5, 6, 9])) == ["negative", "neutral", "neutral", "neutral", "positive"]
    with pytest.raises(ValueError, match="low"):
        labels.polarity([5], low=6, high=4)


@pytest.mark.parametrize("prototypes", [labels.LIU9_PROTOTYPES, labels.KIRAR3_PROTOTYPES])
def test_every_prototype_maps_to_itself(prototypes):
    names = list(prototypes)
    v = np.array([prototypes[n][0] for n in names])
    a = np.array([prototypes[n][1] for n in names])
    assert list(labels.nearest_prototype(v, a, prototypes)) == names


def test_liu_nine_classes_are_the_papers_nine():
    assert set(labels.LIU9_PROTOTYPES) == {"trust", "joy", "anxiety", "fear", "surprise", "sadness",
                                          "anticipation", "anger", "disgust"}
    assert set(labels.KIRAR3_PROTOTYPES) == {"happy", "sad", "surprise"}


def test_schemes_agree_with_the_circumplex():
    table = labels.label_table([8.5, 1.5, 2.0, 7.5], [7.0, 2.0, 8.5, 3.0])
    assert list(table.columns) == list(labels.LABEL_COLUMNS)
    assert list(table["quadrant"]) == ["Q1", "Q3", "Q2", "Q4"]
    assert list(table["kirar3"][:2]) == ["happy", "sad"]
    assert table.loc[1, "liu9"] == "sadness" and table.loc[2, "liu9"] in ("anger", "fear")
    assert list(table["polarity"]) == ["positive", "negative", "negative", "positive"]


def test_rescale_maps_ranges_linearly():
    np.testing.assert_allclose(labels.rescale([0, 0.5, 1], (0, 1)), [1, 5, 9])
    np.testing.assert_allclose(labels.rescale([-1, 1], (-1, 1)), [1, 9])
    with pytest.raises(ValueError, match="empty source range"):
        labels.rescale([1], (1, 1))


def test_high_low_agrees_with_the_quadrant_everywhere():
    grid = np.array([1.0, 4.999, 5.0, 5.001, 9.0])
    v, a = (x.ravel() for x in np.meshgrid(grid, grid))
    table = labels.label_table(v, a)
    expected = {(1, 1): "Q1", (0, 1): "Q2", (0, 0): "Q3", (1, 0): "Q4"}
    assert [expected[hv, ha] for hv, ha in zip(table["high_valence"], table["high_arousal"])] == list(table["quadrant"])
    assert table.query("valence == 5 and arousal == 5")[["high_valence", "high_arousal", "quadrant"]].values.tolist() == [[1, 1, "Q1"]]


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="same shape"):
        labels.label_table([1, 2], [1])
    with pytest.raises(ValueError, match="finite"):
        labels.quadrant([np.nan], [5])
