"""Pickles name classes by their module: what a finished job pickled before accel.job and
accel.optiontypes were split into packages still loads, and what is pickled now names the
same public paths (`accel.job.Job`, `accel.options.OptionEnum`), so older accel reads it
and the modules behind those paths can move again without breaking a result."""

from __future__ import annotations

import pickle
import pickletools

from accel.job import Job, JobWithFile, NamedJobList, NoJob, SavedFile
from accel.options import InputFile, OptionDefault, OptionEnum, OptionString, RequiredOption


def objects() -> list:
    return [Job("dev-1"), NoJob, JobWithFile("dev-1", "data.pickle", True, {"k": [1]}),
            SavedFile("dev-2", "part.pickle", 3), NamedJobList([("a", "dev-1"), ("b", "dev-2")]),
            OptionEnum("a b").b, OptionString("eg"), RequiredOption(int),
            OptionDefault([str], ["x"]), InputFile("a.csv")]


# objects(), pickled (protocol 5) by accel when accel/job.py and accel/optiontypes.py were
# single modules (commit de4825b)
OLD = (
    b'\x80\x05\x95\xc3\x01\x00\x00\x00\x00\x00\x00](\x8c\taccel.job\x94\x8c\x03Job\x93\x94'
    b'\x8c\x05dev-1\x85Rh\x00\x8c\x05NoJob\x93h\x00\x8c\x0bJobWithFile\x93(\x8c\x05dev-1'
    b'\x8c\x0bdata.pickle\x88}\x8c\x01k]K\x01astRh\x00\x8c\tSavedFile\x93(\x8c\x05dev-2'
    b'\x8c\x0bpart.pickleK\x03\x89tRh\x00\x8c\x0cNamedJobList\x93)\x81(h\x01\x8c\x05dev-1'
    b'\x85Rh\x01\x8c\x05dev-2\x85Re}\x8c\x05names](\x8c\x01a\x8c\x01b\x94esb\x8c\raccel.op'
    b'tions\x94\x8c\nOptionEnum\x93](\x8c\x01a\x8c\x01be\x89h\x02\x87Rh\x03\x8c\x0cOptionS'
    b'tring\x93)\x81N}\x8c\x07example\x8c\x02egs\x86bh\x03\x8c\x0eRequiredOption\x93)\x81N'
    b'}(\x8c\x05value\x94\x8c\x08builtins\x94\x8c\x03int\x93\x8c\x07none_ok\x89u\x86bh\x03'
    b'\x8c\rOptionDefault\x93)\x81N}(h\x04]h\x05\x8c\x03str\x93a\x8c\x07default\x94]\x8c'
    b'\x01xau\x86bh\x03\x8c\tInputFile\x93)\x81N}(h\x06\x8c\x05a.csv\x8c\x08required\x89'
    b'\x8c\x07pattern\x8c\x01*\x8c\x05track\x88u\x86be.'
)


def test_a_pickle_from_before_the_split_loads():
    got = pickle.loads(OLD)
    assert [type(o) for o in got] == [type(o) for o in objects()]
    job, nojob, jwf, saved, named, *options = got
    assert job == "dev-1" and nojob is NoJob
    assert jwf == JobWithFile("dev-1", "data.pickle", True, {"k": [1]})
    assert (saved.job, saved.filename) == ("dev-2", "part.pickle.3")
    assert named == ["dev-1", "dev-2"] and named.get("b") == "dev-2"
    assert options == objects()[5:]


def test_pickles_name_the_public_paths():
    named = {arg.replace(" ", ".") for op, arg, _ in pickletools.genops(pickle.dumps(objects(), 2))
             if op.name == "GLOBAL" and arg.startswith("accel")}
    assert named == {"accel.job.Job", "accel.job.NoJob", "accel.job.JobWithFile",
                     "accel.job.SavedFile", "accel.job.NamedJobList", "accel.options.OptionEnum",
                     "accel.options.OptionString", "accel.options.RequiredOption",
                     "accel.options.OptionDefault", "accel.options.InputFile"}
