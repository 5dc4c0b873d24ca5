from collections import Counter

from . import weather

description = """Per-station statistics and a temperature histogram over a typed dataset
of readings (columns station: unicode, celsius: float64), in parallel slices."""

datasets = ("source",)
options = dict(bucket_width=5.0)


def analysis(sliceno, options):
    per_station = {}
    histogram = Counter()
    for station, celsius in datasets.source.iterate(sliceno, ("station", "celsius")):
        s = per_station.setdefault(station, dict(n=0, total=0.0, low=celsius, high=celsius))
        s["n"] += 1
        s["total"] += celsius
        s["low"] = min(s["low"], celsius)
        s["high"] = max(s["high"], celsius)
        histogram[weather.bucket(celsius, options.bucket_width)] += 1
    return per_station, histogram


def synthesis(analysis_res):
    # merge_auto() would add the slices' lows and highs together: merge by hand
    merged, histogram = {}, Counter()
    for per_station, slice_histogram in analysis_res:
        histogram += slice_histogram
        for name, s in per_station.items():
            m = merged.setdefault(name, dict(n=0, total=0.0, low=s["low"], high=s["high"]))
            m["n"] += s["n"]
            m["total"] += s["total"]
            m["low"] = min(m["low"], s["low"])
            m["high"] = max(m["high"], s["high"])
    stats = {
        name: dict(mean=round(s["total"] / s["n"], 2), low=s["low"], high=s["high"], n=s["n"])
        for name, s in sorted(merged.items())
    }
    return dict(stations=stats, histogram=dict(sorted(histogram.items())))
