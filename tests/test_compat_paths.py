"""Issue 13, item 13: the Accelerator's other import paths (`accelerator.extras`,
`.build`, `.dispatch`, `.error`, `.g`) work once `accelerator` reads `accel`, each name
bound to accel's real object, in a method, a helper module it imports, and a build script.
"""

from __future__ import annotations

from conftest import ax_run, printed, script

STATS = '''
    from accel.extras import (DotDict, OptionEnum, OptionString, RequiredOption, OptionDefault,
                              json_save, json_load, pickle_save, pickle_load, job_params, quote)
    from . import helper

    options = dict(mode=OptionEnum('sum max').max, label=OptionString,
                   n=RequiredOption(int), scale=OptionDefault(int, 2))
    jobs = ('prev',)

    def prepare():
        json_save(dict(label=options.label, n=options.n), 'prep.json')

    def analysis(sliceno):
        pickle_save([sliceno] * options.n, 'part.pickle', sliceno=sliceno)
        return helper.where_am_i()

    def synthesis(analysis_res, slices):
        parts = [pickle_load('part.pickle', sliceno=s) for s in range(slices)]
        prep = json_load('prep.json')
        return DotDict(
            analysis=list(analysis_res), synthesis=helper.where_am_i(),
            parts=parts, prep_label=prep.label, prep_is_dotdict=isinstance(prep, DotDict),
            method=job_params().method, scale=job_params().options.scale,
            prev_method=job_params().jobs.prev.method, me=job_params().jobid.method,
            quoted=[quote('plain'), quote('two words'), quote('')],
        )
'''

HELPER = '''
    from accel import g

    def where_am_i():
        return [g.running, g.sliceno, g.slices, str(g.job), g.options.mode, g.params.method]
'''

BROKEN = '''
    def synthesis():
        raise ValueError('no')
'''


def test_accelerator_import_paths_in_methods_and_build_scripts(project):
    project.method("stats", STATS)
    project.file("methods/helper.py", HELPER)
    project.method("broken", BROKEN)
    project.method("first", "def synthesis():\n    pass\n")
    script(project, """
        import accel
        import accel.build
        import accel.dispatch
        import accel.error
        from accel.build import JobError
        from accel.dispatch import JobError as DispatchJobError
        from accel.error import (AcceleratorError, BuildError, DatasetError,
                                 DatasetUsageError, NoSuchJobError, NoSuchWhateverError, UserError)
        from accel.extras import job_post, json_load
        from accel import build, g

        def main(urd):
            first = urd.build('first')
            job = urd.build('stats', n=2, label='x y', prev=first)
            res = job.load()
            caught = {}
            try:
                urd.build('broken')
            except JobError as e:
                caught['build'] = [type(e).__name__, isinstance(e, (DispatchJobError, BuildError,
                                                                    AcceleratorError))]
            try:
                job_post('dev-999')
            except NoSuchJobError as e:
                caught['nojob'] = isinstance(e, (NoSuchWhateverError, accel.NotFound))
            # as in the Accelerator, `accel.build` stays the function after `import accel.build`
            same = [JobError is accel.JobError, accel.dispatch.JobError is accel.JobError,
                    accel.error.UserError is accel.UserError,
                    issubclass(DatasetUsageError, DatasetError), build is accel.build is accel.subjobs.build,
                    json_load('prep.json', jobid=job).n, g.running]
            print('RESULT', json.dumps(dict(res, caught=caught, same=same,
                                            post_status=job_post(job).status)))
    """)
    out = printed(ax_run(project, "--allow-failed-jobs"))
    assert out["analysis"] == [["analysis", 0, 2, "dev-2", "max", "stats"],
                               ["analysis", 1, 2, "dev-2", "max", "stats"]]
    assert out["synthesis"] == ["synthesis", -1, 2, "dev-2", "max", "stats"]
    assert out["parts"] == [[0, 0], [1, 1]]
    assert out["prep_label"] == "x y" and out["prep_is_dotdict"]
    assert out["method"] == "stats" and out["scale"] == 2
    assert out["prev_method"] == "first" and out["me"] == "stats"  # Job objects, not ids
    assert out["quoted"] == ["plain", "'two words'", "''"]
    assert out["caught"] == {"build": ["JobError", True], "nojob": True}
    assert out["same"] == [True, True, True, True, True, 2, "build"]
    assert out["post_status"] == "finished"
