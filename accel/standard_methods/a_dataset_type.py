description = r'''
Convert text columns (bytes, ascii, unicode) of a dataset chain to typed columns.

column2type = {COLUMN: TYPENAME}, with the Accelerator's type names: int32_10, int64_10,
int64_0, int64_16, ..., float64, float32, number, number:int, complex64, strbool, floatbool,
date:FORMAT, datetime:FORMAT, time:FORMAT (strptime formats), bytes, bytesstrip,
ascii[:replace|encode|strict], unicode:ENCODING[/strict|replace|ignore], json; an i after
the name (int64_10i, datei:%Y%m%d) accepts trailing garbage after a value; +None before the
colon (int64_10+None, date+None:%Y-%m-%d) makes empty values None.

A value that does not convert is never written silently: with defaults={COLUMN: value}
it becomes that value (a string is converted like the column, None is None); otherwise,
with filter_bad, its whole line goes to the dataset "bad" (the typed columns' original
text); otherwise the job fails naming the column, the value and where it is.

Converts the chain from source back to the previous job's source (at most length
datasets): one dataset per source dataset, the last named "default", the others 0, 1, ...
(bad lines: "bad", "0.bad", ...). Untyped columns are copied (discard_untyped drops them);
rename={OLD: NEW} renames (NEW: None drops OLD). hashlabel: None keeps the source's
(rehashing when that column is typed), '' for none, or a column to rehash on.
timezone: datetimes are read in that zone and stored as UTC. numeric_comma: 3,14 is a float.
'''

options = {
    'column2type': {str: str},
    'timezone': str,
    'hashlabel': str,           # None: as the source; '': no hashlabel; or a column
    'defaults': {},             # {COLUMN: value for what does not convert}
    'rename': {},               # {OLD: NEW}, NEW None discards OLD
    'caption': 'typed dataset',
    'discard_untyped': bool,
    'filter_bad': False,
    'numeric_comma': False,
    'length': -1,
    'chain_slices': False,      # accepted for Accelerator build scripts; not used
    'compression': 6,           # accepted for Accelerator build scripts; not used
}

datasets = ('source', 'previous',)


def _err(msg):
    from accel.errors import UserError

    return UserError(f"dataset_type: {msg}")


def _plan_one(source, conv_of, defaults):
    """What one output dataset holds: {out name: (source column, converter | None, type,
    none_support)}, the typed columns, and the hashlabel."""
    from . import _dsio

    info = _dsio.column_info(source)
    src_name = _dsio.ds_name(source)
    rename = dict(options.rename)
    for old, new in rename.items():
        if new is not None and not isinstance(new, str):
            raise _err(f"option rename[{old!r}]: expected a column name or None, got {new!r}")
    renamed_to = {new: old for old, new in rename.items() if new is not None and old in info}
    dups = [n for n in renamed_to if list(rename.values()).count(n) > 1]
    if dups:
        raise _err(f"option rename: several columns are renamed to {dups[0]!r}")
    columns = {}
    typed = {}
    for out_name, conv in conv_of.items():
        src_col = renamed_to.get(out_name, out_name)
        if src_col not in info:
            raise _err(f"column2type: dataset {src_name} has no column {src_col!r}"
                       f" (it has: {', '.join(map(repr, info))})")
        ci = info[src_col]
        if ci.type not in _dsio.TEXT_TYPES:
            raise _err(f"column2type: column {src_col!r} of {src_name} is {ci.type}; only"
                       " bytes, ascii and unicode columns can be typed")
        none_support = (conv.none_from_empty or ci.none_support or conv.out_type == 'json'
                        or (out_name in defaults and defaults[out_name] is None))
        typed[out_name] = (src_col, conv, conv.out_type, none_support)
    if not options.discard_untyped:
        for name, ci in info.items():
            out_name = rename.get(name, name) if name in rename else name
            if out_name is None or out_name in typed:
                continue
            if name not in rename and name in renamed_to:
                continue    # shadowed by a column renamed to this name
            columns[out_name] = (name, None, ci.type, ci.none_support)
    # typed columns where their source column was, the rest after
    order = []
    for name in info:
        out = rename.get(name, name) if name in rename else name
        if out in typed and out not in order:
            order.append(out)
        if out in columns and out not in order:
            order.append(out)
    for out in list(typed) + list(columns):
        if out not in order:
            order.append(out)
    merged = {n: typed.get(n) or columns[n] for n in order}
    typed = {n: typed[n] for n in order if n in typed}
    if options.hashlabel is None:
        hl = source.hashlabel
        hl_out = rename.get(hl, hl) if hl in rename else hl
        if hl_out is not None and hl_out not in merged:
            hl_out = None
        rehash = hl_out is not None and hl_out in typed
    else:
        hl_out = options.hashlabel or None
        if hl_out is not None and hl_out not in merged:
            raise _err(f"hashlabel {hl_out!r} is not a column of the result"
                       f" (columns: {', '.join(map(repr, merged))})")
        rehash = hl_out is not None
    if rehash and merged[hl_out][2] in _dsio.OBJECT_TYPES:
        raise _err(f"cannot hash on column {hl_out!r} of type {merged[hl_out][2]}")
    # Untyped columns need no copy when the result can be a child of the source (same
    # lines in the same slices, same names): it then holds only the typed columns.
    untyped = [n for n in merged if n not in typed]
    as_child = (not options.filter_bad and not rehash and not options.discard_untyped
                and hl_out == source.hashlabel
                and not any(k in info for k in rename)
                and all(merged[n][0] == n for n in untyped))
    if as_child:
        merged = {n: merged[n] for n in typed}
    return dict(columns=merged, typed=list(typed), hashlabel=hl_out, rehash=rehash,
                parent=source if as_child else None)


def _default_value(col, conv, value):
    """defaults[col] as a value of the column's type."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return conv.py(value.encode('utf-8'))
        except (ValueError, OverflowError) as e:
            raise _err(f"defaults[{col!r}]: {value!r} is not a {conv.name} value ({e})")
    return value


def prepare(job, slices):
    from accel.dotdict import DotDict

    from . import _dsio, _typeconv

    if not datasets.source:
        raise _err("no source dataset given")
    if not options.column2type:
        raise _err("column2type is empty: give {column: type}")
    conv_of = {}
    for col, typename in options.column2type.items():
        try:
            conv_of[col] = _typeconv.get(typename, options.timezone, options.numeric_comma)
        except _typeconv.TypeNameError as e:
            raise _err(f"column2type[{col!r}]: {e}")
    for col in options.defaults:
        if col not in conv_of:
            raise _err(f"defaults[{col!r}]: {col!r} is not in column2type")
    defaults = {col: _default_value(col, conv_of[col], v) for col, v in options.defaults.items()}
    stop = _dsio.previous_source(datasets.previous)
    chain = _dsio.dataset_chain(datasets.source, stop, options.length)
    if not chain:
        raise _err(f"nothing to do: {_dsio.ds_name(datasets.source)} is where the previous"
                   " job's chain ended")
    plans = []
    previous = datasets.previous
    for ix, ds in enumerate(chain):
        last = ix == len(chain) - 1
        plan = _plan_one(ds, conv_of, defaults)
        plan['name'] = 'default' if last else str(ix)
        plan['bad_name'] = 'bad' if last else f'{ix}.bad'
        plan['previous'] = previous
        plan['caption'] = options.caption
        cols = {n: (t, ns) for n, (_, _, t, ns) in plan['columns'].items()}
        plan['dw'] = None
        if not plan['rehash']:
            plan['dw'] = _dsio.make_writer(job, plan['name'], cols, hashlabel=plan['hashlabel'],
                                           previous=previous, caption=options.caption,
                                           parent=plan['parent'])
        plan['bad_dw'] = None
        if options.filter_bad:
            info = _dsio.column_info(ds)
            bad_cols = {n: (info[plan['columns'][n][0]].type, info[plan['columns'][n][0]].none_support)
                        for n in plan['typed']}
            plan['bad_dw'] = _dsio.make_writer(job, plan['bad_name'], bad_cols,
                                               caption=f'lines {options.caption} could not convert')
        previous = plan['dw'] or f'{job}/{plan["name"]}'
        plans.append(plan)
    return DotDict(chain=chain, plans=plans, defaults=defaults)


def _show(v):
    text = repr(v)
    return text if len(text) < 80 else text[:77] + '...'


def analysis(sliceno, slices, job, prepare_res):
    import numpy as np
    import pyarrow.compute as pc

    from accel.dataset.arrowbuffers import arrow_of
    from accel.dataset.arrowvalues import scalar

    from . import _dsio, _typeconv

    p = prepare_res
    stats = []
    for ix, (ds, plan) in enumerate(zip(p.chain, p.plans, strict=True)):
        st = dict(lines=0, bad=0, defaulted={}, failed={})
        stats.append(st)
        info = _dsio.column_info(ds)
        n = _dsio.ds_lines(ds)[sliceno]
        if not n:
            continue
        wanted = list(dict.fromkeys(src for src, _, _, _ in plan['columns'].values()))
        src = _dsio.read_cols(ds, sliceno, wanted, info)
        out = {}
        bad = np.zeros(n, dtype=bool)
        first_bad = None
        for name, (src_col, conv, t, _none_support) in plan['columns'].items():
            if conv is None:
                out[name] = src[src_col]
                continue
            raw = _dsio.as_binary(src[src_col])
            values, ok, _ = _typeconv.convert(conv, raw)
            failed = ~ok
            if failed.any():
                if name in p.defaults:
                    st['defaulted'][name] = int(failed.sum())
                    dv = p.defaults[name]
                    if isinstance(values, np.ndarray):
                        values = values.copy()
                        values[failed] = dv
                    else:
                        target = _typeconv.arrow_out(t)
                        values = pc.if_else(arrow_of(failed), scalar(dv, target), values)
                else:
                    st['failed'][name] = int(failed.sum())
                    i = int(np.flatnonzero(failed)[0])
                    if first_bad is None:
                        first_bad = (name, src_col, raw[i].as_py(), i, conv.name,
                                     _typeconv.why_not(conv, raw[i].as_py()))
                    bad |= failed
            out[name] = values
        if bad.any():
            if not options.filter_bad:
                name, src_col, value, row, tn, why = first_bad
                total = int(bad.sum())
                raise _err(f"{_dsio.ds_name(ds)} column {src_col!r}: {_show(value)} is not"
                           f" {tn}{why} (slice {sliceno}, row {row}; {total} row"
                           f"{'s' if total != 1 else ''} of this slice"
                           f" {'do' if total != 1 else 'does'} not convert)."
                           f" Give defaults={{{name!r}: ...}} or filter_bad=True")
            badrows = {n: _dsio.col_filter(src[plan['columns'][n][0]], bad) for n in plan['typed']}
            _dsio.write_cols(plan['bad_dw'], badrows)
            good = ~bad
            out = {k: _dsio.col_filter(v, good) for k, v in out.items()}
            st['bad'] = int(bad.sum())
        st['lines'] = n - st['bad']
        if plan['rehash']:
            hl = plan['hashlabel']
            dest = _dsio.slice_of(out[hl], plan['columns'][hl][2], slices)
            _dsio.scatter(job, f'dataset_type-{ix}', sliceno, slices, out, dest)
        else:
            _dsio.write_cols(plan['dw'], out)
    return stats


def synthesis(job, slices, prepare_res, analysis_res):
    from accel.dotdict import DotDict
    from accel.words import plural

    from . import _dsio

    p = prepare_res
    per_slice = list(analysis_res)
    res = []
    for ix, (ds, plan) in enumerate(zip(p.chain, p.plans, strict=True)):
        if plan['rehash']:
            cols = {n: (t, ns) for n, (_, _, t, ns) in plan['columns'].items()}
            previous = plan['previous']
            if ix and p.plans[ix - 1].get('synth_dw') is not None:
                previous = p.plans[ix - 1]['synth_dw']
            dw = _dsio.make_writer(job, plan['name'], cols, hashlabel=plan['hashlabel'],
                                   previous=previous, caption=plan['caption'])
            plan['synth_dw'] = dw
            _dsio.gather(job, f'dataset_type-{ix}', slices, dw)
        sts = [s[ix] for s in per_slice]
        r = DotDict(source=_dsio.ds_name(ds), dataset=f'{job}/{plan["name"]}',
                    lines=sum(s['lines'] for s in sts), bad_lines=sum(s['bad'] for s in sts),
                    defaulted={}, bad={})
        for s in sts:
            for k, v in s['defaulted'].items():
                r.defaulted[k] = r.defaulted.get(k, 0) + v
            for k, v in s['failed'].items():
                r.bad[k] = r.bad.get(k, 0) + v
        msg = f"{r.source} -> {r.dataset}: {plural(r.lines, 'line')}"
        if r.bad_lines:
            msg += f", {r.bad_lines} bad (in {job}/{plan['bad_name']}: " + ", ".join(
                f"{k} {v}" for k, v in r.bad.items()) + ")"
        if r.defaulted:
            msg += ", defaulted: " + ", ".join(f"{k} {v}" for k, v in r.defaulted.items())
        print(msg)
        res.append(r)
    return res[-1] if len(res) == 1 else res
