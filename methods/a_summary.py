from collections import Counter

from . import weather

description = "Per-station statistics and a temperature histogram over all readings."

jobs = ("readings",)
options = dict(bucket_width=5.0)


def analysis(sliceno, jobs, options):
    per_station = {}
    histogram = Counter()
    for station, _day, celsius in jobs.readings.load("readings.pickle", sliceno=sliceno):
        s = per_station.setdefault(station, dict(n=0, total=0.0, low=celsius, high=celsius))
        s["n"] += 1
        s["total"] += celsius
        s["low"] = min(s["low"], celsius)
        s["high"] = max(s["high"], celsius)
        histogram[weather.bucket(celsius, options.bucket_width)] += 1
    return per_station, histogram


def synthesis(analysis_res):
    per_station, histogram = analysis_res.merge_auto()
    stats = {
        name: dict(mean=round(s["total"] / s["n"], 2), low=s["low"], high=s["high"], n=s["n"])
        for name, s in sorted(per_station.items())
    }
    return dict(stations=stats, histogram=dict(sorted(histogram.items())))
