"""run_code: legitimate analysis gives exactly the in-process answer; failures are clear."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from omc.errors import OmcError
from omc.lab.sandbox import (
    CodeFailed,
    CodeRejected,
    ForbiddenOperation,
    ForbiddenResult,
    InvalidInput,
    SandboxError,
    run_code,
)

ROLLING = """
result = df["close"].rolling(20).mean()
"""

ZSCORE = """
window = 50
mean = df["close"].rolling(window).mean()
std = df["close"].rolling(window).std()
result = pd.DataFrame({"z": (df["close"] - mean) / std, "ret": df["close"].pct_change()})
"""

RSI = """
import numpy as np
from omc.strategies.indicators import relative_strength_index
import omc.strategies.indicators as ind
result = {
    "rsi": relative_strength_index(df["close"].to_numpy(), 14),
    "sma": ind.simple_moving_average(df["close"].to_numpy(), 10),
    "last": float(np.nanmean(relative_strength_index(df["close"].to_numpy(), 14))),
}
"""

GROUPBY = """
frame = df.copy()
frame["hour"] = frame.index.hour
frame["weekday"] = frame.index.day_name()
result = frame.groupby(["weekday", "hour"]).agg({"close": ["mean", "max"], "volume": "sum"})
"""

SKLEARN = """
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LinearRegression
features = df[["close", "volume"]].pct_change().dropna()
scaled = StandardScaler().fit_transform(features)
model = LinearRegression().fit(scaled[:-1], features["close"].to_numpy()[1:])
result = {"scaled": scaled, "coef": model.coef_, "intercept": model.intercept_}
"""

RESAMPLE = """
hourly = df.resample("1h").agg({"open": "first", "high": "max", "low": "min", "close": "last"})
hourly["signal"] = (hourly["close"] > hourly["close"].ewm(span=12).mean()).astype(int)
result = hourly
"""


def in_process(code: str, df: pd.DataFrame, **inputs):
    namespace = {"df": df.copy(), "pd": pd, "np": np, **inputs}
    exec(code, namespace)  # noqa: S102 - the comparison: the same code, unsandboxed
    return namespace["result"]


def assert_same(expected, actual) -> None:
    assert type(expected) is type(actual)
    if isinstance(expected, pd.DataFrame):
        assert_frame_equal(expected, actual, check_exact=True, check_freq=True)
    elif isinstance(expected, pd.Series):
        assert_series_equal(expected, actual, check_exact=True, check_freq=True)
    elif isinstance(expected, np.ndarray):
        assert expected.dtype == actual.dtype
        np.testing.assert_array_equal(expected, actual)
    elif isinstance(expected, dict):
        assert list(expected) == list(actual)
        for key in expected:
            assert_same(expected[key], actual[key])
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(actual)
    else:
        assert expected == actual


@pytest.mark.parametrize(
    "code", [ROLLING, ZSCORE, RSI, GROUPBY, SKLEARN, RESAMPLE], ids=lambda c: c.split()[0]
)
def test_analysis_code_gives_exactly_the_in_process_result(code, bars, sandbox):
    code = "import pandas as pd\nimport numpy as np\n" + code
    assert_same(in_process(code, bars), run_code(code, bars))


def test_extra_inputs_arrive_as_globals_of_their_own_types(bars):
    code = "result = {'n': n, 'w': float(weights.sum()), 's': s.name, 'label': label}"
    value = run_code(
        code, bars, n=3, weights=np.ones(4), s=pd.Series([1, 2], name="x"), label="btc"
    )
    assert value == {"n": 3, "w": 4.0, "s": "x", "label": "btc"}


def test_the_callers_frame_and_inputs_are_never_modified(bars):
    before, series = bars.copy(), pd.Series([1.0, 2.0])
    code = """
df["close"] = 0.0
df.loc[df.index[0], "open"] = -1.0
df.drop(columns=["volume"], inplace=True)
extra[0] = 99.0
result = len(df.columns)
"""
    assert run_code(code, bars, extra=series) == 4
    assert_frame_equal(bars, before)
    assert series.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "value_code",
    ["None", "True", "3", "2.5", "'text'", "[1, 'a', None]", "{'a': [1, 2], 3: (4.5, None)}",
     "np.float64(1.5)", "np.arange(6).reshape(2, 3)", "pd.Timestamp('2024-01-01', tz='UTC')"],
)  # fmt: skip
def test_allowed_result_types_cross_the_boundary(value_code, bars):
    code = f"import numpy as np\nimport pandas as pd\nresult = {value_code}"
    assert_same(in_process(code, bars), run_code(code, bars))


@pytest.mark.parametrize(
    ("value_code", "words"),
    [
        ("lambda x: x", "a function"),
        ("np", "a module"),
        ("(x for x in range(3))", "a generator"),
        ("pd.DataFrame", "a class"),
        ("[1, len]", "result[1] is a function"),
        ("{'f': print}", "a function"),
    ],
)
def test_results_of_forbidden_types_are_refused(value_code, words, bars):
    code = f"import numpy as np\nimport pandas as pd\nresult = {value_code}"
    with pytest.raises(ForbiddenResult) as caught:
        run_code(code, bars)
    assert words in caught.value.message


def test_no_result_variable_is_a_forbidden_result(bars):
    with pytest.raises(ForbiddenResult, match="variable named result"):
        run_code("x = 1", bars)


def test_compile_rejection_names_the_rule_and_the_line(bars):
    with pytest.raises(CodeRejected) as caught:
        run_code("x = 1\ny = x.__class__\nresult = y", bars)
    assert "Line 2" in caught.value.message
    assert "__class__" in caught.value.message


def test_an_error_of_the_code_gives_its_type_message_and_line(bars):
    with pytest.raises(CodeFailed) as caught:
        run_code("a = 1\n\nresult = df['missing_column']", bars)
    error = caught.value
    assert error.line == 3
    assert error.error_type == "KeyError"
    assert error.message.startswith("line 3: KeyError")


def test_an_error_inside_a_library_reveals_no_host_path(bars):
    with pytest.raises(CodeFailed) as caught:
        run_code("import numpy as np\nresult = np.reshape(np.arange(5), (2, 2))", bars)
    message = caught.value.message
    assert "line 2: ValueError" in message
    for secret in ("/work", "site-packages", ".py", "omc/"):
        assert secret not in message


def test_a_name_built_at_run_time_goes_through_the_same_guard(bars):
    with pytest.raises(ForbiddenOperation, match="to_csv"):
        run_code("name = 'to_' + 'csv'\nresult = getattr(df, name)('/tmp/x.csv')", bars)


def test_print_is_captured_with_a_cap(sandbox, bars):
    from omc.lab.sandbox.limits import SandboxLimits

    outcome = sandbox.run(
        "for i in range(10000):\n    print('line', i)\nresult = 1",
        bars,
        limits=SandboxLimits(print_bytes=1000),
    )
    assert outcome.result == 1
    assert outcome.printed.startswith("line 0\nline 1\n")
    assert outcome.printed.endswith("[print output truncated]\n")
    assert len(outcome.printed) < 1100


def test_every_sandbox_error_is_an_omc_error_with_a_message(bars):
    with pytest.raises(SandboxError) as caught:
        run_code("import os", bars)
    assert isinstance(caught.value, OmcError)
    assert "os" in str(caught.value)
    assert caught.value.exit_code != 0


def test_inputs_that_cannot_cross_are_refused_before_anything_runs(bars):
    with pytest.raises(InvalidInput, match="a function"):
        run_code("result = 1", bars, helper=len)
    with pytest.raises(InvalidInput, match="must be an identifier"):
        run_code("result = 1", bars, _private=1)
