"""accel.job: a job directory seen through its id, and the names users and pickles know.

Users import these names from here (`from accel.job import Job, NoJob, JobWithFile`), and
pickles name them here: each class says `accel.job` is its module, whichever module below
holds it, so a pickle names the path users know, and the modules below can move without
breaking a pickle a finished job wrote. One concern each:

  job.py       Job (reading a job directory) and JobWithFile (a file of one, as an option)
  nojob.py     NoJob, the job input that was not given
  current.py   CurrentJob, the running job that writes its own files; SavedFile
  named.py     NamedJobList, jobs in build order with the names they were built under
  filesums.py  the files a method wrote, their sizes and checksums (post.json), checked on read
"""

from __future__ import annotations

from accel.job.current import CurrentJob, SavedFile
from accel.job.filesums import file_digest, file_sums, iter_user_files
from accel.job.job import Job, JobWithFile, result_link_path, sliced_name, to_dotdict
from accel.job.named import NamedJobList
from accel.job.nojob import NoJob

__all__ = ["Job", "NoJob", "CurrentJob", "JobWithFile", "SavedFile", "NamedJobList",
           "to_dotdict", "sliced_name", "result_link_path", "file_digest", "file_sums", "iter_user_files"]

for _cls in (Job, type(NoJob), CurrentJob, JobWithFile, SavedFile, NamedJobList):
    _cls.__module__ = __name__
del _cls
