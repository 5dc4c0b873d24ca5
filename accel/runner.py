"""Runs one job directory: prepare, analysis in parallel slices, synthesis.

The runner needs nothing but the job directory: setup.json says which method, options
and inputs, and where the workdirs are. That is what lets an executor run it in a forked
process here or on a Dask worker elsewhere. It ends by writing post.json, atomically:
status "finished" (the job may now be reused) or "failed" (with the part, exception and
the method's own traceback). A runner that dies before that leaves no post.json, and
the job is never reused. So does one that cannot write post.json (the disk is full): it
then tells the executor how the job ended over the part pipe instead.

    python -m accel.runner JOBDIR
"""

from __future__ import annotations

import fcntl
import inspect
import os
import pickle
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from accel import disk, g, jobfiles, layout, partpipe, pickling, records
from accel.atomic import read_json, write_bytes, write_json
from accel.capture import OutputTee, captured, exit_child, redirect_to
from accel.dotdict import DotDict
from accel.job import CurrentJob, Job, file_sums, iter_user_files, to_dotdict
from accel.jobinputs import forget_inherited_datasets, input_values, load_method
from accel.jobstatus import FAILED, FINISHED
from accel.merge import AnalysisResults
from accel.proctree import die_with_parent, end_descendants
from accel.words import plural

ARG_NAMES = ("job", "slices", "sliceno", "prepare_res", "analysis_res", "options", "datasets", "jobs",
             "params")


class PartFailed(Exception):
    def __init__(self, part: str, exc_type: str, message: str, tb: str):
        super().__init__(f"{part}: {exc_type}: {message}")
        self.part, self.exc_type, self.message, self.tb = part, exc_type, message, tb

    def as_json(self) -> dict:
        return {"part": self.part, "exception": self.exc_type, "message": self.message,
                "traceback": self.tb}


DISK_FAILURE = "DiskError"  # the "exception" of a job that failed for its disk


def method_traceback(exc: BaseException, also_skip: tuple[str, ...] = ()) -> str:
    """The traceback without accel's own frames (nor those of `also_skip` packages):
    what the method's or build script's author needs."""
    skip = (_ACCEL_DIR, *(str(Path(p).resolve().parent) + os.sep for p in also_skip))
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(skip)]
    text = "".join(traceback.format_list(frames))
    return text + "".join(traceback.format_exception_only(type(exc), exc))


_ACCEL_DIR = str(Path(__file__).resolve().parent) + os.sep


def worth_showing(tb: str) -> bool:
    """Does a method_traceback() point into the user's code? Without a frame it only
    repeats the exception line the headline already has."""
    return 'File "' in tb


def describe_exception(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, SystemExit):
        return "SystemExit", f"the method called sys.exit({exc.code!r})"
    return type(exc).__name__, str(exc)


def failure_of(exc: BaseException, job_path: Path) -> tuple[str, str, str]:
    """(exception, message, traceback) of a part that raised `exc`: a full or read-only
    disk under the job is said as such, without the method's traceback (it is not the
    method's fault)."""
    cause = disk.cause_in(exc, job_path)
    if cause is not None:
        return DISK_FAILURE, cause, ""
    return (*describe_exception(exc), method_traceback(exc))


def run_part(func: Callable[..., Any], available: dict) -> Any:
    """A part: the method's function, then every background save it started is written
    (one that failed fails the part); a part that failed ends the saves still running."""
    try:
        res = call_with_args(func, available)
        jobfiles.wait_all()
        return res
    except BaseException:
        jobfiles.abandon_all()
        raise


def call_with_args(func: Callable[..., Any], available: dict) -> Any:
    """Call a method function with the arguments its parameter names ask for."""
    kw = {}
    for name, p in inspect.signature(func).parameters.items():
        if name in available:
            kw[name] = available[name]
        elif p.default is inspect.Parameter.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            raise TypeError(f"{func.__name__}() asks for {name!r}; it can have: {', '.join(ARG_NAMES)}")
    return func(**kw)


class Runner:
    def __init__(self, path: Path, echo: bool = True, setup: dict | None = None,
                 part_fd: int | None = None):
        self.path = Path(os.path.abspath(path))  # the parts run in it: cwd changes
        self.setup = setup if setup is not None else records.require_setup(self.path)
        layout.set_paths(layout.Paths.from_json(self.setup["paths"]))
        self.jobid = self.setup["jobid"]
        layout.set_current_job(self.path)
        self.slices = int(self.setup["slices"])
        self.scratch = self.path / layout.SCRATCH
        self.outdir = self.path / layout.OUTPUT
        self.echo = echo
        self.part_fd = part_fd
        self.post: dict[str, Any] = {"parts": {}}

    def label(self, part: str | int) -> str:
        return layout.part_label(self.jobid, part)

    def mark_part(self, part: str) -> None:
        """Tell the executor which part runs, so it can say where we died if we do."""
        self.tell(partpipe.started(part))

    def tell(self, line: bytes) -> None:
        if self.part_fd is not None:
            try:
                os.write(self.part_fd, line)
            except OSError:
                self.part_fd = None

    def enter_job_dir(self) -> None:
        """Every part and slice runs in the job directory, as in the Accelerator: a file
        the method opens by a relative name is the job's own file (in post.json's files),
        never one shared by every job in the folder `ax run` was started from. Again
        before each part, in case the part before it changed directory."""
        os.chdir(self.path)

    def run(self) -> int:
        _absolute_import_path()  # '' on sys.path meant the folder we leave now
        self.enter_job_dir()
        jobfiles.forget_inherited()  # forked from a running job: its saves are its own
        forget_inherited_datasets()  # and the datasets it finished early are not ours
        _forget_inherited_reads()  # nor the input files it read
        lock_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)  # "running" for as long as we live
        start = time.time()
        self.tee = OutputTee(os.dup(1) if self.echo else None)
        try:
            result = self.run_parts()
            self.check_output()
            if result is not None:
                self.save_result(result)
            self.post["datasets"] = self.finish_datasets()  # meta.json files, before post.json
            jobfiles.remove_temp_files(self.path)  # a finished job never has them
            self.post["status"] = FINISHED
            status = 0
        except PartFailed as e:
            self.post["status"] = FAILED
            self.post["error"] = e.as_json()
            status = 1
        except Exception as e:  # accel's own fault, or saving the result failed: still say so
            self.post["status"] = FAILED
            if disk.is_disk_error(e):
                self.post["error"] = self.disk_failure("finishing", e).as_json()
            else:
                self.post["error"] = {"part": "finishing", "exception": type(e).__name__,
                                      "message": str(e), "traceback": traceback.format_exc()}
            status = 1
        finally:
            try:
                self.close_subjob_builder()
            except Exception:
                pass
            self.end_leftovers()
            self.tee.close()
        if status == 0 and self.tee.failed is not None:  # the last output was lost
            try:
                self.check_output()
            except PartFailed as e:
                self.post["status"], self.post["error"], status = FAILED, e.as_json(), 1
        if status and self.post.get("error", {}).get("exception") == DISK_FAILURE:
            self.drop_datasets()
        files = sorted(iter_user_files(self.path))
        self.post.update(
            jobid=self.jobid, exitcode=status, starttime=start, endtime=time.time(),
            exectime=time.time() - start, files=files,
            # what load/open check a file against (a finished job's files only)
            file_sums=file_sums(self.path, files) if self.post["status"] == FINISHED else {},
            cpu=_cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN),
            maxrss_kb=max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                          *(p.get("maxrss_kb", 0) for p in self.post["parts"].values())),
            subjobs=_read_subjobs(self.scratch),
        )
        if "input_files" in self.setup:
            from accel.inputreads import recorded

            if reads := recorded(self.path):  # what job.input_filename was asked for
                self.post["input_files"] = reads
        told = None
        try:
            records.write_post(self.path, self.post)  # the publish point
        except OSError as e:
            status, told = 1, self.unwritten_post(e)
        # how it ended, then that it has: the executor need not read post.json, nor wait
        # for this process to go away
        self.tell(partpipe.ended(self.post["status"], told))
        os.close(lock_fd)
        return status

    def unwritten_post(self, exc: OSError) -> dict:
        """post.json could not be written: the job has failed. Try a short failed one (the
        finished one may not have fit); if even that cannot be written the job has no
        post.json -- unfinished, never reused. Either way the error goes to the executor
        on the part pipe too: returned, to be told there."""
        if disk.is_disk_error(exc):
            error = self.disk_failure("finishing", exc).as_json()
        else:
            error = PartFailed("finishing", type(exc).__name__,
                               f"could not write {layout.POST}: {exc}", "").as_json()
        if self.post.get("status") == FAILED and self.post.get("error"):
            error = self.post["error"]  # the first failure is the story; this followed it
        self.post = {"status": FAILED, "jobid": self.jobid, "exitcode": 1,
                     "endtime": time.time(), "error": error}
        try:
            records.write_post(self.path, self.post)
        except OSError:
            pass
        return error

    def check_output(self) -> None:
        """A part's output that could not be kept fails the job (its output is part of it)."""
        if self.tee.failed is None:
            return
        label, exc = self.tee.failed
        part = label.removeprefix(f"{self.jobid} ")  # the inverse of self.label()
        kind, _, sliceno = part.partition(" ")
        if kind == "analysis" and sliceno.isdigit():
            part = f"analysis slice {sliceno}"
        if disk.is_disk_error(exc):
            raise self.disk_failure(part, exc)
        raise PartFailed(part, type(exc).__name__, f"its output could not be kept: {exc}", "")

    def disk_failure(self, part: str, exc: OSError) -> PartFailed:
        """`part` failed for a full or read-only disk: said as such, without a traceback."""
        return PartFailed(part, DISK_FAILURE, disk.describe(exc, self.path), "")

    def run_parts(self) -> Any:
        module = self.as_part("prepare", lambda: load_method(self.setup))
        # a damaged input (its meta.json, its records) fails here, named as such
        options, datasets, jobs = self.as_part("loading inputs", lambda: input_values(self.setup))
        module.options, module.datasets, module.jobs = options, datasets, jobs
        if "input_files" in self.setup:  # the project tracks input files
            from accel.inputreads import watch

            watch(self.setup, _declared_inputs(self.setup, module, options), self.path)
        job = CurrentJob(self.jobid)
        args: dict[str, Any] = dict(job=job, slices=self.slices, options=options,
                                    datasets=datasets, jobs=jobs, prepare_res=None,
                                    params=self.params(options, datasets, jobs))
        # the Accelerator's accel.g, for helper modules the method imports
        g.job, g.slices, g.sliceno = job, self.slices, -1
        g.options, g.datasets, g.jobs = options, datasets, jobs
        g.params = args["params"]
        prepare_res = None
        if callable(getattr(module, "prepare", None)):
            prepare_res = self.in_process("prepare", module.prepare, args)
            args["prepare_res"] = prepare_res
            self.check_output()
        if callable(getattr(module, "analysis", None)):
            args["analysis_res"] = self.analysis(module.analysis, args)
            self.check_output()
        if callable(getattr(module, "synthesis", None)):
            return self.in_process("synthesis", module.synthesis, args)
        return prepare_res

    def params(self, options: DotDict, datasets: DotDict, jobs: DotDict) -> DotDict:
        """The `params` a part may ask for, as in the Accelerator: what job.params gives
        (setup.json: method, slices, hash, ...), its options, datasets and jobs the very
        objects the method has as `options`, `datasets` and `jobs`."""
        params = to_dotdict(self.setup)
        params.update(options=options, datasets=datasets, jobs=jobs, jobid=Job(self.jobid))
        return params

    def close_subjob_builder(self) -> None:
        """Subjobs hook: a method that built subjobs made a builder in this process; it
        must let go of its registry file before the job ends (only if it was loaded)."""
        subjobs = sys.modules.get("accel.subjobs")
        if subjobs is not None:
            subjobs.close_builder()

    def end_leftovers(self) -> None:
        """Processes the method started and left running end with the job: a finished job
        must not change after it says so, nor a failed one go on using the machine. They
        are named in the output and in post.json ("leftovers")."""
        left = end_descendants(os.getpid())
        if left:
            self.post["leftovers"] = left
            with captured(self.tee, self.outdir / layout.output_name("finishing"),
                          self.label("finishing")):
                sys.stderr.write(f"accel: the job left {plural(len(left), 'process', 'processes')}"
                                 " running, now killed: "
                                 f"{', '.join(left)}\n")

    def finish_datasets(self) -> list[str]:
        """Datasets hook: finish every dataset writer of the job and write their meta.json
        (a dataset exists from then on). Only for a job that has a datasets folder, so
        plain jobs never import numpy, and whether the builder preloaded accel.dataset
        changes nothing. A failed job never gets here: it leaves no dataset."""
        if not (self.path / "datasets").is_dir():  # dataset.format.DATASETS
            return []
        from accel.dataset import writer

        return self.as_part("finishing datasets", lambda: writer.finish_all(self.path))

    def drop_datasets(self) -> None:
        """Datasets hook: a job that failed for a full disk gives back the space of the
        datasets it had begun (post.json may fit then)."""
        if (self.path / "datasets").is_dir():
            from accel.dataset import writer

            writer.drop_unfinished(self.path)

    def as_part(self, part: str, fn: Callable[[], Any]) -> Any:
        """fn(), whose failure is a failure of `part` (PartFailed)."""
        try:
            return fn()
        except (Exception, SystemExit) as e:
            raise PartFailed(part, *failure_of(e, self.path))

    def in_process(self, part: str, func: Callable[..., Any], args: dict) -> Any:
        self.mark_part(part)
        g.running = part
        reset_peak_memory()
        t0, c0 = time.time(), _cpu(resource.RUSAGE_SELF)
        self.enter_job_dir()
        with captured(self.tee, self.outdir / layout.output_name(part), self.label(part)):
            try:
                return self.as_part(part, lambda: run_part(func, args))
            except PartFailed as e:
                sys.stderr.write(e.tb)
                raise
            finally:
                self.post["parts"][part] = {
                    "wall": time.time() - t0, "cpu": _cpu(resource.RUSAGE_SELF) - c0,
                    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}

    def analysis(self, func: Callable[..., Any], args: dict) -> AnalysisResults:
        self.mark_part("analysis")
        g.running = "analysis"
        self.scratch.mkdir(exist_ok=True)
        t0 = time.time()
        children: dict[int, tuple[int, float]] = {}
        sources = []
        for sliceno in range(self.slices):
            r, w = os.pipe()
            sources.append(self.tee.add(r, self.outdir / layout.output_name(sliceno),
                                        self.label(sliceno)))
            pid = os.fork()
            if pid == 0:  # the slice
                os.close(r)
                self.run_slice(func, args, sliceno, w)
            os.close(w)
            children[pid] = (sliceno, time.time())
        per_slice: list[dict] = [{} for _ in range(self.slices)]
        failures: dict[int, PartFailed] = {}
        while children:
            pid, status, ru = os.wait4(-1, 0)
            if pid not in children:
                continue
            sliceno, started = children.pop(pid)
            per_slice[sliceno] = {"wall": time.time() - started,
                                  "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
            if status != 0 and not failures:
                failures[sliceno] = self.slice_failure(sliceno, status)
                for other in children:  # one slice failed: the job has failed
                    try:
                        os.kill(other, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        self.tee.finishing.extend(sources)
        self.post["parts"]["analysis"] = {"wall": time.time() - t0, "slices": per_slice}
        if failures:
            raise next(iter(failures.values()))
        results = []
        for sliceno in range(self.slices):
            try:
                with open(self.scratch / f"analysis-{sliceno}.pickle", "rb") as f:
                    results.append(pickle.load(f))
            except (OSError, EOFError, pickle.UnpicklingError):
                raise PartFailed(f"analysis slice {sliceno}", "ProcessDied",
                                 "the slice ended without a result (did it call os._exit?)", "")
        return AnalysisResults(results)

    def save_result(self, result: Any) -> None:
        """result.pickle; a value even cloudpickle cannot hold is the method's failure in
        "saving the result", said in one line (accel's frames are no help there)."""
        try:
            CurrentJob(self.jobid).save(result)
        except Exception as e:  # anything pickling a user's object can raise
            if disk.is_disk_error(e):
                raise self.disk_failure("saving the result", e) from None
            raise PartFailed("saving the result", type(e).__name__,
                             f"what the method returned ({type(result).__name__}) cannot be "
                             f"pickled: {e}", "") from None

    def run_slice(self, func: Callable[..., Any], args: dict, sliceno: int, out_fd: int) -> None:
        code = 1
        try:
            die_with_parent()
            redirect_to(out_fd)
            try:
                self.enter_job_dir()
                # datasets hook: a writer made in prepare writes this slice here, and
                # leave_slice puts its rows on disk before this process exits
                writers = sys.modules.get("accel.dataset.writer")
                if writers is not None:
                    writers.enter_slice(self.path, sliceno)
                g.sliceno = sliceno
                res = run_part(func, dict(args, sliceno=sliceno))
                writers = sys.modules.get("accel.dataset.writer")
                if writers is not None:
                    writers.leave_slice(self.path, sliceno)
                write_bytes(self.scratch / f"analysis-{sliceno}.pickle", pickling.dumps(res))
                code = 0
            except (Exception, SystemExit) as e:
                exc_type, message, tb = failure_of(e, self.path)
                try:
                    sys.stderr.write(tb)
                    write_json(self.scratch / f"analysis-{sliceno}.error",
                               {"exception": exc_type, "message": message, "traceback": tb})
                except OSError as e2:  # no room to say why: the exit status says it was the disk
                    first = e if disk.is_disk_error(e) else e2
                    if disk.is_disk_error(first) and first.errno is not None:
                        code = first.errno
        finally:
            exit_child(code)

    def slice_failure(self, sliceno: int, status: int) -> PartFailed:
        part = f"analysis slice {sliceno}"
        try:
            err = read_json(self.scratch / f"analysis-{sliceno}.error")
            return PartFailed(part, err["exception"], err["message"], err["traceback"])
        except (OSError, ValueError, KeyError):
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            if code in disk.DISK_ERRNOS:  # it could not write why: the disk is full
                return PartFailed(part, DISK_FAILURE, disk.message(code, self.path), "")
            return PartFailed(part, "ProcessDied", exit_description(status), "")


def _forget_inherited_reads() -> None:
    """Forked from a running job: the input files it declared or read are not ours."""
    inputreads = sys.modules.get("accel.inputreads")  # not loaded: nothing to forget
    if inputreads is not None:
        inputreads.forget_inherited()


def _absolute_import_path() -> None:
    """Relative sys.path entries ('' from `python -c`, a relative PYTHONPATH) made
    absolute, so the method's imports find what they found before the chdir."""
    sys.path[:] = [os.path.abspath(p) if isinstance(p, str) and not os.path.isabs(p) else p
                   for p in sys.path]


def reset_peak_memory() -> None:
    """Linux: start this process's peak-memory count (ru_maxrss) afresh, so a part's
    figure is its own, not the largest of the parts before it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def exit_description(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"the process was killed by {name}"
    return f"the process exited with status {os.WEXITSTATUS(status)} before finishing (os._exit?)"


def _cpu(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def _declared_inputs(setup: dict, module: ModuleType, options: DotDict) -> list[str]:
    """The paths the job's InputFile options name (tracked or not): files, folders, and
    what a glob pattern matches. Reading them is no surprise."""
    import glob

    from accel.methods import declarations
    from accel.optiontypes import compile_all, input_files_in

    input_dir = str(layout.paths().input_directory)
    fields = compile_all(setup["method"], declarations(module).get("options"))
    out = []
    for _, _, value in input_files_in(fields, options):
        path = os.path.normpath(os.path.join(input_dir, value))
        out.append(path)
        if not os.path.exists(path) and glob.has_magic(value):
            out += glob.glob(path)
    return out


def _read_subjobs(scratch: Path) -> list[str]:
    try:
        return [line for line in (scratch / "subjobs").read_text().splitlines() if line]
    except FileNotFoundError:
        return []


def run_job(path: str | os.PathLike, echo: bool = True, setup: dict | None = None,
            part_fd: int | None = None) -> int:
    """Run the job directory at `path`; 0 when it finished, 1 when it failed.

    `setup` is the parsed setup.json when the caller has it (a fork of the builder);
    `part_fd` is where to write the name of each part as it starts."""
    return Runner(Path(path), echo, setup, part_fd).run()


def main(argv: list[str]) -> int:
    """`python -m accel.runner JOBDIR [--part-fd N] [--no-echo]`: how an executor that
    cannot fork the builder (Dask) runs a job. Like a forked job, the runner dies with
    the process that started it and keeps whatever the method starts below itself."""
    from accel.proctree import become_subreaper

    args = list(argv)
    part_fd = None
    if "--part-fd" in args:
        i = args.index("--part-fd")
        part_fd = int(args[i + 1])
        del args[i:i + 2]
    echo = "--no-echo" not in args
    args = [a for a in args if a != "--no-echo"]
    if len(args) != 1:
        sys.stderr.write("usage: python -m accel.runner JOBDIR [--part-fd N] [--no-echo]\n")
        return 2
    die_with_parent()
    become_subreaper()
    return run_job(args[0], echo=echo, part_fd=part_fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
