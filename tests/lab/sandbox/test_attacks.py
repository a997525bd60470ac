"""Attacks from the public record of RestrictedPython and Python sandbox escapes, each of which
must end in a SandboxError and change nothing outside the child.

Classes: frames (generators, coroutines, tracebacks; CVE-2023-37271), string formatting
(CVE-2023-41039), `try/except*` (CVE-2024-47532, CVE-2025-22153), type construction,
decorators, metaclasses, `__subclasses__` walks, module walks, numpy/pandas file and URL
readers and writers, pickle, environment and /proc reads, network, fork bombs, threads,
tampering with the caller's modules or DataFrame.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from omc.lab.sandbox import SandboxError, run_code

FRAMES = {
    "generator gi_frame": "def g():\n    yield 1\nx = g()\nresult = x.gi_frame.f_back",
    "gi_frame by getattr": "def g():\n    yield 1\nresult = getattr(g(), 'gi_' + 'frame')",
    "genexp gi_frame": "result = getattr((i for i in [1]), 'gi_frame').f_globals",
    "f_globals by getattr": "def g():\n    yield 1\nf = getattr(g(), 'gi_frame')\n"
    "result = getattr(f, 'f_' + 'globals')",
    "traceback": "try:\n    1 / 0\nexcept Exception as e:\n    result = e.__traceback__",
    "traceback by getattr": "try:\n    1 / 0\nexcept Exception as e:\n"
    "    result = getattr(e, '__traceback' + '__').tb_frame",
    "tb_frame by getattr": "try:\n    1 / 0\nexcept Exception as e:\n    t = getattr(e, 'with_traceback')\n"
    "    result = getattr(t, '__self__')",
    "coroutine cr_frame": "async def c():\n    pass\nresult = c().cr_frame",
    "function globals": "def f():\n    pass\nresult = getattr(f, '__glob' + 'als__')",
    "function code": "def f():\n    pass\nresult = getattr(f, '__code__')",
    "function closure builtins": "def f():\n    pass\nresult = getattr(f, '__builtins__')",
}

FORMATTING = {
    "str.format attribute walk": "result = '{0.__class__.__mro__}'.format(1)",
    "format by getattr": "result = getattr('{0.__class__}', 'for' + 'mat')(1)",
    "format_map": "result = '{x.__class__}'.format_map({'x': 1})",
    "str.format unbound": "result = str.format('{0.__class__}', 1)",
    "getattr str format class": "f = getattr(str, 'format')\nresult = f('{0.__class__}', 1)",
    "string module Formatter": "import string\nresult = string.Formatter().format('{0.__class__}', 1)",
    "f-string dunder": "x = 1\nresult = f'{x.__class__}'",
    "percent dict dunder": "result = '%(__class__)s' % {'__class__': 1}\nresult = ().__class__",
}

EXCEPT_STAR = {
    "except* group": "try:\n    raise ValueError(1)\nexcept* ValueError as group:\n    result = group",
    "except* nested": "try:\n    pass\nexcept* Exception:\n    pass\nresult = 1",
    "ExceptionGroup name": "result = ExceptionGroup('x', [ValueError()])",
    "BaseExceptionGroup": "result = BaseExceptionGroup('x', [ValueError()]).exceptions",
}

TYPES = {
    "type() three args": "result = type('X', (), {'f': lambda self: 1})",
    "class statement": "class X:\n    pass\nresult = X",
    "metaclass": "class M(type):\n    pass\nclass X(metaclass=M):\n    pass",
    "__build_class__": "result = __build_class__",
    "object subclasses": "result = object.__subclasses__()",
    "tuple class walk": "result = ().__class__.__base__.__subclasses__()",
    "getattr class walk": "c = getattr((), '__cla' + 'ss__')\nresult = getattr(c, '__base__')",
    "mro walk": "import pandas as pd\nbase = pd.DataFrame.mro()[-1]\n"
    "result = getattr(base, '__subclasses__')()",
    "dtype type walk": "import numpy as np\nt = np.dtype('f8').type\n"
    "result = getattr(t, '__subclasses__')()",
    "vars and dir": "result = vars()",
    "globals": "result = globals()['__builtins__']",
    "locals": "result = locals()",
    "super": "result = super",
    "decorator to globals": "def steal(f):\n    return getattr(f, '__globals__')\n"
    "@steal\ndef g():\n    pass\nresult = g",
    "decorator class": "def deco(c):\n    return c\n@deco\nclass X:\n    pass",
    "lambda defaults": "f = lambda: 0\nresult = getattr(f, '__defaults__')",
}

MODULES = {
    "import os": "import os\nresult = os.listdir('/')",
    "__import__ os": "result = __import__('os')",
    "import sys": "import sys\nresult = sys.modules",
    "import subprocess": "import subprocess\nresult = subprocess.run(['id'])",
    "import builtins": "import builtins\nresult = builtins.open",
    "import importlib": "import importlib\nresult = importlib.import_module('os')",
    "import ctypes": "import ctypes\nresult = ctypes.CDLL(None)",
    "import pickle": "import pickle\nresult = pickle.loads(b'')",
    "import marshal": "import marshal",
    "import io": "import io",
    "import pathlib": "import pathlib\nresult = pathlib.Path('/etc/passwd').read_text()",
    "import shutil": "import shutil",
    "import socket": "import socket\nresult = socket.socket()",
    "import urllib": "import urllib.request\nresult = urllib.request.urlopen('http://127.0.0.1')",
    "import threading": "import threading\nthreading.Thread(target=lambda: None).start()",
    "import _thread": "import _thread",
    "import multiprocessing": "import multiprocessing",
    "import gc": "import gc\nresult = gc.get_objects()",
    "import inspect": "import inspect",
    "import random (not allowed)": "import random",
    "relative import": "from . import x",
    "star import": "from numpy import *",
    "numpy.testing": "import numpy.testing",
    "from numpy import testing": "from numpy import testing",
    "numpy.ctypeslib": "import numpy as np\nresult = np.ctypeslib",
    "numpy core walk": "import numpy as np\nresult = np.core.multiarray",
    "numpy _core walk": "import numpy as np\nresult = getattr(np, '_core')",
    "numpy lib npyio": "import numpy as np\nresult = np.lib.npyio.DataSource",
    "numpy lib format": "import numpy as np\nresult = np.lib.format.open_memmap",
    "numpy f2py": "import numpy as np\nresult = np.f2py",
    "pandas io": "import pandas as pd\nresult = pd.io.common",
    "pandas io by getattr": "import pandas as pd\nresult = getattr(pd, 'i' + 'o')",
    "pandas core walk": "import pandas as pd\nresult = pd.core.frame",
    "pandas util": "import pandas as pd\nresult = pd.util",
    "pandas testing": "import pandas.testing",
    "pandas compat": "import pandas as pd\nresult = getattr(pd, 'compat')",
    "statistics sys": "import statistics\nresult = getattr(statistics, 's' + 'ys')",
    "statistics random": "import statistics\nresult = getattr(statistics, 'random')",
    "math walk": "import math\nresult = getattr(math, '__loader__')",
    "sklearn utils": "import sklearn.utils",
    "sklearn datasets": "from sklearn import datasets",
    "sklearn top level walk": "import sklearn.metrics\nresult = getattr(sklearn, 'utils')",
    "sklearn base clone": "from sklearn import clone",
    "sklearn namespace write": "import sklearn.metrics\nsklearn.metrics = 1",
    "omc settings": "import omc.settings",
    "omc package": "from omc import settings",
    "omc strategies registry": "import omc.strategies.registry",
    "omc strategies walk": "import omc.strategies.indicators as i\nresult = getattr(i, 'np').lib.npyio",
    "indicators np os": "from omc.strategies import indicators\nresult = indicators.np.testing",
}

FILES = {
    "read_csv": "import pandas as pd\nresult = pd.read_csv('/etc/passwd')",
    "read_csv by getattr": "import pandas as pd\nresult = getattr(pd, 'read_' + 'csv')('/etc/passwd')",
    "read_csv url": "import pandas as pd\nresult = pd.read_csv('http://127.0.0.1:5432/')",
    "read_json": "import pandas as pd\nresult = pd.read_json('/etc/passwd')",
    "read_pickle": "import pandas as pd\nresult = pd.read_pickle('/tmp/x')",
    "read_parquet": "import pandas as pd\nresult = pd.read_parquet('/tmp/x')",
    "read_html": "import pandas as pd\nresult = pd.read_html('http://127.0.0.1')",
    "read_fwf": "import pandas as pd\nresult = pd.read_fwf('/proc/self/environ')",
    "ExcelWriter": "import pandas as pd\nresult = pd.ExcelWriter('/tmp/x.xlsx')",
    "HDFStore": "import pandas as pd\nresult = pd.HDFStore('/tmp/x.h5')",
    "to_csv": "df.to_csv('/tmp/omc-attack.csv')",
    "to_csv by getattr": "getattr(df, 'to_' + 'csv')('/tmp/omc-attack.csv')",
    "to_pickle": "df.to_pickle('/tmp/omc-attack.pkl')",
    "to_parquet": "df.to_parquet('/tmp/omc-attack.parquet')",
    "to_json path": "df.to_json('/tmp/omc-attack.json')",
    "to_string buf": "df.to_string('/tmp/omc-attack.txt')",
    "to_html": "df.to_html('/tmp/omc-attack.html')",
    "to_excel": "df.to_excel('/tmp/omc-attack.xlsx')",
    "to_sql": "df.to_sql('t', 'sqlite:////tmp/omc-attack.db')",
    "to_clipboard": "df.to_clipboard()",
    "series to_csv": "df['close'].to_csv('/tmp/omc-attack.csv')",
    "info buf": "df.info(buf='/tmp/omc-attack.txt')",
    "style": "result = df.style.to_html()",
    "plot savefig": "df.plot().figure.savefig('/tmp/omc-attack.png')",
    "np.load": "import numpy as np\nresult = np.load('/tmp/x.npy', allow_pickle=True)",
    "np.save": "import numpy as np\nnp.save('/tmp/omc-attack.npy', [1])",
    "np.savetxt": "import numpy as np\nnp.savetxt('/tmp/omc-attack.txt', [1])",
    "np.fromfile": "import numpy as np\nresult = np.fromfile('/proc/self/environ', dtype='u1')",
    "np.loadtxt": "import numpy as np\nresult = np.loadtxt('/etc/passwd', dtype=str)",
    "np.genfromtxt": "import numpy as np\nresult = np.genfromtxt('/etc/passwd', dtype=str)",
    "np.memmap": "import numpy as np\nresult = np.memmap('/etc/passwd', mode='r')",
    "np.DataSource": "import numpy as np\nresult = np.DataSource('/').open('/etc/passwd')",
    "ndarray.tofile": "import numpy as np\nnp.arange(3).tofile('/tmp/omc-attack.bin')",
    "ndarray.dump": "import numpy as np\nnp.arange(3).dump('/tmp/omc-attack.pkl')",
    "ndarray.dumps pickle": "import numpy as np\nresult = np.arange(3).dumps()",
    "np.fromregex": "import numpy as np\nresult = np.fromregex('/etc/passwd', '(.*)', [('a', 'S10')])",
    "open builtin": "result = open('/etc/passwd').read()",
    "open proc environ": "f = open('/proc/self/environ')",
    "np.lib stride tricks": "import numpy as np\nresult = np.lib.stride_tricks.as_strided(np.zeros(1), (10**6,), (8,))",
    "np.show_config": "import numpy as np\nnp.show_config()",
    "pd.show_versions": "import pandas as pd\npd.show_versions()",
    "np.info source": "import numpy as np\nnp.info(np.mean)",
    "np.test": "import numpy as np\nresult = np.test()",
}

EVALUATION = {
    "eval": "result = eval('1 + 1')",
    "exec": "exec('result = 1')",
    "compile": "result = compile('1', 'x', 'eval')",
    "df.eval": "result = df.eval('close * 2')",
    "df.query": "result = df.query('close > 0')",
    "pd.eval": "import pandas as pd\nresult = pd.eval('1 + 1')",
    "df.eval by getattr": "result = getattr(df, 'ev' + 'al')('close * 2')",
    "pd.eval via namespace": "import pandas as pd\nresult = getattr(pd, 'eval')",
    "apply string": "result = df['close'].apply('__class__')",
}

TAMPERING = {
    "numpy function": "import numpy as np\nnp.mean = len",
    "numpy setattr": "import numpy as np\nsetattr(np, 'mean', len)",
    "pandas class method": "import pandas as pd\npd.DataFrame.sum = len",
    "pandas options": "import pandas as pd\npd.options.display.max_rows = 1",
    "module dict": "import numpy as np\nresult = np.__dict__",
    "series class": "df['close'].__class__ = list",
    "delete attribute": "import numpy as np\ndel np.mean",
    "write to a type": "import numpy as np\nnp.ndarray.x = 1",
    "write to a namespace": "import sklearn.metrics\nsklearn.metrics = 1",
    "indicators tamper": "import omc.strategies.indicators as i\ni.simple_moving_average = len",
}

ATTACKS = {
    **{f"frames: {k}": v for k, v in FRAMES.items()},
    **{f"formatting: {k}": v for k, v in FORMATTING.items()},
    **{f"except*: {k}": v for k, v in EXCEPT_STAR.items()},
    **{f"types: {k}": v for k, v in TYPES.items()},
    **{f"modules: {k}": v for k, v in MODULES.items()},
    **{f"files: {k}": v for k, v in FILES.items()},
    **{f"evaluation: {k}": v for k, v in EVALUATION.items()},
    **{f"tampering: {k}": v for k, v in TAMPERING.items()},
}


@pytest.mark.parametrize("code", list(ATTACKS.values()), ids=list(ATTACKS))
def test_attack_is_stopped_with_a_sandbox_error(code, bars, sandbox):
    before = bars.copy()
    with pytest.raises(SandboxError) as caught:
        run_code(code, bars)
    message = caught.value.message
    assert message
    for leak in ("/work", "site-packages", "Traceback", "hunter2"):
        assert leak not in message
    assert_frame_equal(bars, before)
    for name in ("omc-attack.csv", "omc-attack.pkl", "omc-attack.npy", "omc-attack.txt"):
        assert not os.path.exists(f"/tmp/{name}")


def test_the_callers_modules_are_untouched_after_tampering_attempts(bars):
    mean, frame_sum = np.mean, pd.DataFrame.sum
    for code in TAMPERING.values():
        with pytest.raises(SandboxError):
            run_code(code, bars)
    assert np.mean is mean
    assert pd.DataFrame.sum is frame_sum
    assert pd.get_option("display.max_rows") != 1


def test_the_environment_of_the_caller_never_reaches_the_child(bars, monkeypatch):
    monkeypatch.setenv("OMC_VAULT_KEY", "hunter2")
    # Every way to the environment is refused at the language layer; the probe shows the
    # child's environment is empty in any case (test_layers).
    for code in ("import os\nresult = dict(os.environ)", "result = __import__('os').environ"):
        with pytest.raises(SandboxError) as caught:
            run_code(code, bars)
        assert "hunter2" not in caught.value.message


@pytest.mark.parametrize(
    "code",
    [
        # A fork bomb needs os or multiprocessing: refused; joblib workers from scikit-learn
        # cannot start either (no fork, one process), and the estimator falls back or fails.
        "from sklearn.model_selection import cross_val_score\n"
        "from sklearn.linear_model import LinearRegression\n"
        "import numpy as np\n"
        "x = np.arange(40.0).reshape(20, 2)\n"
        "result = float(cross_val_score(LinearRegression(), x, x[:, 0], cv=2, n_jobs=4).mean())",
    ],
)
def test_parallel_workers_cannot_start_processes(code, bars):
    try:
        value = run_code(code, bars)
    except SandboxError:
        return
    assert isinstance(value, float)


def test_recursion_bomb_is_a_code_error(bars):
    with pytest.raises(SandboxError, match="RecursionError"):
        run_code("def f(n):\n    return f(n + 1)\nresult = f(0)", bars)


def test_an_exception_whose_message_is_huge_is_cut(bars):
    with pytest.raises(SandboxError) as caught:
        run_code("raise ValueError('x' * 10_000_000)", bars)
    assert len(caught.value.message) < 3000


@pytest.mark.parametrize(
    "code",
    [
        "result = df['close'].apply('to_csv', path_or_buf='/tmp/omc-attack.csv')",
        "result = df.apply('eval', expr='close * 2')",
        "result = df.agg({'close': ['mean', 'to_pickle']})",
        "result = df.groupby(df.index.hour).agg(x=('close', 'to_csv'))",
        "result = df.transform('__class__')",
        "result = df['close'].rolling(3).agg('__class__')",
        "result = df.resample('1h').apply('to_csv')",
        "result = df.groupby(df.index.hour).apply('to_csv')",
    ],
)
def test_names_of_methods_given_to_pandas_as_strings_are_checked(code, bars):
    with pytest.raises(SandboxError, match="not allowed"):
        run_code(code, bars)
    assert not os.path.exists("/tmp/omc-attack.csv")


def test_method_names_pandas_calls_for_analysis_still_work(bars):
    code = "result = df['close'].rolling(3).agg(['mean', 'std']).iloc[-1].tolist()"
    expected = bars["close"].rolling(3).agg(["mean", "std"]).iloc[-1].tolist()
    assert run_code(code, bars) == expected
    assert run_code("result = df.agg({'close': 'sum'})['close']", bars) == bars["close"].sum()
