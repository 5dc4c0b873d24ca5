description = r'''
The source's lines in round-robin order (line 0 of slice 0, line 0 of slice 1, ...,
line 1 of slice 0, ..., a slice that has run out skipped), cut into slices of the
source's sizes: slice 0 gets the first lines, slice 1 the next, ... so reading the new
dataset slice after slice gives that order. (The Accelerator's csvimport deals the lines
of its file over the slices in turn, so there this gives the file's order back; accel's
csvimport already keeps that order, one contiguous part per slice.)

With trigger_column each cut moves forward past the lines whose value in that column
equals the line's before the cut, so lines with one value that come together stay in one
slice (the sizes change, the total does not). The columns and caption are the source's;
there is no hashlabel.
'''

options = dict(trigger_column=None)

datasets = ('source', 'previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_unroundrobin: {msg}")


def rr_positions(lines, sliceno):
    """numpy ints: where each line of slice `sliceno` comes in round-robin order, the
    slices having `lines` lines each."""
    from . import _dsio

    np = _dsio.np()
    i = np.arange(lines[sliceno], dtype=np.int64)
    pos = np.zeros(len(i), dtype=np.int64)
    for t, n in enumerate(lines):
        pos += np.minimum(i, n)       # the lines of the rounds before line i's
        if t < sliceno:
            pos += i < n              # earlier slices still in line i's round
    return pos


def prepare(job):
    from accel.dotdict import DotDict

    from . import _dsio

    src = datasets.source
    if not src:
        raise _err("no source dataset given")
    info = _dsio.column_info(src)
    if not info:
        raise _err(f"dataset {_dsio.ds_name(src)} has no columns")
    lines = _dsio.ds_lines(src)
    cuts = [0]
    for n in lines:
        cuts.append(cuts[-1] + n)
    trigger = options.trigger_column
    if trigger:
        _dsio.need_columns(src, [trigger], 'dataset_unroundrobin: trigger_column')
        values = [None] * cuts[-1]
        for s, n in enumerate(lines):
            if n:
                col = _dsio.read_cols(src, s, [trigger], info)[trigger]
                for at, v in zip(rr_positions(lines, s).tolist(), _dsio.to_pylist(col),
                                 strict=True):
                    values[at] = v
        cuts = _dsio.trigger_cuts(cuts, values)
    dw = _dsio.make_writer(job, 'default', {n: (c.type, c.none_support) for n, c in info.items()},
                           previous=datasets.previous, caption=src.caption)
    return DotDict(info=info, cuts=cuts, dw=dw)


def analysis(sliceno, slices, job, prepare_res):
    from . import _dsio

    p = prepare_res
    src = datasets.source
    lines = _dsio.ds_lines(src)
    if not lines[sliceno]:
        return
    pos = rr_positions(lines, sliceno)
    dest = _dsio.np().searchsorted(p.cuts, pos, side='right') - 1
    cols = _dsio.read_cols(src, sliceno, list(p.info), p.info)
    _dsio.scatter(job, 'unroundrobin', sliceno, slices, cols, dest, keys=pos)


def synthesis(job, slices, prepare_res):
    from accel.words import plural

    from . import _dsio

    lines = _dsio.gather(job, 'unroundrobin', slices, prepare_res.dw, ordered=True)
    print(f"{plural(sum(lines), 'line')} in round-robin order, per slice {lines}")
