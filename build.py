"""The example pipeline: generate a CSV of readings, import it, type it, summarise it,
and write a report, linked into results/.

Run it with `ax run`; run it again and every job is reused. Change an option below, or
edit methods/weather.py, and see what rebuilds. Look at the data with
`ax ds dataset_type` and `ax cat dataset_type --head 5`.
"""


def main(urd):
    urd.begin("weather")
    readings = urd.build("readings", days=365, seed=1)
    imported = urd.build("csvimport", filename=readings.filename("readings.csv"))
    typed = urd.build("dataset_type", source=imported,
                      column2type=dict(station="unicode:utf-8", day="int32_10",
                                       celsius="float64"))
    summary = urd.build("summary", source=typed)
    report = urd.build("report", summary=summary, title="Temperature report, seed 1")
    urd.finish("weather")
    report.link_result("report.txt")
    print(f"report: results/report.txt (from {report})")
