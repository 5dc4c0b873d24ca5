"""Issue 14, surprise 3: a dataset input that does not exist is refused before anything
runs, in one line naming the input and what the job has; a declared dataset input that was
not given, when the method reads it, names that input."""

from __future__ import annotations

from conftest import ax_run, ax_run_fails, printed, script

NO_DATASET = '''
    def synthesis():
        return 1
'''

ONE_DATASET = '''
    def prepare(job):
        dw = job.datasetwriter()
        dw.add('x', 'int64')
        return dw

    def analysis(sliceno, prepare_res):
        prepare_res.write(sliceno)
'''

USE = '''
    datasets = ('source',)

    def synthesis():
        return sum(datasets.source.iterate(None, 'x'))
'''


def _use_jobs(project) -> list[str]:
    return [d for d in project.job_dirs() if (project.root / "workdirs" / "dev" / d /
                                              "setup.json").read_text().find('"use"') >= 0]


def test_a_job_without_datasets_as_a_dataset_input_is_refused_before_it_runs(project):
    project.method("plain", NO_DATASET)
    project.method("use", USE)
    script(project, """
        def main(urd):
            j = urd.build('plain')
            print('RESULT', json.dumps(j))
            urd.build('use', source=j)
    """)
    p = ax_run_fails(project)
    jobid = printed(p)
    assert f"datasets input 'source': job {jobid} has no dataset 'default' (it has no datasets)" \
        in p.stderr, p.stderr
    assert "finishing" not in p.stderr
    assert _use_jobs(project) == []  # refused before a job directory was made


def test_a_dataset_name_the_job_does_not_have_is_refused_naming_what_it_has(project):
    project.method("one", ONE_DATASET)
    project.method("use", USE)
    script(project, """
        def main(urd):
            j = urd.build('one')
            print('RESULT', json.dumps(j))
            urd.build('use', source=j + '/nope')
    """)
    p = ax_run_fails(project)
    jobid = printed(p)
    assert f"job {jobid} has no dataset 'nope' (its datasets: default)" in p.stderr, p.stderr
    assert _use_jobs(project) == []
    # the dataset it has is taken
    script(project, """
        def main(urd):
            print('RESULT', json.dumps(urd.build('use', source=urd.build('one')).load()))
    """)
    assert printed(ax_run(project, clean=True)) == 0 + 1  # slice 0 wrote 0, slice 1 wrote 1


def test_reading_a_dataset_input_that_was_not_given_names_it(project):
    project.method("use", USE)
    script(project, """
        def main(urd):
            urd.build('use')
    """)
    p = ax_run_fails(project)
    assert "no dataset was given for this input, it is NoDataset (not given to this job: " \
           "datasets.source)" in p.stderr, p.stderr
    assert "NoneType" not in p.stderr
