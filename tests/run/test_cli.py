"""The ``gvisage`` command under faults and with notebook parameters.

Notebook parameters (``-p``, ``--params``, ``--from``), the run folder's lock, ``--out`` problems, errors without
tracebacks, ``SIGTERM``/``SIGKILL`` during a run (a real subprocess, a real kernel and real pool workers) and the
process pools' workers dying with their parent. The notebooks are tiny ones written here, as in test_pipeline.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from gvisage_lib.run import pipeline
from gvisage_lib.run.cli import main
from gvisage_lib.run.lock import RunLock, pid_alive

from support.notebooks import PARAMS  # the parameters cell of the fake notebooks

ROOT = Path(__file__).resolve().parents[2]


def _notebook(path: Path, extra: str, *cells: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    first = nbformat.v4.new_code_cell(PARAMS + extra)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


def _write(name: str, expr: str) -> str:
    return f"from pathlib import Path\nPath(run_dir, 'tables', '{name}').write_text(repr({expr}))"


@pytest.fixture
def param_books(tmp_path: Path) -> Path:
    """01 declares crop_mode (str) and level (float); 02 declares level and retrain (bool); 03 declares alpha."""
    d = tmp_path / "books"
    d.mkdir()
    _notebook(d / "01_a.ipynb", 'crop_mode: str = "detect"  # crop\nlevel: float = 0.95  # level\n',
              _write("a.txt", "(crop_mode, level)"))
    _notebook(d / "02_b.ipynb", "level: float = 0.95  # level\nretrain: bool = False  # retrain\n",
              _write("b.txt", "(level, retrain)"))
    _notebook(d / "03_c.ipynb", "alpha: float = 0.05  # alpha\n", _write("c.txt", "alpha"))
    return d


def _read(out: Path, name: str) -> str:
    return (out / "tables" / name).read_text()


# --- notebook parameters ------------------------------------------------------------------------------------------

@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_parameters_reach_the_notebooks_that_declare_them_and_are_recorded(
        tiny_cohort: Path, param_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", param_books)
    out = tmp_path / "run"
    params = tmp_path / "p.yaml"
    params.write_text("level: 0.9\nalpha: 0.01\ncrop_mode: none\n")
    code = main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out),
                 "--params", str(params), "-p", "crop_mode", "box", "-p", "retrain", "yes"])
    assert code == 0, capsys.readouterr().err
    # typed as declared; -p wins over the file; each notebook got only what it declares
    assert _read(out, "a.txt") == "('box', 0.9)"
    assert _read(out, "b.txt") == "(0.9, True)"
    assert _read(out, "c.txt") == "0.01"
    record = json.loads((out / "run.json").read_text())
    assert record["parameters"]["notebook_parameters"] == {"level": 0.9, "alpha": 0.01, "crop_mode": "box",
                                                           "retrain": True}
    # --from reuses the recorded values; a parameter read only from the start notebook on may change
    (out / "faces.parquet").write_bytes(b"")  # what the real notebook 02 writes and a rerun from 03 needs
    assert main(["reproduce", "--out", str(out), "--from", "03", "-p", "alpha", "0.2"]) == 0
    assert _read(out, "c.txt") == "0.2"
    record = json.loads((out / "run.json").read_text())
    assert record["parameters"]["notebook_parameters"]["alpha"] == 0.2
    assert record["parameters"]["notebook_parameters"]["level"] == 0.9
    assert [n["notebook"] for n in record["notebooks"]] == ["01_a.ipynb", "02_b.ipynb", "03_c.ipynb"]
    # one read by a notebook before the start is refused, naming that notebook and where to rerun from
    capsys.readouterr()
    assert main(["reproduce", "--out", str(out), "--from", "02", "-p", "crop_mode", "none"]) == 2
    err = capsys.readouterr().err
    assert "crop_mode is read by notebook 01_a.ipynb" in err and "--from 01" in err
    assert main(["reproduce", "--out", str(out), "--from", "02", "-p", "level", "0.8"]) == 2
    assert "level is read by notebook 01_a.ipynb" in capsys.readouterr().err
    # the same value as the run's is no change
    assert main(["reproduce", "--out", str(out), "--from", "03", "-p", "level", "0.90"]) == 0
    assert _read(out, "a.txt") == "('box', 0.9)"


@pytest.mark.parametrize(("argv", "message"), [
    (["-p", "crop_mod", "box"], "no notebook declares a parameter 'crop_mod' (did you mean crop_mode?)"),
    (["-p", "seed", "3"], "seed sets up the run: give it with --seed"),
    (["-p", "run_dir", "/x"], "run_dir sets up the run: give it with --out"),
    (["-p", "level", "high"], "level must be a float, got 'high' (declared in 01_a.ipynb, 02_b.ipynb)"),
    (["-p", "retrain", "maybe"], "retrain must be a bool"),
    (["--gpus", "0"], "gpus must be a positive integer, got 0"),
    (["--gpus", "64"], "visible CUDA devices, got 64"),
])
def test_bad_parameters_exit_2_before_anything_is_written(
        tiny_cohort: Path, param_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", param_books)
    out = tmp_path / "never"
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(("text", "message"), [
    ("level: [1, 2]\n", "parameter level must be a number, boolean or string"),
    ("- level\n", "must hold a mapping"),
    ("level: 0.9: x\n", "is not valid YAML"),
    ("retrain: 3\n", "retrain must be a bool, got 3 (int)"),
])
def test_bad_params_files_exit_2(tiny_cohort: Path, param_books: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str,
                                 message: str) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", param_books)
    file = tmp_path / "p.yaml"
    file.write_text(text)
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(tmp_path / "r"), "--params",
                 str(file)]) == 2
    assert message in capsys.readouterr().err


def test_parameters_command_lists_what_p_can_set(param_books: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", param_books)
    assert main(["parameters"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "type", "default", "notebooks"]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines[1:5]}
    assert rows == {"crop_mode": ["str", "'detect'", "01", "crop"], "level": ["float", "0.95", "01", "02", "level"],
                    "retrain": ["bool", "False", "02", "retrain"], "alpha": ["float", "0.05", "03", "alpha"]}
    assert lines[5] == "" and "seed (--seed)" in lines[6]  # the run's own settings are not listed, but named


def test_the_repository_notebooks_declare_each_parameter_with_one_type() -> None:
    from gvisage_lib.run.parameters import declared_parameters

    declared = declared_parameters(pipeline.list_notebooks())
    assert {p.type for p in declared.values()} <= {"int", "float", "bool", "str"}
    assert declared["crop_mode"].notebooks == ("02_faces.ipynb",)
    assert declared["corr_method"].default == "spearman"


# --- the run folder: --out problems, the lock -----------------------------------------------------------------------

def test_out_that_is_a_file_or_inside_one_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "a_file"
    file.write_text("x")
    assert main(["reproduce", "--out", str(file), "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"gvisage: error: --out {file} is a file, not a folder"
    assert main(["reproduce", "--out", str(file / "run"), "--profile", "smoke"]) == 2
    assert "which is a file, not a folder" in capsys.readouterr().err
    assert file.read_text() == "x"


def _unwritable(tmp_path: Path) -> Path:
    """A folder this process cannot write into: a read-only folder, or for root a sysfs folder."""
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        return ro
    sysfs = Path("/sys")
    try:
        (sysfs / ".gvisage-probe").write_text("x")
    except OSError:
        return sysfs
    pytest.skip("no unwritable folder available to root here")


def test_out_that_cannot_be_created_or_written_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _unwritable(tmp_path)
    assert main(["reproduce", "--out", str(folder / "run"), "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "cannot create the run folder" in err and "Traceback" not in err
    assert main(["reproduce", "--out", str(folder), "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "cannot write into the run folder" in err and "Traceback" not in err


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_second_run_into_the_same_folder_is_refused(tiny_cohort: Path, param_books: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", param_books)
    out = tmp_path / "run"
    out.mkdir()
    with RunLock(out):  # a run in progress (this process, alive)
        assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out), "--profile", "smoke"]) == 2
        err = capsys.readouterr().err
        assert f"is in use by another run (process {os.getpid()} on {socket.gethostname()}" in err
        assert not (out / "run.json").exists()
    # released: the run goes ahead, and releases the lock at its end
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out), "--profile", "smoke"]) == 0
    assert not (out / "run.lock").exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_stale_lock_is_taken_over_and_its_run_marked_interrupted(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    pid = _dead_pid()
    (out / "run.lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started_utc": "x"}))
    (out / "run.json").write_text(json.dumps({"status": "running", "notebooks": []}))
    lines: list[str] = []
    with RunLock(out, log=lines.append) as lock:
        assert lock.holder()["pid"] == os.getpid()
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert "ended without releasing its lock" in lines[0]
    # a lock of another host is never taken over
    (out / "run.lock").write_text(json.dumps({"pid": pid, "host": "elsewhere.example", "started_utc": "x"}))
    with pytest.raises(RuntimeError, match="process .* on elsewhere.example"):
        RunLock(out).acquire()


# --- errors without tracebacks --------------------------------------------------------------------------------------

def test_unexpected_errors_print_one_line_and_the_traceback_only_in_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("planted")

    monkeypatch.setattr(pipeline, "reproduce", boom)
    monkeypatch.delenv("GVISAGE_DEBUG", raising=False)
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "gvisage: error: unexpected RuntimeError: planted (set GVISAGE_DEBUG=1 for the traceback)"
    monkeypatch.setenv("GVISAGE_DEBUG", "1")
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 1
    assert "Traceback" in capsys.readouterr().err

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "/some/output.csv")

    monkeypatch.delenv("GVISAGE_DEBUG")
    monkeypatch.setattr(pipeline, "reproduce", denied)
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err.strip() == "gvisage: error: /some/output.csv: Permission denied"


def test_a_signal_before_the_run_starts_exits_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    def checking_arguments(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)

    monkeypatch.setattr(pipeline, "reproduce", checking_arguments)
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 143
    assert capsys.readouterr().err.strip() == "gvisage: error: interrupted by SIGTERM; the run had not started"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handlers are restored


# --- signals: a real gvisage process, its kernel and the kernel's pool workers ----------------------------------------

DRIVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from gvisage_lib.run import cli, pipeline
    pipeline.NOTEBOOK_DIR = Path(sys.argv[1])
    sys.exit(cli.main(sys.argv[2:]))
""")

#: a notebook cell that starts a process pool (POOL: the library's worker_pool, or a plain spawn ProcessPoolExecutor)
SLOW_CELL = textwrap.dedent("""
    import json, multiprocessing, os, time
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path
    def plain_pool(n):
        return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))
    if POOL == "worker_pool":
        from gvisage_lib.core.workers import worker_pool as make_pool
    else:
        make_pool = plain_pool
    with make_pool(2) as pool:
        list(pool.map(time.sleep, [0.5, 0.5]))  # both workers started and initialised
        pids = [p.pid for p in multiprocessing.active_children()]
        Path(run_dir, "pids.json").write_text(json.dumps({"kernel": os.getpid(), "workers": pids}))
        pool.submit(time.sleep, 600).result()
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("GVISAGE_DEBUG", None)
    return env


def _start_slow_run(tiny_cohort: Path, tmp_path: Path,
                    pool: str) -> tuple[subprocess.Popen[str], Path, dict[str, object]]:
    books = tmp_path / "books"
    books.mkdir()
    _notebook(books / "01_slow.ipynb", "", f"POOL = {pool!r}\n" + SLOW_CELL)
    _notebook(books / "02_never.ipynb", "", "from pathlib import Path\nPath(run_dir, 'never').write_text('ran')")
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(books), "reproduce", "--profile", "smoke",
                             "--manifest", str(tiny_cohort), "--out", str(out)],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    pids_file = out / "pids.json"
    while not pids_file.is_file():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the run did not start its workers: {proc.communicate()}")
        time.sleep(0.2)
    time.sleep(0.2)
    return proc, out, json.loads(pids_file.read_text())


def _all_gone(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if pid_alive(p)]


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_records_interrupted_and_leaves_nothing_running(tiny_cohort: Path, tmp_path: Path, sig: int,
                                                                 code: int) -> None:
    # a plain pool: ending the kernel's process group ends its workers whatever started them
    proc, out, pids = _start_slow_run(tiny_cohort, tmp_path, "plain")
    assert len(pids["workers"]) == 2
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    name = signal.Signals(sig).name
    assert proc.returncode == code, err
    last = err.strip().splitlines()[-1]
    assert last == f"gvisage: error: interrupted by {name}; {out / 'run.json'} records the run as interrupted"
    assert "Traceback" not in err
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "interrupted" and name in record["interruption"]
    assert record["notebooks"][-1] == {**record["notebooks"][-1], "notebook": "01_slow.ipynb",
                                       "status": "interrupted"}
    assert not (out / "run.lock").exists()
    assert not (out / "never").exists()
    assert _all_gone([pids["kernel"], *pids["workers"]], within=15) == []


@pytest.mark.slow
def test_sigkill_of_gvisage_leaves_no_kernel_or_worker_behind(tiny_cohort: Path, tmp_path: Path) -> None:
    # the pools of the library (face preprocessing, twin rendering) are worker_pools: their workers die with the kernel
    proc, out, pids = _start_slow_run(tiny_cohort, tmp_path, "worker_pool")
    proc.kill()
    proc.communicate()
    # the kernel notices its parent has gone (within about a second); its workers die with it
    assert _all_gone([pids["kernel"], *pids["workers"]], within=20) == []
    # the killed run still says "running"; the next run into the folder takes its lock over and says so
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    lines: list[str] = []
    with RunLock(out, log=lines.append):
        pass
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"


POOL_DRIVER = textwrap.dedent("""
    import multiprocessing, time
    from gvisage_lib.core.workers import worker_pool
    if __name__ == "__main__":
        with worker_pool(2) as pool:
            list(pool.map(time.sleep, [0.5, 0.5]))
            print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
            pool.submit(time.sleep, 600).result()
""")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_pool_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "pool_driver.py"
    script.write_text(POOL_DRIVER)
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        workers = [int(p) for p in line.split()]
        assert len(workers) == 2 and all(pid_alive(p) for p in workers)
        os.kill(workers[0], signal.SIGINT)  # Ctrl-C reaches the workers too: the parent ends them, not the signal
        time.sleep(1.0)
        assert pid_alive(workers[0])
    finally:
        proc.kill()
        proc.communicate()
    assert _all_gone(workers, within=10) == []


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_face_preprocessing_runs_its_pool_through_worker_pool(tiny_cohort: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from gvisage_lib.core import workers
    from gvisage_lib.core.paths import RunPaths
    from gvisage_lib.faces import preprocess

    calls: list[int] = []

    def spy(n: int):  # noqa: ANN202 - a context manager, as worker_pool
        calls.append(n)
        return workers.worker_pool(n)

    monkeypatch.setattr(preprocess, "worker_pool", spy)
    faces = preprocess.preprocess_cohort(tiny_cohort, RunPaths(tmp_path / "run"), image_size=32, crop_mode="none",
                                         workers=2, progress=False)
    assert calls == [2] and len(faces) == 9
