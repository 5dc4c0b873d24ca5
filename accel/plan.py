"""The plan of a job: everything that decides its identity, normalised, and the setup
record a job of it is written with.

One owner for both: the builder plans to build, `ax why` plans to explain, `ax method`
asks for the source hash -- none of them needs an executor or a store for it. The
identity recipe is `identity_of`, and nothing else computes one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import types
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accel import __version__, layout, records
from accel.config import Config
from accel.equivalence import shas_without
from accel.errors import AccelError, JobDamaged, MethodError, OptionError
from accel.identity import SourceHasher, combine, job_identity
from accel.inputfiles import (
    Fingerprints,
    InputFileError,
    cache_file_of,
    canonical,
    files_named,
    inside,
    real_folders,
    recorded_name,
)
from accel.inputreads import changed_read
from accel.job import Job
from accel.jobstatus import FINISHED
from accel.jsoncodec import dumps_canonical, encode
from accel.methods import SHA, STANDARD_PACKAGE, MethodInfo, MethodRegistry, input_name
from accel.options import normalise_inputs, normalise_options, split_kw
from accel.optiontypes import Field, compile_all, input_files_in
from accel.records import status_of

# what build(...) keywords of these names are for when the method declares no such name:
# the urd list's name for the job, its caption, and bounds on its run
BUILD_KEYWORDS = ("name", "caption", "timeout", "retries")


@dataclass
class Plan:
    """Everything that decides a job's identity, normalised."""

    info: MethodInfo
    options: dict
    datasets: dict
    jobs: dict
    source_hash: str
    source_files: dict
    identity: str
    equivalent: tuple[str, ...]  # identities of equivalent older source versions
    # {name: {"size": bytes, "hash": xxh3-128}} of the files its InputFile options name
    input_files: dict


def identity_of(method: str, source_hash: str, slices: int, options: dict, datasets: dict,
                jobs: dict, input_files: dict | None = None) -> str:
    """A job's identity from what decides it (`options` as normalised values)."""
    return job_identity(method, source_hash, slices, dumps_canonical(options),
                        json.dumps(datasets, sort_keys=True), json.dumps(jobs, sort_keys=True),
                        canonical(input_files or {}))


class Planner:
    """Plans jobs of one project: its methods, their sources' hashes, its slices."""

    def __init__(self, config: Config):
        self.config = config
        config.activate()  # job ids given as inputs resolve in this project's workdirs
        self.methods = MethodRegistry(config.method_packages, config.project_dir)
        self.hasher = SourceHasher([config.project_dir, *self.methods.package_dirs])
        self.slices = config.slices
        self._noted: set[str] = set()
        self._without: dict[str, list[str]] = {}  # file sha -> its shas_without
        self.fingerprints = Fingerprints(cache_file_of(config.project_dir))
        self._workdirs = real_folders(list(config.workdirs.values()))
        self._fields: dict[int, tuple[dict, dict[str, Field]]] = {}
        self._reads: dict[str, dict] = {}  # job path -> its post.json "input_files"
        self._loaded_with: dict[str, str] = {}  # method -> the source hash it was loaded at

    def method(self, name: str) -> MethodInfo:
        """The method as its files are now (see _current)."""
        return self._current(name)[0]

    def _current(self, name: str) -> tuple[MethodInfo, str, dict]:
        """(the method as its files are now, its source hash, its files' hashes). A build
        plans a method many times, and its files may be edited meanwhile: a module loaded
        from an older version is loaded anew (and the project modules it imports with
        it), so that a job runs the very code whose source hash it records (and a reused
        job is one made from it)."""
        info = self.methods.get(name)
        for _ in range(5):
            src_hash, files = self.source(info)
            if getattr(info.module, SHA, None) == self.hasher.file_sha(info.file) and \
                    self._loaded_with.setdefault(name, src_hash) == src_hash:
                return info, src_hash, files
            stale = [m for m, mod in list(sys.modules.items())  # what it imports, but packages
                     if self._in_closure(mod, files) and not hasattr(mod, "__path__")]
            info = self.methods.reload(name, stale)
            # not edited while it loaded: that is its code (else load it again)
            self._loaded_with[name] = src_hash if self.source(info)[0] == src_hash else ""
        raise MethodError(f"method {name!r}: its files keep changing while the build plans it")

    def _in_closure(self, module: types.ModuleType, files: dict) -> bool:
        where = getattr(module, "__file__", None)
        return isinstance(where, str) and self.hasher.method_file_name(Path(where)) in files

    def declared_names(self, method: str) -> set[str]:
        """Every option, dataset and job input name `method` declares."""
        info = self.method(method)
        return ({*info.options} | {input_name(x)[0] for x in info.datasets}
                | {input_name(x)[0] for x in info.jobs})

    def build_keywords(self, method: str, options: dict | None, datasets: dict | None,
                       jobs: dict | None, kw: dict) -> tuple[dict | None, dict | None,
                                                            dict | None, dict]:
        """(options, datasets, jobs, the build's own keywords): `name`, `caption`,
        `timeout` and `retries` taken out of a build's `kw` -- each the build's own, but
        for one the method declares as an option or input, which then gets the value
        (over an entry of that name: a keyword wins). None is not given. One place for
        urd.build and subjobs.build."""
        given = {k: v for k in BUILD_KEYWORDS if (v := kw.pop(k, None)) is not None}
        if not given:
            return options, datasets, jobs, {}
        declared = self.declared_names(method)
        mine = {k: v for k, v in given.items() if k in declared}
        if mine:
            options, datasets, jobs = self._with_keywords(method, options, datasets, jobs, mine)
        return options, datasets, jobs, {k: v for k, v in given.items() if k not in mine}

    def _with_keywords(self, method: str, options: dict | None, datasets: dict | None,
                       jobs: dict | None, kw: dict) -> tuple[dict, dict, dict]:
        """Keywords sent to options, datasets and jobs by the method's declarations."""
        info = self.methods.get(method)
        o, d, j = split_kw(method, kw, list(info.options),
                           [input_name(x)[0] for x in info.datasets],
                           [input_name(x)[0] for x in info.jobs])
        return _merged(options, o), _merged(datasets, d), _merged(jobs, j)

    def plan(self, method: str, options: dict | None = None, datasets: dict | None = None,
             jobs: dict | None = None, **kw: Any) -> Plan:
        info, src_hash, files = self._current(method)
        ds_decl, job_decl = info.datasets, info.jobs
        if kw:
            options, datasets, jobs = self._with_keywords(method, options, datasets, jobs, kw)
        opts = normalise_options(method, info.options, dict(options or {}))
        ds = normalise_inputs(method, "datasets", ds_decl, dict(datasets or {}))
        jb = normalise_inputs(method, "jobs", job_decl, dict(jobs or {}))
        inputs = self.input_files(info, opts)
        identity = identity_of(method, src_hash, self.slices, opts, ds, jb, inputs)
        equivalent = tuple(identity_of(method, old, self.slices, opts, ds, jb, inputs)
                           for old in self.equivalent_sources(info, src_hash))
        return Plan(info, opts, ds, jb, src_hash, files, identity, equivalent, inputs)

    def input_files(self, info: MethodInfo, options: dict) -> dict:
        """{name: {"size", "hash"}} of every file the method's tracked InputFile options
        name, outside the workdirs (a job's own files have their job's identity), in
        name order. A file that is not there is an OptionError naming the option, before
        anything runs. Empty when the project says `input files: untracked`."""
        if not self.config.track_input_files:
            return {}
        named = input_files_in(self._compiled(info), options)
        if not named:
            return {}
        input_dir = str(self.config.input_directory)
        found: dict[str, dict] = {}
        for option, decl, value in named:
            if not decl.track:
                continue
            try:
                for path in files_named(value, input_dir, decl.pattern):
                    if not inside(path, self._workdirs):
                        name = recorded_name(path, input_dir)
                        size, digest = self.fingerprints.of(path)
                        found[name] = {"size": size, "hash": digest}
            except InputFileError as e:
                raise OptionError(f"method {info.name!r}: option {option!r}: {e}") from None
        self.fingerprints.save()
        return dict(sorted(found.items()))

    def changed_read(self, job_path: os.PathLike) -> dict | None:
        """The first file the finished job at `job_path` asked for by job.input_filename
        that is not what it was then (an `ax why` difference), or None: such a job is
        reused only while those files are the same."""
        if not self.config.track_input_files:
            return None
        key = os.fspath(job_path)
        reads = self._reads.get(key)
        if reads is None:
            try:
                reads = (records.read_post(job_path) or {}).get("input_files") or {}
            except JobDamaged:
                reads = {}
            self._reads[key] = reads  # post.json never changes once written
        if not reads:
            return None
        changed = changed_read(reads, str(self.config.input_directory), self.fingerprints)
        self.fingerprints.save()
        return changed

    def _compiled(self, info: MethodInfo) -> dict[str, Field]:
        """The method's compiled option declarations, kept while its module is the same."""
        declared = info.options
        kept = self._fields.get(id(declared))
        if kept is None or kept[0] is not declared:
            kept = (declared, compile_all(info.name, declared))
            self._fields[id(declared)] = kept
        return kept[1]

    def source(self, info: MethodInfo) -> tuple[str, dict]:
        """(source hash, {file: hash}) of the method with what it depends on."""
        extra_files, extra_modules = [], []
        for dep in info.depend_extra:
            if isinstance(dep, types.ModuleType):
                extra_modules.append(dep)
            else:
                extra_files.append(info.file.parent / str(dep))
        try:
            si = self.hasher.source_info(info.file, extra_files, extra_modules)
        except FileNotFoundError as e:
            raise MethodError(f"method {info.name!r}: depend_extra file {e.filename or e} does not exist")
        if not info.equivalent_hashes:
            return si.hash, dict(si.files)
        # the declaration must not change the hash it names: the method file is hashed as
        # it read before the statement was added -- the reading whose hash the
        # declaration names, if one does (accel.equivalence)
        declared = info.equivalent_hashes if isinstance(info.equivalent_hashes, dict) else {}
        name = self.hasher.method_file_name(info.file)
        found = None
        for sha in self._shas_without(info.file):
            files = {**si.files, name: sha}
            h = combine(files)
            if h in declared:
                return h, files
            found = found or (h, files)
        return found or (si.hash, dict(si.files))

    def _shas_without(self, path: Path) -> list[str]:
        """`shas_without` of the file, cached on its content's hash (a build plans the
        same method thousands of times)."""
        shas = self._without.get(self.hasher.file_sha(path))
        if shas is None:
            with open(path, "rb") as f:
                data = f.read()
            shas = self._without[hashlib.sha256(data).hexdigest()] = shas_without(data)
        return shas

    def equivalent_sources(self, info: MethodInfo, current: str) -> list[str]:
        """The older source hashes `equivalent_hashes` declares the same as `current`."""
        eq = info.equivalent_hashes
        if not eq:
            return []
        if not isinstance(eq, dict):
            raise MethodError(f"method {info.name!r}: equivalent_hashes must be a dict "
                              "{'current source hash': ('older hash', ...)}")
        if current not in eq:
            if info.name not in self._noted:  # once, not on every cache hit
                self._noted.add(info.name)
                print(f"accel: note: method {info.name!r}: equivalent_hashes names "
                      f"{', '.join(map(str, eq))}, but the source hash is now {current}; "
                      "the declaration no longer applies (if the change does not alter "
                      f"results, `ax method {info.name}` shows the line that declares it)",
                      file=sys.stderr)
            return []
        old = eq[current]
        return [old] if isinstance(old, str) else list(old)

    def setup_record(self, plan: Plan, jobid: str | None = None, started: float | None = None,
                     caption: str | None = None, force_build: bool = False) -> dict:
        """What setup.json of a job of `plan` holds (jobid None: the job a build would make)."""
        info = plan.info
        record = {
            "jobid": jobid,
            "method": info.name,
            "options": encode(plan.options),
            "datasets": plan.datasets,
            "jobs": plan.jobs,
            "identity": plan.identity,
            "hash": plan.source_hash,  # as the Accelerator's params.hash: the source hash
            "source_hash": plan.source_hash,
            "source_files": plan.source_files,
            "slices": self.slices,
            # how new datasets are stored unless the method says (not part of the identity:
            # the values are the same either way)
            "dataset_compression": self.config.dataset_compression,
            "starttime": started,
            "caption": caption or "",
            "force_build": force_build,  # for `ax why`: why it ran although a twin existed
            # does it fork slices? (how many CPUs it takes: slices, or one)
            "analysis": callable(getattr(info.module, "analysis", None)),
            "versions": {"accel": __version__, "python": sys.version.split()[0]},
            "paths": layout.paths().to_json(),
            "method_info": {
                "file": str(info.file), "module": info.modname, "package": info.package,
                "package_entry": str(info.file.parent) if info.package != STANDARD_PACKAGE
                else info.package,
                "project_dir": str(self.config.project_dir),
                "description": info.description,
                "sha": getattr(info.module, SHA, None),  # of the source the job must run
            },
        }
        if self.config.track_input_files:  # (absent: the runner does not watch reads)
            record["input_files"] = plan.input_files
        return record


def check_inputs(plan: Plan, pending: Collection[str] = ()) -> None:
    """Every job and dataset input exists, is readable and finished (or is the running
    job that builds this one): else an OptionError naming the input, before anything runs.
    `pending`: job ids that are not there yet and are not checked (a dry run's jobs that
    would be built)."""
    for kind, values in (("jobs", plan.jobs), ("datasets", plan.datasets)):
        for name, value in values.items():
            for ref in (value if isinstance(value, list) else [value]):
                if not ref:
                    continue
                jobid = ref.split("/")[0]
                if jobid in pending:
                    continue
                try:
                    path = Job(jobid).path
                except AccelError as e:
                    raise OptionError(f"method {plan.info.name!r}: {kind} input {name!r}: {e}")
                where = f"method {plan.info.name!r}: {kind} input {name!r}"
                damage = records.damage_of(path)
                if damage is not None:
                    raise OptionError(f"{where}: {damage}")
                if not (path / layout.SETUP).exists():
                    raise OptionError(f"{where}: job {jobid} does not exist")
                status = status_of(path)
                if status != FINISHED and not (kind == "jobs" and _is_current_job(path)):
                    raise OptionError(f"{where}: job {jobid} is {status}, not finished")
                name = ref.partition("/")[2] or "default"
                if kind == "datasets" and not _has_dataset(path, name):
                    from accel.dataset.metacache import no_such_dataset

                    raise OptionError(f"{where}: {no_such_dataset(Job(jobid), name)}")


def _has_dataset(job_path: Path, name: str) -> bool:
    """Has the job a dataset `name` (its folder as the reader finds it)? (Imported here:
    a plain job's processes never load accel.dataset.)"""
    from accel.dataset.format import META, dataset_dir

    return (dataset_dir(job_path, name) / META).is_file()


def _is_current_job(path: os.PathLike) -> bool:
    """Is `path` the job this process runs in? A subjob may take it as a job input
    (`previous=job`, as in the Accelerator), though it has not finished: it is the job
    that waits for the subjob, and reads of its files are not checked until it ends."""
    here = layout.current_job()
    if here is None:
        return False
    try:
        return os.path.samefile(here, path)
    except OSError:
        return False


def _merged(given: dict | None, from_kw: dict) -> dict:
    """`options=` (or datasets=, jobs=) with the build's keywords on top: a keyword wins
    over an entry of the same name, as in the Accelerator."""
    return {**(given or {}), **from_kw}
