"""Issue 13, item 9 and a list option's default: the Accelerator's job files -- what
`job.save()`/`json_save()` return, `pathlib.Path` names, `background=` and `temp=` -- and
`options = dict(x=[1])`, each with a method and build script written the Accelerator way
and run with `ax run` in a temporary project."""

from __future__ import annotations

import json
import os

from conftest import (
    ax_run,
    ax_run_fails,
    finish_ax,
    jobdir,
    post_of,
    printed,
    script,
    start_ax,
    wait_for,
)

SAVES = '''
    from pathlib import Path

    def prepare(job):
        pickled = job.save({'a': 1}, 'a.pickle')
        js = job.json_save({'b': {'c': 2}}, Path('b.json'))
        with job.open(Path('c.txt'), 'w') as f:
            f.write('text')
        return dict(
            pickled=[pickled.filename, pickled.path, pickled.load(), pickled.jobwithfile()],
            json=[js.filename, js.path, js.load().b.c, js.jobwithfile(extra={'k': 1})],
            by_path=[job.load(Path('a.pickle')), job.json_load(Path('b.json')),
                     job.open(Path('c.txt')).read(), job.filename(Path('c.txt')),
                     job.withfile(Path('a.pickle'))],
            fspath=open(pickled).name,
        )

    def analysis(sliceno, job):
        return job.save(sliceno * 10, 'per.pickle', sliceno=sliceno)

    def synthesis(prepare_res, analysis_res, job):
        mine = list(analysis_res)
        prepare_res['slices'] = [[s.filename, s.load(), s.jobwithfile()] for s in mine]
        prepare_res['job'] = str(job)
        return prepare_res
'''

USE = '''
    from accel import JobWithFile

    options = dict(model=JobWithFile, part=JobWithFile)

    def synthesis():
        return [options.model.load(), options.part.load(sliceno=1), options.model.filename()]
'''


def test_save_returns_the_file_with_load_path_filename_and_jobwithfile(project):
    """As in the Accelerator: `.filename` is the name in the job (`name.N` for a slice's
    own), `.path` the absolute path, `.load()` reads it back (a JSON file as DotDicts),
    `.jobwithfile()` is an option value for a later build; a slice may return it to
    synthesis; a name may be a pathlib.Path wherever a job takes a file name."""
    project.method("saves", SAVES)
    project.method("use", USE)
    script(project, """
        def main(urd):
            job = urd.build('saves')
            res = job.load()
            use = urd.build('use', model=res['pickled'][3], part=res['slices'][1][2])
            print('RESULT', json.dumps([res, use.load(), sorted(job.files())], default=repr))
    """)
    res, used, files = printed(ax_run(project, clean=True))
    jid = res["job"]
    where = str(jobdir(project, jid))
    assert res["pickled"] == ["a.pickle", f"{where}/a.pickle", {"a": 1},
                              f"JobWithFile({jid!r}, 'a.pickle', sliced=False, extra=None)"]
    assert res["json"] == ["b.json", f"{where}/b.json", 2,
                           f"JobWithFile({jid!r}, 'b.json', sliced=False, extra={{'k': 1}})"]
    assert res["by_path"] == [{"a": 1}, {"b": {"c": 2}}, "text", f"{where}/c.txt",
                              f"JobWithFile({jid!r}, 'a.pickle', sliced=False, extra=None)"]
    assert res["fspath"] == f"{where}/a.pickle"
    assert res["slices"] == [
        ["per.pickle.0", 0, f"JobWithFile({jid!r}, 'per.pickle', sliced=True, extra=None)"],
        ["per.pickle.1", 10, f"JobWithFile({jid!r}, 'per.pickle', sliced=True, extra=None)"]]
    assert used == [{"a": 1}, 10, f"{where}/a.pickle"]
    assert files == ["a.pickle", "b.json", "c.txt", "per.pickle.0", "per.pickle.1",
                     "result.pickle"]


BACKGROUND = '''
    import os
    import time

    options = dict(hold='')

    class Held:
        """Pickles (as the text 'payload') only once the test lets it."""

        def __reduce__(self):
            deadline = time.time() + 60  # never forever, even if the test dies
            while os.path.exists(options.hold) and time.time() < deadline:
                time.sleep(0.01)
            return (str, ('payload',))

    def synthesis(job):
        saved = job.save(Held(), 'held.pickle', background=True)
        print('save returned')
        return saved.filename
'''


def test_a_background_save_runs_while_the_method_goes_on_and_the_job_waits_for_it(
        project, procs):
    """save(..., background=True) returns at once and writes in another process; the
    job does not finish (nor write its result) until the file is written, and `ax
    status` says what it waits for, as the Accelerator's status does."""
    project.method("bg", BACKGROUND)
    hold = project.root / "hold"
    hold.write_text("")
    script(project, """
        import os

        def main(urd):
            job = urd.build('bg', hold=os.path.abspath('hold'))
            print('RESULT', json.dumps([job, job.load(), job.load('held.pickle')]))
    """)
    proc = start_ax(project, procs, "run", tag="bg")

    def waiting():
        p = project.ax("status", "--json")
        jobs = json.loads(p.stdout)["running"] if p.returncode == 0 else []
        return [j["job"] for j in jobs
                if "waiting for the background save of held.pickle" in j["status"]]

    jid = wait_for(waiting, what="the job to wait for its background save", proc=proc)[0]
    here = jobdir(project, jid)
    assert "save returned" in (here / "output" / "synthesis.txt").read_text()
    # the method has returned; the job has not finished, nor saved what it returned
    assert not (here / "post.json").exists() and not (here / "result.pickle").exists()
    hold.unlink()
    rc, out, err = finish_ax(project, proc, "bg")
    assert rc == 0, err
    assert json.loads(out.split("RESULT ", 1)[1].splitlines()[0]) == [
        jid, "held.pickle", "payload"]
    assert "held.pickle" in post_of(project, jid)["files"]


FAILING_SAVES = '''
    import threading

    options = dict(where='synthesis')

    def analysis(sliceno, job):
        if options.where == 'analysis' and sliceno == 1:
            saved = job.save(threading.Lock(), 'lock.pickle', sliceno=sliceno, background=True)
            try:
                saved.load()
            except Exception as e:
                print('load failed:', e)  # caught: the job fails all the same

    def synthesis(job):
        if options.where == 'synthesis':
            job.json_save({'ok': 1}, 'fine.json', background=True)
            job.save(threading.Lock(), 'lock.pickle', background=True)
'''


def test_a_failed_background_save_fails_the_part_that_started_it(project):
    """Nothing needs to read the file: a background save that could not write it fails
    the job, in the part that started it, naming the file and the line of the save."""
    project.method("badsave", FAILING_SAVES)
    script(project, """
        from accel import JobError

        def main(urd):
            for where in ('synthesis', 'analysis'):
                try:
                    urd.build('badsave', where=where)
                except JobError as e:
                    print('RESULT', json.dumps([e.part, str(e)]))
    """)
    p = ax_run(project, "--allow-failed-jobs")
    lines = [json.loads(line[7:]) for line in p.stdout.splitlines() if line.startswith("RESULT ")]
    assert [part for part, _ in lines] == ["synthesis", "analysis slice 1"]
    for _, msg in lines:
        assert "background save of 'lock.pickle" in msg
        assert "(saved at a_badsave.py:" in msg and "cannot pickle" in msg


BACKGROUND_AND_SUBJOB = '''
    from accel import subjobs

    def synthesis(job):
        saved = job.save('saved while the subjob ran', 'bg.pickle', background=True)
        sub = subjobs.build('plain')
        return [saved.load(), sub.load()]
'''

PLAIN = '''
    def synthesis():
        return 'subjob'
'''


def test_a_subjob_built_during_a_background_save_leaves_it_to_its_job(project):
    """A subjob's process starts as a copy of the running job's: the background save it
    inherits is still the parent's to wait for, and to hear the outcome of."""
    project.method("bgsub", BACKGROUND_AND_SUBJOB)
    project.method("plain", PLAIN)
    script(project, """
        def main(urd):
            print('RESULT', json.dumps(urd.build('bgsub').load()))
    """)
    assert printed(ax_run(project, clean=True)) == ["saved while the subjob ran", "subjob"]


TEMPS = '''
    import os

    options = dict(fail=False)

    def prepare(job):
        job.save('kept while running', 'p.pickle', temp=True)
        with job.open('t.txt', 'w', temp=True) as f:
            f.write('temporary')
        job.save('first', 'again.pickle', temp=True)
        job.save('second', 'again.pickle')  # saved again, not temporary: it stays

    def analysis(sliceno, job):
        return job.save(sliceno, 'per.pickle', sliceno=sliceno, temp=True)

    def synthesis(job, analysis_res):
        seen = [job.load('p.pickle'), open('t.txt').read(), [s.load() for s in analysis_res]]
        removed = job.json_save([1], 'removed.json')
        removed.remove()  # made temporary after the fact, as in the Accelerator
        if options.fail:
            raise Exception('failing with temporary files about')
        return seen
'''


def test_temp_files_are_there_while_the_job_runs_and_gone_when_it_has_finished(project):
    """temp=True (save, json_save, open, and SavedFile.remove()): the job's parts see the
    file; a finished job does not have it, on disk or in post.json's files, so it can
    never be read as a result. A failed job keeps them, as in the Accelerator."""
    project.method("temps", TEMPS)
    script(project, """
        from accel import JobError

        def main(urd):
            job = urd.build('temps')
            try:
                urd.build('temps', fail=True)
            except JobError as e:
                failed = e.job
            print('RESULT', json.dumps([job, job.load(), job.files(), failed]))
    """)
    jid, seen, files, failed = printed(ax_run(project, "--allow-failed-jobs"))
    assert seen == ["kept while running", "temporary", [0, 1]]
    assert files == ["again.pickle", "result.pickle"] == post_of(project, jid)["files"]
    assert project.job(jid).load("again.pickle") == "second"
    temps = {"p.pickle", "t.txt", "per.pickle.0", "per.pickle.1", "removed.json"}
    assert not temps & set(os.listdir(jobdir(project, jid)))
    assert temps <= set(os.listdir(jobdir(project, failed)))


LISTS = '''
    options = dict(ints=[1], typed=[int], strs=['a'], anything=[], two=[1, 2], floats=[1.5],
                   nested=[[1]], in_dict={'x': [1]})

    def synthesis():
        return dict(options)
'''


def test_a_list_declared_by_example_is_its_default(project):
    """As in the Accelerator: `[1]` defaults to `[1]` (a list of int), `['a']` to
    `['a']`, `[1, 2]` to `[1, 2]`; a type (`[int]`) or nothing (`[]`) to `[]`. A str
    given for a list is its comma-separated parts."""
    project.method("lists", LISTS)
    script(project, """
        def main(urd):
            default = urd.build('lists').load()
            given = urd.build('lists', ints=[2, 3], strs='p, q', anything='x,y', floats=[1],
                              typed=(4,), nested=[[5]]).load()
            print('RESULT', json.dumps([default, given]))
    """)
    default, given = printed(ax_run(project, clean=True))
    assert default == dict(ints=[1], typed=[], strs=["a"], anything=[], two=[1, 2],
                           floats=[1.5], nested=[[1]], in_dict={"x": [1]})
    assert given == dict(default, ints=[2, 3], strs=["p", "q"], anything=["x", "y"],
                         floats=[1.0], typed=[4], nested=[[5]])


def test_a_list_declared_by_example_refuses_other_element_types(project):
    """Its first element types it: a value of another type is one clear line (the
    Accelerator's int('x') fails there too)."""
    project.method("lists", LISTS)
    script(project, """
        def main(urd):
            urd.build('lists', ints=['x'])
    """)
    p = ax_run_fails(project)
    assert "method 'lists': option 'ints' at [0]: expected int, got 'x' (str)" in p.stderr


# --- what a review found: saves of one name, names outside the job, saves inside saves ----

ORDER = '''
    import threading
    import time

    class Slow:
        """Pickles as its text, slowly: a background save of it is still running later."""
        def __init__(self, text, seconds):
            self.text, self.seconds = text, seconds
        def __reduce__(self):
            time.sleep(self.seconds)
            return (str, (self.text,))

    def synthesis(job):
        job.save(Slow('first', 1.5), 'x.pickle', background=True)
        job.save('second', 'x.pickle')  # asked for last: what the job keeps
        job.save(Slow('third', 1.5), 'y.pickle', background=True)
        job.save(Slow('fourth', 0), 'y.pickle', background=True)
        job.save(Slow('temp', 1.5), 'z.pickle', background=True, temp=True)
        job.save('kept', 'z.pickle')
        a = job.save(Slow('a', 1), 'a.pickle', background=True)
        job.save({'ref': a}, 'b.pickle', background=True)  # a SavedFile inside a save
        t = threading.Thread(target=lambda: job.save(Slow('threaded', 1), 't.pickle',
                                                     background=True))
        t.start()
        t.join()  # the thread is gone; its save goes on
'''


def test_saves_of_one_name_end_as_the_last_asked_for(project):
    """Two saves of one name: the file is the later one, whichever write is slower; a
    save pickling another's SavedFile, or started from a thread that then ends, works."""
    project.method("order", ORDER)
    script(project, """
        def main(urd):
            j = urd.build('order')
            print('RESULT', json.dumps([j.load(n) for n in
                                        ('x.pickle', 'y.pickle', 'z.pickle', 't.pickle')]))
    """)
    got = printed(ax_run(project, clean=True))
    assert got == ["second", "fourth", "kept", "threaded"]


ESCAPE = '''
    options = dict(name='../dev-1/k.pickle', temp=True)

    def synthesis(job):
        job.save('x', options.name, temp=options.temp)
'''


def test_a_name_outside_the_job_directory_is_refused(project):
    project.method("escape", ESCAPE)
    project.method("keep", "def synthesis(job):\n    job.save('k', 'k.pickle')\n")
    script(project, """
        def main(urd):
            k = urd.build('keep')
            print('RESULT', json.dumps(str(k)))
            urd.build('escape', name='../%s/k.pickle' % (k,))
    """)
    p = ax_run_fails(project)
    keep = printed(p)
    assert "is outside the job directory" in p.stderr, p.stderr
    assert (jobdir(project, keep) / "k.pickle").exists()
    script(project, """
        def main(urd):
            urd.build('escape', name='/tmp/escaped-%d.pickle' % (__import__('os').getpid(),),
                      temp=False)
    """)
    p = ax_run_fails(project)
    assert "is outside the job directory" in p.stderr, p.stderr
