"""The data boundary: what crosses comes back exactly, and reading a message never runs code."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from omc.lab.sandbox.serialize import HEADER, Unsupported, decode, encode


def round_trip(value):
    return decode(bytearray(b"".join(bytes(part) for part in encode(value))))


def test_frames_of_every_common_dtype_come_back_exactly():
    index = pd.date_range("2024-01-01", periods=4, freq="5min", tz="UTC", name="timestamp")
    frame = pd.DataFrame(
        {
            "close": [1.0, np.nan, np.inf, -0.0],
            "count": np.arange(4, dtype=np.int32),
            "flag": [True, False, True, False],
            "name": ["a", "b", None, "d"],
            "when": index,
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
            "kind": pd.Categorical(["x", "y", "x", "y"], ordered=True),
            "delta": pd.to_timedelta([1, 2, 3, 4], unit="h"),
        },
        index=index,
    )
    assert_frame_equal(round_trip(frame), frame, check_exact=True, check_freq=True)


def test_a_single_dtype_frame_crosses_as_one_block_and_stays_writable():
    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "c"])
    back = round_trip(frame)
    assert_frame_equal(back, frame, check_exact=True)
    back.iloc[0, 0] = 99.0
    assert back.iloc[0, 0] == 99.0


def test_multi_index_results_and_series_names_come_back():
    frame = pd.DataFrame({"g": ["a", "a", "b"], "h": [1, 2, 1], "v": [1.0, 2.0, 3.0]})
    grouped = frame.groupby(["g", "h"]).agg({"v": ["mean", "max"]})
    assert_frame_equal(round_trip(grouped), grouped)
    series = pd.Series([1, 2], index=pd.Index(["x", "y"], name="key"), name=("a", 1))
    assert_series_equal(round_trip(series), series)


def test_scalars_keep_their_exact_type_and_value():
    for value in [0.1, 2**100, -0.0, np.float32(0.1), np.int8(-3), True, "é\u2028", None, 1j]:
        back = round_trip(value)
        assert type(back) is type(value)
        assert back == value
    assert np.isnan(round_trip(float("nan")))


@pytest.mark.parametrize(
    "value", [len, pd, object(), np.array([object()]), b"bytes", {1, 2}, [print]]
)
def test_values_that_could_carry_code_or_state_are_refused(value):
    with pytest.raises(Unsupported):
        encode(value)


def _message(tree, buffers=()):
    header = json.dumps({"value": tree, "sizes": [len(b) for b in buffers]}).encode()
    return bytearray(HEADER.pack(len(header)) + header + b"".join(buffers))


@pytest.mark.parametrize(
    "tree",
    [
        {"t": "ndarray", "array": {"dtype": "|O", "shape": [1], "b": 0}},
        {"t": "ndarray", "array": {"dtype": "[('a', 'O')]", "shape": [1], "b": 0}},
        {"t": "ndarray", "array": {"dtype": "<f8", "shape": [1000], "b": 0}},
        {"t": "frame", "columns": {"t": "range", "r": [0, 1, 1], "name": {"t": "none"}},
         "index": {"t": "range", "r": [0, 1, 1], "name": {"t": "none"}},
         "data": [{"ext": "object", "items": []}]},
        {"t": "pickle", "v": "x"},
    ],
)  # fmt: skip
def test_a_forged_message_is_refused_not_executed(tree):
    with pytest.raises((ValueError, KeyError, TypeError)):
        decode(_message(tree, [b"\x00" * 8]))


def test_a_pickle_is_never_read():
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pickle was loaded')",))

    with pytest.raises((ValueError, KeyError, TypeError, UnicodeDecodeError)):
        decode(bytearray(pickle.dumps(Boom())))


def test_a_truncated_message_is_refused():
    message = bytearray(b"".join(bytes(p) for p in encode(np.arange(10.0))))
    with pytest.raises(ValueError, match="truncated"):
        decode(message[:-8])
