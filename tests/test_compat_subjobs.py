"""Issue 13, item 10: subjobs as in the Accelerator -- a method that builds a subjob of its
own method, and a subjob given the running job itself as its `previous` -- with methods
and build scripts written the Accelerator way, run with `ax run` in a temporary project."""

from __future__ import annotations

from conftest import ax_run, post_of, printed, script

SELF = '''
    from accel import OptionEnum, RequiredOption, subjobs

    options = dict(inner=False, n=1, mode=OptionEnum('fast slow').fast, tags=[str],
                   need=RequiredOption(int))
    datasets = (['sources'],)
    jobs = ('previous',)

    def prepare():
        if not options.inner:
            return subjobs.build('selfsub', inner=True, need=7)

    def synthesis(prepare_res):
        return dict(options=dict(options), sources=datasets.sources, previous=jobs.previous,
                    sub=prepare_res.load() if prepare_res else None)
'''


def test_a_method_builds_a_subjob_of_its_own_method(project):
    """The subjob reads the method's declarations, not the running job's values that
    its module's `options`, `datasets` and `jobs` hold: the defaults are the declared
    ones, the required option is required, the enum is an enum, a list input a list."""
    project.method("selfsub", SELF)
    script(project, """
        def main(urd):
            job = urd.build('selfsub', n=5, mode='slow', tags=['a'], need=3)
            print('RESULT', json.dumps([job, job.load(), job.post.subjobs]))
    """)
    jid, got, subjobs = printed(ax_run(project, clean=True))
    assert got["options"] == dict(inner=False, n=5, mode="slow", tags=["a"], need=3)
    assert got["sub"] == dict(options=dict(inner=True, n=1, mode="fast", tags=[], need=7),
                              sources=[], previous="", sub=None)
    assert len(subjobs) == 1 and subjobs[0] != jid
    # the same again: both reused
    assert printed(ax_run(project, clean=True)) == [jid, got, subjobs]


PREVIOUS = '''
    import os

    from accel import subjobs

    options = dict(child=False)
    jobs = ('previous',)

    def synthesis(job):
        if not options.child:
            sub = subjobs.build('prevsub', child=True, previous=job)
            return dict(sub=sub, sub_result=sub.load())
        return dict(previous=jobs.previous, method=jobs.previous.method,
                    previous_finished=os.path.exists(jobs.previous.filename('post.json')))
'''


def test_a_subjob_may_take_the_running_job_as_its_previous(project):
    """As in the Accelerator, `subjobs.build(..., previous=job)` with the running job:
    the subjob gets it as its input (unfinished as it is: it is waiting for the
    subjob), and both are reused on the next run."""
    project.method("prevsub", PREVIOUS)
    script(project, """
        def main(urd):
            job = urd.build('prevsub')
            print('RESULT', json.dumps([job, job.load()]))
    """)
    jid, got = printed(ax_run(project, clean=True))
    assert got["sub_result"] == dict(previous=jid, method="prevsub", previous_finished=False)
    assert post_of(project, jid)["subjobs"] == [got["sub"]]
    assert project.job(got["sub"]).params.jobs.previous == jid
    assert printed(ax_run(project, clean=True)) == [jid, got]


def test_name_caption_timeout_go_where_urd_build_sends_them(project):
    """`name=`, `caption=`, `timeout=` and `retries=` go to the method's own option of
    that name when it declares one, else to the build -- the same from a subjob as from
    urd.build (a subjob's `name=` was dropped, and its `caption=` and `timeout=` went to
    the builder even when the method declared them)."""
    project.method("labelled", """
        options = dict(name='', caption='', timeout=0, retries=0)

        def synthesis():
            return dict(options)
    """)
    project.method("plain", """
        def synthesis():
            return 1
    """)
    project.method("outer", """
        from accel import subjobs

        def synthesis():
            mine = subjobs.build('labelled', name='n', caption='c', timeout=5, retries=2)
            plain = subjobs.build('plain', name='n', caption='told', timeout=60)
            return [mine.load(), mine.params.caption, plain.params.caption]
    """)
    script(project, """
        def main(urd):
            direct = urd.build('labelled', name='n', caption='c', timeout=5, retries=2)
            sub = urd.build('outer').load()
            print('RESULT', json.dumps([direct.load(), direct.params.caption, sub]))
    """)
    direct, caption, (sub, sub_caption, plain_caption) = printed(ax_run(project, clean=True))
    assert direct == sub == dict(name="n", caption="c", timeout=5, retries=2)
    assert caption == sub_caption == "" and plain_caption == "told"
