"""Values across the boundary: a JSON description plus raw array buffers, never pickle.

A message is ``[8-byte header length][JSON header][buffer 0][buffer 1]…``. The header describes
the value as a tree; numeric, boolean, datetime and timedelta arrays travel as their raw bytes
with a dtype string that is checked before ``numpy.frombuffer`` reads them (object and
structured dtypes are refused), text and other scalars travel in the JSON. Reading a message
therefore never runs code, whoever wrote it. What may cross is what ``result`` may be: a
DataFrame, Series, ndarray, number, string, bool, None (and timestamps), or lists, tuples and
dicts of those.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import struct
from typing import Any

import numpy as np
import pandas as pd

HEADER = struct.Struct("<Q")
MAX_DEPTH = 64
RAW_KINDS = "biufcmM"
EXTENSION_DTYPES = re.compile(
    r"^(str|string|string\[python\]|string\[pyarrow\]|boolean|"
    r"U?Int(8|16|32|64)|Float(32|64)|datetime64\[(s|ms|us|ns), [A-Za-z0-9_/+\-:]+\])$"
)


class Unsupported(TypeError):
    """A value that may not cross the boundary; the message says where in the value it is."""


def _describe(value: Any) -> str:
    if callable(value) and not isinstance(value, type):
        return "a function"
    if isinstance(value, type):
        return "a class"
    if type(value).__name__ == "module":
        return "a module"
    if type(value).__name__ in ("generator", "coroutine", "async_generator"):
        return "a generator"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


class Encoder:
    """Turns a value into a header tree and a list of buffers."""

    def __init__(self) -> None:
        self.buffers: list[memoryview] = []
        self.size = 0

    def _buffer(self, array: np.ndarray) -> int:
        array = np.ascontiguousarray(array)
        view = memoryview(array.reshape(-1).view(np.uint8)) if array.size else memoryview(b"")
        self.buffers.append(view)
        self.size += view.nbytes
        return len(self.buffers) - 1

    def value(self, value: Any, where: str = "result", depth: int = 0) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise Unsupported(f"{where} is nested more than {MAX_DEPTH} levels deep")
        kind = type(value)
        if value is None:
            return {"t": "none"}
        if kind is bool:
            return {"t": "bool", "v": value}
        if kind is int:
            return {"t": "int", "v": str(value)}
        if kind is float:
            return {"t": "float", "v": value.hex()}
        if kind is complex:
            return {"t": "complex", "v": [value.real.hex(), value.imag.hex()]}
        if kind is str:
            return {"t": "str", "v": value}
        if isinstance(value, np.generic) and kind.__module__ == "numpy":
            if value.dtype.kind not in RAW_KINDS:
                raise Unsupported(f"{where} is a numpy {value.dtype} scalar")
            return {"t": "npscalar", "array": self.array(np.asarray(value).reshape(1), where)}
        if kind is pd.Timestamp or kind is pd.Timedelta:
            index = (
                pd.DatetimeIndex([value]) if kind is pd.Timestamp else pd.TimedeltaIndex([value])
            )
            return {"t": "pdscalar", "index": self.index(index, where, depth)}
        if value is pd.NaT:
            return {"t": "nat"}
        if value is pd.NA:
            return {"t": "na"}
        if kind in (list, tuple):
            items = [self.value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
            return {"t": "list" if kind is list else "tuple", "items": items}
        if kind is dict:
            pairs = []
            for key, item in value.items():
                encoded_key = self.value(key, f"a key of {where}", depth + 1)
                if encoded_key["t"] in ("list", "dict", "frame", "series", "ndarray"):
                    raise Unsupported(f"a key of {where} is {_describe(key)}")
                pairs.append([encoded_key, self.value(item, f"{where}[{key!r}]", depth + 1)])
            return {"t": "dict", "items": pairs}
        if kind is np.ndarray:
            return {"t": "ndarray", "array": self.array(value, where)}
        if kind is pd.Series:
            return {
                "t": "series",
                "values": self.column(value, where),
                "index": self.index(value.index, f"the index of {where}", depth),
                "name": self.value(value.name, f"the name of {where}", depth + 1),
            }
        if kind is pd.DataFrame:
            block = _single_block(value)
            if block is not None:
                return {
                    "t": "frame",
                    "columns": self.index(value.columns, f"the columns of {where}", depth),
                    "index": self.index(value.index, f"the index of {where}", depth),
                    "block": self.array(block, where),
                }
            return {
                "t": "frame",
                "columns": self.index(value.columns, f"the columns of {where}", depth),
                "index": self.index(value.index, f"the index of {where}", depth),
                "data": [
                    self.column(value.iloc[:, i], f"{where} column {label!r}")
                    for i, label in enumerate(value.columns)
                ],
            }
        if isinstance(value, dt.datetime | dt.date | dt.timedelta | np.datetime64):
            raise Unsupported(f"{where} is {_describe(value)}: use pandas.Timestamp")
        raise Unsupported(
            f"{where} is {_describe(value)}; it may be a DataFrame, Series, ndarray, number, "
            "string, bool, None, or lists/dicts of those"
        )

    def array(self, array: np.ndarray, where: str) -> dict[str, Any]:
        if array.dtype.kind in RAW_KINDS and array.dtype.fields is None:
            return {
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "b": self._buffer(array),
            }
        if array.dtype.kind in "OUS":
            items = [
                self.value(item, f"an item of {where}", MAX_DEPTH - 2) for item in array.ravel()
            ]
            for item in items:
                if item["t"] in ("list", "tuple", "dict", "ndarray", "series", "frame"):
                    raise Unsupported(f"{where} holds nested containers")
            return {"dtype": "object" if array.dtype.kind == "O" else array.dtype.str,
                    "shape": list(array.shape), "items": items}  # fmt: skip
        raise Unsupported(f"{where} has dtype {array.dtype}, which cannot cross the boundary")

    def column(self, values: Any, where: str) -> dict[str, Any]:
        """The values of a Series or an Index (numpy-backed or an extension array)."""
        dtype = values.dtype
        if isinstance(dtype, np.dtype):
            return {"np": self.array(values.to_numpy(copy=False), where)}
        values = values.array
        if isinstance(dtype, pd.CategoricalDtype):
            return {
                "category": self.index(pd.Index(dtype.categories), where, 0),
                "ordered": bool(dtype.ordered),
                "codes": self.array(np.asarray(values.codes), where),
            }
        if isinstance(dtype, pd.DatetimeTZDtype):
            return {"ext": str(dtype), "i8": self.array(values.asi8, where)}
        name = str(dtype)
        if EXTENSION_DTYPES.match(name):
            items = np.asarray(values, dtype=object)
            return {"ext": name, "items": self.array(items, where)["items"]}
        raise Unsupported(f"{where} has dtype {name}, which cannot cross the boundary")

    def index(self, index: pd.Index, where: str, depth: int) -> dict[str, Any]:
        name = (
            self.value(index.name, f"the name of {where}", depth + 1)
            if not isinstance(index, pd.MultiIndex)
            else None
        )
        if type(index) is pd.RangeIndex:
            return {"t": "range", "r": [index.start, index.stop, index.step], "name": name}
        if isinstance(index, pd.MultiIndex):
            return {
                "t": "multi",
                "levels": [
                    self.index(index.get_level_values(i), where, depth)
                    for i in range(index.nlevels)
                ],
                "names": [self.value(n, f"a name of {where}", depth + 1) for n in index.names],
            }
        freq = (
            getattr(index, "freqstr", None)
            if isinstance(index, pd.DatetimeIndex | pd.TimedeltaIndex)
            else None
        )
        return {"t": "index", "values": self.column(index, where), "name": name, "freq": freq}


def _single_block(frame: pd.DataFrame) -> np.ndarray | None:
    """The frame's values as one (columns, rows) array when every column has the same plain
    numpy dtype (bars, features): it crosses as one buffer and is rebuilt without a copy."""
    dtypes = set(frame.dtypes)
    if frame.shape[1] == 0 or len(dtypes) != 1:
        return None
    dtype = next(iter(dtypes))
    if not isinstance(dtype, np.dtype) or dtype.kind not in RAW_KINDS:
        return None
    return frame.to_numpy(copy=False).T


def encode(value: Any, limit: int | None = None, where: str = "result") -> list[bytes | memoryview]:
    """The message for ``value``: header then buffers. Raises :class:`Unsupported`, or
    :class:`OverflowError` when the message would be larger than ``limit`` bytes."""
    encoder = Encoder()
    return _message(encoder, encoder.value(value, where), limit)


def encode_reply(reply: dict[str, Any], limit: int | None = None) -> list[bytes | memoryview]:
    """A child's reply (a dict of plain fields); errors in it name ``result`` as the code
    knows it."""
    encoder = Encoder()
    items = [[encoder.value(key), encoder.value(item, str(key))] for key, item in reply.items()]
    return _message(encoder, {"t": "dict", "items": items}, limit)


def _message(encoder: Encoder, tree: dict[str, Any], limit: int | None) -> list[Any]:
    header = json.dumps(
        {"value": tree, "sizes": [b.nbytes for b in encoder.buffers]},
        separators=(",", ":"),
        allow_nan=False,
    ).encode()
    total = HEADER.size + len(header) + encoder.size
    if limit is not None and total > limit:
        raise OverflowError(total)
    return [HEADER.pack(len(header)), header, *encoder.buffers]


class Decoder:
    """Rebuilds a value from a header tree and the message's buffers."""

    def __init__(self, buffers: list[memoryview]) -> None:
        self.buffers = buffers

    def value(self, node: dict[str, Any], depth: int = 0) -> Any:
        if depth > MAX_DEPTH + 4:
            raise ValueError("value nested too deeply")
        kind = node["t"]
        if kind == "none":
            return None
        if kind == "bool":
            return bool(node["v"])
        if kind == "int":
            return int(_text(node["v"]))
        if kind == "float":
            return float.fromhex(_text(node["v"]))
        if kind == "complex":
            return complex(float.fromhex(node["v"][0]), float.fromhex(node["v"][1]))
        if kind == "str":
            return _text(node["v"])
        if kind == "npscalar":
            return self.array(node["array"])[0]
        if kind == "pdscalar":
            return self.index(node["index"], depth)[0]
        if kind == "nat":
            return pd.NaT
        if kind == "na":
            return pd.NA
        if kind == "list":
            return [self.value(item, depth + 1) for item in node["items"]]
        if kind == "tuple":
            return tuple(self.value(item, depth + 1) for item in node["items"])
        if kind == "dict":
            return {self.value(k, depth + 1): self.value(v, depth + 1) for k, v in node["items"]}
        if kind == "ndarray":
            return self.array(node["array"])
        if kind == "series":
            return pd.Series(
                self.column(node["values"]),
                index=self.index(node["index"], depth),
                name=self.value(node["name"], depth + 1),
                copy=False,
            )
        if kind == "frame":
            columns = self.index(node["columns"], depth)
            index = self.index(node["index"], depth)
            if "block" in node:
                block = self.array(node["block"])
                if block.ndim != 2 or block.shape != (len(columns), len(index)):
                    raise ValueError("frame block does not match its labels")
                return pd.DataFrame(block.T, index=index, columns=columns, copy=False)
            data = {i: self.column(column) for i, column in enumerate(node["data"])}
            frame = pd.DataFrame(data, index=index, copy=False)
            if not data:
                frame = pd.DataFrame(index=index, columns=columns)
            frame.columns = columns
            return frame
        raise ValueError(f"unknown value kind {kind!r}")

    def array(self, node: dict[str, Any]) -> np.ndarray:
        shape = tuple(int(n) for n in node["shape"])
        if "items" in node:
            items = [self.value(item) for item in node["items"]]
            dtype = node["dtype"]
            if dtype == "object":
                array = np.empty(len(items), dtype=object)
                array[:] = items
            else:
                array = np.array(items, dtype=_dtype(dtype, allow_text=True))
            return array.reshape(shape)
        dtype = _dtype(node["dtype"])
        buffer = self.buffers[int(node["b"])]
        count = math.prod(shape)
        if count * dtype.itemsize != buffer.nbytes:
            raise ValueError("array buffer does not match its shape")
        return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)

    def column(self, node: dict[str, Any]) -> Any:
        if "np" in node:
            return self.array(node["np"])
        if "category" in node:
            categories = self.index(node["category"], 0)
            dtype = pd.CategoricalDtype(categories, ordered=bool(node["ordered"]))
            return pd.Categorical.from_codes(self.array(node["codes"]), dtype=dtype)
        name = _text(node["ext"])
        if not EXTENSION_DTYPES.match(name):
            raise ValueError(f"dtype {name!r} may not cross the boundary")
        if "i8" in node:
            dtype = pd.api.types.pandas_dtype(name)
            naive = self.array(node["i8"]).view(f"M8[{dtype.unit}]")
            return pd.DatetimeIndex(naive).tz_localize("UTC").tz_convert(dtype.tz).array
        items = [self.value(item) for item in node["items"]]
        return pd.array(items, dtype=name)

    def index(self, node: dict[str, Any], depth: int) -> pd.Index:
        kind = node["t"]
        if kind == "range":
            start, stop, step = (int(n) for n in node["r"])
            return pd.RangeIndex(start, stop, step, name=self.value(node["name"], depth + 1))
        if kind == "multi":
            levels = [self.index(level, depth) for level in node["levels"]]
            names = [self.value(n, depth + 1) for n in node["names"]]
            return pd.MultiIndex.from_arrays(levels, names=names)
        if kind != "index":
            raise ValueError(f"unknown index kind {kind!r}")
        values = self.column(node["values"])
        name = self.value(node["name"], depth + 1)
        index = pd.Index(values, name=name, copy=False, dtype=getattr(values, "dtype", None))
        freq = node.get("freq")
        if freq is not None and isinstance(index, pd.DatetimeIndex | pd.TimedeltaIndex):
            index.freq = _text(freq)
        return index


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text in the message")
    return value


def _dtype(text: Any, allow_text: bool = False) -> np.dtype:
    dtype = np.dtype(_text(text)[:32])
    allowed = RAW_KINDS + ("US" if allow_text else "")
    if dtype.kind not in allowed or dtype.fields is not None or dtype.hasobject:
        raise ValueError(f"dtype {text!r} may not cross the boundary")
    return dtype


def decode(message: bytes | bytearray | memoryview) -> Any:
    """The value of a message :func:`encode` wrote. Raises ``ValueError`` on a malformed one."""
    view = memoryview(message)
    if view.nbytes < HEADER.size:
        raise ValueError("message is truncated")
    (length,) = HEADER.unpack(view[: HEADER.size])
    end = HEADER.size + length
    if end > view.nbytes:
        raise ValueError("message is truncated")
    header = json.loads(bytes(view[HEADER.size : end]))
    buffers = []
    offset = end
    for size in header["sizes"]:
        size = int(size)
        if size < 0 or offset + size > view.nbytes:
            raise ValueError("message is truncated")
        buffers.append(view[offset : offset + size])
        offset += size
    return Decoder(buffers).value(header["value"])
