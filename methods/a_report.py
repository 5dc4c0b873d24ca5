description = "A plain-text report of a summary job: a table and a histogram."

jobs = ("summary",)
options = dict(title="Temperature report", bar_width=40)


def synthesis(job, jobs, options):
    summary = jobs.summary.load()
    lines = [options.title, "=" * len(options.title), ""]
    lines.append(f"{'station':<10} {'mean':>7} {'low':>7} {'high':>7} {'days':>6}")
    for name, s in summary["stations"].items():
        lines.append(f"{name:<10} {s['mean']:>7.2f} {s['low']:>7.1f} {s['high']:>7.1f} {s['n']:>6}")
    table_end = len(lines)  # what the live output shows: the title and the whole table
    lines += ["", "histogram (degrees C)"]
    hist = summary["histogram"]
    most = max(hist.values())
    for edge, count in hist.items():
        bar = "#" * max(1, round(count / most * options.bar_width))
        lines.append(f"{edge:>6.0f} {count:>6} {bar}")
    with job.open("report.txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:table_end]))
    return dict(lines=len(lines), stations=len(summary["stations"]))
