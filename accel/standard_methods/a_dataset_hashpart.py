from accel.options import OptionString

description = r'''
Rewrite a dataset (chain) with a new hashlabel: every line goes to the slice its value in
the hashlabel column hashes to (the same placement as a dataset writer's split write).
Within a slice, lines keep their order, taken from source slice 0, then 1, ...

One dataset per dataset of the chain from source back to the previous job's source (at most
length): the last is "default", the others 0, 1, ..., each the previous of the next.
caption may use %(caption)s (the source's caption) and %(hashlabel)s.
'''


options = {
    'hashlabel': OptionString,
    'caption': '"%(caption)s" hashed on %(hashlabel)s',
    'length': -1,
    'chain_slices': False,      # accepted for Accelerator build scripts; not used
}

datasets = ('source', 'previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_hashpart: {msg}")


def prepare(job):
    from accel.dotdict import DotDict

    from . import _dsio

    if not datasets.source:
        raise _err("no source dataset given")
    chain = _dsio.dataset_chain(datasets.source, _dsio.previous_source(datasets.previous),
                                options.length)
    if not chain:
        raise _err("the previous job had the same source: nothing to do")
    plans = []
    for ix, ds in enumerate(chain):
        _dsio.need_columns(ds, [options.hashlabel], 'dataset_hashpart: hashlabel')
        info = _dsio.column_info(ds)
        try:
            caption = options.caption % dict(caption=ds.caption,
                                             hashlabel=options.hashlabel)
        except (KeyError, ValueError, TypeError) as e:
            raise _err(f"option caption {options.caption!r}: {e}")
        plans.append(DotDict(name='default' if ix == len(chain) - 1 else str(ix),
                             info=info, caption=caption))
    return DotDict(chain=chain, plans=plans)


def analysis(sliceno, slices, job, prepare_res):
    from . import _dsio

    p = prepare_res
    for ix, (ds, plan) in enumerate(zip(p.chain, p.plans, strict=True)):
        if not _dsio.ds_lines(ds)[sliceno]:
            continue
        cols = _dsio.read_cols(ds, sliceno, list(plan.info), plan.info)
        hl = options.hashlabel
        dest = _dsio.slice_of(cols[hl], plan.info[hl].type, slices)
        _dsio.scatter(job, f'hashpart-{ix}', sliceno, slices, cols, dest)


def synthesis(job, slices, prepare_res):
    from . import _dsio

    p = prepare_res
    previous = datasets.previous
    lines = []
    for ix, plan in enumerate(p.plans):
        dw = _dsio.make_writer(job, plan.name,
                               {n: (c.type, c.none_support) for n, c in plan.info.items()},
                               hashlabel=options.hashlabel, previous=previous,
                               caption=plan.caption)
        lines = _dsio.gather(job, f'hashpart-{ix}', slices, dw)
        previous = dw
    from accel.words import plural

    print(f"hashed on {options.hashlabel}: {plural(sum(lines), 'line')}, per slice {lines}")
