"""Dataset jobs do not import pandas unless a method does (accel's dataset code and the
standard methods move Arrow values through their buffers: accel.dataset.arrowbuffers,
arrowvalues). pyarrow would import it, a third of a second in every slice where pandas is
installed; a method that does use pandas still gets pandas objects converted as such."""

from __future__ import annotations

import csv
import os
import textwrap
from datetime import date
from pathlib import Path

import pytest
from conftest import Project, printed

pa = pytest.importorskip("pyarrow")

# a pandas that says who imported it, and is not there
STUB = """\
import os, traceback
with open({log!r}, "a") as f:
    f.write("".join(traceback.format_stack()) + "-----\\n")
raise ImportError("pandas is not to be imported by this run")
"""


def no_pandas_env(tmp_path: Path) -> tuple[dict, Path]:
    """The environment of an `ax run` whose `import pandas` fails and is written to the
    file returned: every attempt, in the builder, a job or a slice."""
    stub = tmp_path / "stub"
    log = tmp_path / "pandas-imports.txt"
    (stub / "pandas").mkdir(parents=True)
    (stub / "pandas" / "__init__.py").write_text(STUB.format(log=str(log)))
    path = os.pathsep.join(p for p in (str(stub), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path}, log


NAMES = ["nåme 0", "name 1", "name 2", "name 3", "name 4", "name 5", "name 6"]
FLAGS = ["true", "no", "0", "yes", ""]
NUMBERS = ["1", "2.5", "99999999999999999999999", "-3"]


def line(i: int) -> list[str]:
    return [str(i), "x" if i % 17 == 0 else str(i * 7 % 101 - 50),
            "nope" if i % 13 == 5 else str((i * 37) % 200 / 8), NUMBERS[i % 4],
            FLAGS[i % 5], f"2024-01-{1 + i % 28:02d}", NAMES[i % 7], f"b{i}"]


def typed(i: int) -> tuple:
    """What dataset_type makes of line(i) (None: filtered out as bad)."""
    if i % 13 == 5:
        return None
    _, n, f, num, flag, day, name, blob = line(i)
    return (i, 0 if n == "x" else int(n), float(f), float(num) if "." in num else int(num),
            flag.lower() not in ("no", "0", ""), date.fromisoformat(day), name, blob.encode())


BUILD = """
def main(urd):
    imp = urd.build('csvimport', filename='data.csv')
    typed = urd.build('dataset_type', source=imp, filter_bad=True, defaults=dict(n=0),
                      column2type=dict(id='int64_10', n='int32_10', f='float64', num='number',
                                       flag='strbool', day='date:%Y-%m-%d',
                                       name='unicode:utf-8', blob='bytes'))
    srt = urd.build('dataset_sort', source=typed, sort_columns='f')
    hp = urd.build('dataset_hashpart', source=srt, hashlabel='name')
    out = dict(typed=typed, sorted=srt, hashed=hp, csv=urd.build('csvexport', source=hp),
               parquet=urd.build('parquetexport', source=hp))
    print("RESULT " + json.dumps({k: str(v) for k, v in out.items()}))
"""


def test_a_dataset_pipeline_never_imports_pandas(project: Project, tmp_path: Path) -> None:
    with open(project.root / "data.csv", "w", newline="") as f:
        csv.writer(f).writerows([["id", "n", "f", "num", "flag", "day", "name", "blob"]]
                                + [line(i) for i in range(200)])
    project.build("import json\n" + textwrap.dedent(BUILD))
    env, log = no_pandas_env(tmp_path)
    p = project.ax("run", env=env, check=True)
    assert not log.exists(), "pandas was imported by:\n" + log.read_text()[-3000:]

    jobs = printed(p)
    want = sorted(t for i in range(200) if (t := typed(i)) is not None)
    assert sorted(project.job(jobs["typed"]).dataset().iterate(None)) == want
    sorted_ds = project.job(jobs["sorted"]).dataset()
    for s in range(2):
        f = list(sorted_ds.iterate(s, "f"))
        assert f == sorted(f)
    hashed = project.job(jobs["hashed"]).dataset()
    assert sorted(hashed.iterate(None)) == want
    assert not {r[6] for r in hashed.iterate(0)} & {r[6] for r in hashed.iterate(1)}
    text = Path(project.job(jobs["csv"]).filename("result.csv")).read_text().splitlines()
    assert text[0] == "id,n,f,num,flag,day,name,blob" and len(text) == len(want) + 1
    assert text[1:] == [",".join(map(_csv_text, row)) for row in hashed.iterate(None)]
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(project.job(jobs["parquet"]).filename("result.parquet"))
    assert table.column("id").to_pylist() == [row[0] for row in hashed.iterate(None)]


def _csv_text(v) -> str:
    return v.decode() if isinstance(v, bytes) else repr(v) if isinstance(v, float) else str(v)


USES_PANDAS = """
    import sys

    datasets = ('source',)

    def analysis(sliceno):
        import pyarrow as pa

        # accel's own Arrow (as dataset_type and the like use it): no reason to import pandas
        table = datasets.source.to_arrow(['id', 'name'], sliceno)
        before = 'pandas' in sys.modules

        import pandas as pd  # the method's own: from now on, pandas is pandas

        cat = pa.array(pd.Series(pd.Categorical(['b', 'a', 'b'])))
        df = datasets.source.to_pandas(['id', 'name'], sliceno)
        back = pa.Table.from_pandas(df, preserve_index=False)
        return dict(before=before, categorical=str(cat.type), values=cat.to_pylist(),
                    rows=len(df), ids=[int(v) for v in df['id']] == table.column('id').to_pylist(),
                    back=back.column('name').to_pylist() == table.column('name').to_pylist())

    def synthesis(analysis_res):
        return list(analysis_res)
"""


def test_a_method_that_imports_pandas_gets_pandas_objects(project: Project) -> None:
    pytest.importorskip("pandas")
    project.method("uses_pandas", USES_PANDAS)
    (project.root / "data.csv").write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(20)))
    project.build("""
        import json

        def main(urd):
            typed = urd.build('dataset_type', column2type=dict(id='int64_10', name='ascii'),
                              source=urd.build('csvimport', filename='data.csv'))
            job = urd.build('uses_pandas', source=typed)
            print("RESULT " + json.dumps(job.load()))
    """)
    got = printed(project.ax("run", check=True))
    assert [s["before"] for s in got] == [False, False]  # slices of a preloaded job
    for s in got:
        assert s["categorical"].startswith("dictionary<values=")
        assert s["values"] == ["b", "a", "b"] and s["ids"] and s["back"]
    assert sum(s["rows"] for s in got) == 20
