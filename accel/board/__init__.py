"""`ax board`: a read-only web view of a project's jobs, datasets, urd lists and methods.

    data.py      what each page shows, gathered with accel.view (as the ax commands do)
    html.py      escaping and the few HTML pieces the pages are made of
    pages.py     data -> a Page: its HTML, and the same data as JSON
    files.py     a job's file, safely: nothing outside the job directory
    server.py    HTTP: routing, JSON or HTML, errors as pages

Only the standard library: http.server, one thread per request.
"""
