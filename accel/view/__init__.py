"""What the ax commands and `ax board` show, as plain data: jobs, datasets, urd lists and
methods read from the project and shaped into dicts, rows and texts.

No click and no presentation of its own: `accel.cli` renders this as text for a terminal,
`accel.board` as HTML, so the two never disagree and neither imports the other.

    text.py      times, durations, memory and "did you mean" as short text
    timetext.py  times and durations as people type them (--since 2h, ?since=2h)
    jobs.py      searching jobs (ax jobs), and the jobs running now (ax status)
    job.py       one job: its records, header, options, timings, files and output
    datasets.py  naming a job's dataset and describing one (ax ds)
    rows.py      a dataset's rows, read in order and formatted (ax cat)
    urd.py       the urd lists and their entries (ax urd)
    methods.py   the project's methods and one method's declarations (ax method)
"""
