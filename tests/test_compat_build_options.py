"""Issue 13: the Accelerator's public behaviour for build keywords, failed jobs' JobError
and option values, each shown with a method and build script written the Accelerator way
and run with `ax run` in a temporary project."""

from __future__ import annotations

from conftest import ax_run, printed, script

MAKE = '''
    options = dict(n=0)

    def prepare(job):
        dw = job.datasetwriter()
        dw.add('x', 'int64')
        return dw

    def analysis(sliceno, prepare_res):
        prepare_res.write(options.n)
'''

USE = '''
    options = dict(a=0)
    datasets = ('source',)
    jobs = ('prev',)

    def synthesis():
        return [options.a, datasets.source.job, jobs.prev]
'''


def test_a_build_keyword_wins_over_the_same_name_in_options_datasets_and_jobs(project):
    """The Accelerator puts keywords into options=/datasets=/jobs= over what is there."""
    project.method("make", MAKE)
    project.method("use", USE)
    script(project, """
        def main(urd):
            one = urd.build('make', n=1)
            two = urd.build('make', n=2)
            j = urd.build('use', options=dict(a=1), a=2, datasets=dict(source=one),
                          source=two, jobs=dict(prev=one), prev=two)
            print('RESULT', json.dumps([j.load(), two]))
    """)
    got, two = printed(ax_run(project, clean=True))
    assert got == [2, two, two]
