from accel.options import OptionEnum

from . import a_csvimport

description = r'''
csvimport of each file in a zip file (a subjob each), linked into this job as datasets.

Takes every option csvimport takes (filename is the zip, relative to the input directory;
the rest apply to each file), and:

inside_filenames: {'name in the zip': 'dataset name'}, or empty to import every file
(directories are skipped) under its name made safe (characters other than letters,
digits, '.', '_' and '-' become '_'; a name already used gets '_' added). Where a name
occurs more than once in the zip, inside_filenames gets the first. include_re and
exclude_re (which wins) choose files by regular expression, searched for in the whole
name; not together with inside_filenames. strip_dirs: names without their directories
(a/b/c -> c) for naming and sorting, not for include_re/exclude_re.

chaining: off (each dataset has previous as its previous), on (by_dict with
inside_filenames, else by_ziporder), by_filename, by_dsname, by_dict (the order of
inside_filenames, which must be an OrderedDict for an order of its own), by_ziporder:
each dataset has the one before it as its previous, and the first has previous. When
chained, or when only one file is imported, the last dataset is also "default"; naming
another than the last "default" is an error, and (chained, without inside_filenames) a
file that would be named "default" is named "default_".

Each subjob imports a copy of its file named by its content (WORKDIR/.accel/zip-members/
SHA256-NAME, removed when the import is done): a file with the same bytes is the same
subjob, reused also by a later zip job, so a zip in which one file changed imports only
that file anew (and, chained, the files after it).
'''

_CSVIMPORT_OPTIONS = tuple(a_csvimport.options)   # what each subjob is given

options = dict(a_csvimport.options)
options.update(
    inside_filenames={},        # {'name in the zip': 'dataset name'}; empty: every file
    chaining=OptionEnum('off on by_filename by_dsname by_dict by_ziporder').on,
    include_re='',              # files to import: a regular expression searched for
    exclude_re='',              # files not to import (wins over include_re)
    strip_dirs=False,           # a/b/c is c for naming and sorting
)

datasets = ('previous',)

_SAFE = frozenset('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-')


def _err(msg):
    from accel.errors import UserError

    return UserError(f"csvimport_zip: {msg}")


def _regex(name):
    import re

    try:
        return re.compile(options[name]) if options[name] else None
    except re.error as e:
        raise _err(f"option {name}: {options[name]!r} is not a regular expression: {e}")


def _safe(name):
    return ''.join(c if c in _SAFE else '_' for c in name)


def _safe_name(name, used):
    name = _safe(name)
    if name == 'default' and options.chaining != 'off':
        name = 'default_'
    while name in used:
        name += '_'
    return name


def _members(path):
    """The files in the zip, in zip order: [(place in the zip, ZipInfo)] (the place, as a
    name may be there more than once)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except FileNotFoundError:
        from accel.view.text import no_such_file

        raise _err(no_such_file(path))
    except (zipfile.BadZipFile, IsADirectoryError, OSError) as e:
        raise _err(f"{path} is not a zip file that can be read: {e}")
    # directories: a name ending in '/', or the unix mode S_IFDIR
    return [(ix, i) for ix, i in enumerate(infos)
            if not i.is_dir() and not (i.external_attr >> 16) & 0o040000]


def _choose(members):
    """[(name in the zip, place in the zip, dataset name, name for sorting)] to import, in
    import order."""
    wanted = dict(options.inside_filenames)
    include, exclude = _regex('include_re'), _regex('exclude_re')
    if wanted and (include or exclude):
        raise _err("give inside_filenames or include_re/exclude_re, not both")
    chosen, used = [], set()
    for position, info in members:
        full = info.filename
        name = full.rsplit('/', 1)[-1] if options.strip_dirs else full
        if options.inside_filenames:
            if name in wanted:
                chosen.append((full, position, wanted.pop(name), name))
        elif (include is None or include.search(full)) and not (exclude and exclude.search(full)):
            dsname = _safe_name(name, used)
            used.add(dsname)
            chosen.append((full, position, dsname, name))
    if wanted:
        raise _err(f"{options.filename} has no {', '.join(map(repr, sorted(wanted)))}"
                   f"{' (strip_dirs=True: names without directories)' if options.strip_dirs else ''}")
    if not chosen:
        raise _err(f"{options.filename}: no files to import"
                   + (f" (include_re={options.include_re!r}, exclude_re={options.exclude_re!r})"
                      if include or exclude else " (the zip has no files)"))
    return _ordered(chosen)


def _ordered(chosen):
    chaining = options.chaining
    if chaining == 'by_filename':
        chosen.sort(key=lambda c: c[3])
    elif chaining == 'by_dsname':
        chosen.sort(key=lambda c: c[2])
    elif chaining == 'by_dict' or (chaining == 'on' and options.inside_filenames):
        if not options.inside_filenames:
            raise _err("chaining='by_dict' needs inside_filenames (an OrderedDict)")
        order = {dsname: ix for ix, dsname in enumerate(options.inside_filenames.values())}
        chosen.sort(key=lambda c: order[c[2]])
    if chaining != 'off' and 'default' in [c[2] for c in chosen[:-1]]:
        raise _err("when chaining, the dataset named 'default' must be the last one"
                   f" (order: {', '.join(c[2] for c in chosen)})")
    return [c[:3] for c in chosen]


def prepare(job):
    import os

    path = os.path.join(job.input_directory, options.filename)
    chosen = _choose(_members(path))
    return chosen, path


def synthesis(job, prepare_res):
    import zipfile

    from accel.errors import JobError
    from accel.subjobs import build
    from accel.words import plural

    from . import _dsio, _zipmembers

    chosen, path = prepare_res
    opts = {k: options[k] for k in _CSVIMPORT_OPTIONS}
    chained = options.chaining != 'off'
    start = datasets.previous or None
    prev_sub = prev_link = start
    folder = _zipmembers.folder_of(str(job.path))
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            for member, position, dsname in chosen:
                if position >= len(infos) or infos[position].filename != member:
                    raise _err(f"{path} changed while it was being imported")
                # a copy named by its bytes: the same bytes are the same subjob (reused,
                # by a later zip job too), and its name is there for the person reading
                try:
                    held = _zipmembers.extract(z, infos[position], folder,
                                               _safe(member.rsplit('/', 1)[-1])[:100])
                except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as e:
                    raise _err(f"{path}: cannot read {member!r} from it: {e}")
                shown = f"{options.filename}:{member}"
                try:
                    sub = build('csvimport', options=dict(opts, filename=held.path),
                                datasets=dict(previous=prev_sub),
                                caption=f"Import of {shown}").dataset()
                except JobError as e:
                    raise _err(f"importing {shown} failed: {e}") from None
                finally:
                    _zipmembers.release(held)
                link_previous = prev_link
                link = _dsio.make_writer(job, dsname, parent=sub, previous=link_previous,
                                         caption=sub.caption)
                if chained:
                    prev_sub, prev_link = sub, link
    finally:
        _zipmembers.sweep(folder)
    if (len(chosen) == 1 or chained) and dsname != 'default':
        _dsio.make_writer(job, 'default', parent=sub, previous=link_previous,
                          caption=sub.caption)
    print(f"{options.filename}: {plural(len(chosen), 'file')} imported"
          f" as {', '.join(repr(d) for _, _, d in chosen)}")
