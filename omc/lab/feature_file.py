"""`omc lab exec`: run a user's own feature file in the sandbox against real bars.

The file is untrusted in the same way an LLM's code is: it runs only through
:func:`omc.lab.sandbox.run_code`'s machinery, with ``df`` = the market's bars.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omc.errors import NotFound, UsageProblem

MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class FeatureRun:
    """The bars a feature file ran on and what it gave."""

    bars: Any  # omc.backtest.service.BarsSummary
    result: Any
    printed: str
    seconds: float


def read_feature_file(path: Path) -> str:
    """The file's text, or a clear error: missing, a directory, too large, not UTF-8."""
    if not path.exists():
        raise NotFound(f"no such file: {path}")
    if not path.is_file():
        raise UsageProblem(f"not a file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UsageProblem(f"{path} is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageProblem(f"{path} is not UTF-8 text") from None


def run_feature_file(connectable: Any, path: Path, query: Any, sandbox: Any = None) -> FeatureRun:
    """Load the bars ``query`` names and run the file on them in the sandbox."""
    from omc.backtest.data import load_bars
    from omc.backtest.service import BarsSummary
    from omc.lab.sandbox.runner import default_sandbox

    code = read_feature_file(path)
    bars = load_bars(connectable, query)
    outcome = (sandbox or default_sandbox()).run(code, bars)
    return FeatureRun(BarsSummary.of(query.market, bars), outcome.result, outcome.printed,
                      outcome.seconds)  # fmt: skip


def to_jsonable(value: Any) -> Any:
    """A sandbox result as plain JSON data (frames and series by pandas' own 'split' layout)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series):
        kind = "DataFrame" if isinstance(value, pd.DataFrame) else "Series"
        data = json.loads(value.to_json(orient="split", date_format="iso", date_unit="s"))
        return {"type": kind, **data}
    if isinstance(value, np.ndarray):
        return {"type": "ndarray", "dtype": str(value.dtype), "data": to_jsonable(value.tolist())}
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, pd.Timestamp | pd.Timedelta):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return value


def to_csv(value: Any) -> str:
    """A sandbox result as CSV text: frames and series with their index, else one value a line."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series):
        return value.to_csv()
    if isinstance(value, np.ndarray):
        frame = pd.DataFrame(value if value.ndim == 2 else value.reshape(len(value), -1))
        return frame.to_csv(index=False)
    if isinstance(value, dict):
        lines = ["key,value", *(f"{key},{to_jsonable(item)}" for key, item in value.items())]
        return "\n".join(lines) + "\n"
    if isinstance(value, list | tuple):
        return "".join(f"{to_jsonable(item)}\n" for item in value)
    return f"{to_jsonable(value)}\n"
