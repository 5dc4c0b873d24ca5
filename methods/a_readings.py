import random

from . import weather

description = """Generate a year of daily temperature readings per weather station.

Each slice writes the stations it owns to its own file (readings.pickle.N), so the next
method can read them in parallel."""

options = dict(days=365, seed=1, stations=[str])


def prepare(options):
    stations = options.stations or list(weather.STATIONS)
    unknown = sorted(set(stations) - set(weather.STATIONS))
    if unknown:
        raise ValueError(f"unknown stations {unknown}; known: {', '.join(weather.STATIONS)}")
    return stations


def analysis(sliceno, slices, job, options, prepare_res):
    rows = []
    for station in prepare_res[sliceno::slices]:
        index = weather.STATIONS.index(station)
        rng = random.Random(f"{options.seed}-{station}")
        rows += [(station, day, weather.reading(rng, index, day)) for day in range(options.days)]
    job.save(rows, "readings.pickle", sliceno=sliceno)
    return len(rows)


def synthesis(analysis_res, prepare_res):
    total = sum(analysis_res)
    print(f"{total} readings from {len(prepare_res)} stations")
    return dict(readings=total, stations=prepare_res)
