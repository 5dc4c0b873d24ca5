"""The example pipeline: readings -> summary -> report, with the report linked into results/.

Run it with `ax run`; run it again and every job is reused. Change an option below, or
edit methods/weather.py, and see what rebuilds.
"""


def main(urd):
    urd.begin("weather")
    readings = urd.build("readings", days=365, seed=1)
    summary = urd.build("summary", readings=readings)
    report = urd.build("report", summary=summary, title="Temperature report, seed 1")
    urd.finish("weather")
    report.link_result("report.txt")
    print(f"report: results/report.txt (from {report})")
