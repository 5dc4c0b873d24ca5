import csv
import random

from . import weather

description = """Generate daily temperature readings per weather station as a CSV file.

The file (readings.csv: station, day, celsius) is what the rest of the pipeline imports,
as it would import a file from outside."""

options = dict(days=365, seed=1, stations=[str])


def synthesis(job, options):
    stations = options.stations or list(weather.STATIONS)
    unknown = sorted(set(stations) - set(weather.STATIONS))
    if unknown:
        raise ValueError(f"unknown stations {unknown}; known: {', '.join(weather.STATIONS)}")
    rows = 0
    with job.open("readings.csv", "w") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["station", "day", "celsius"])
        for station in stations:
            index = weather.STATIONS.index(station)
            rng = random.Random(f"{options.seed}-{station}")
            for day in range(options.days):
                out.writerow([station, day, weather.reading(rng, index, day)])
                rows += 1
    print(f"{rows} readings from {len(stations)} stations")
    return dict(readings=rows, stations=stations)
