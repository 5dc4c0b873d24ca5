"""Helpers shared by the example methods. Editing this file rebuilds every method that
imports it -- accel follows project imports when it hashes a method's source."""

from __future__ import annotations

import math
import random

STATIONS = ("Abisko", "Bergen", "Cork", "Delft", "Erfurt", "Faro")


def reading(rng: random.Random, station: int, day: int) -> float:
    """A plausible daily temperature: a seasonal curve per station, plus noise."""
    base = 4.0 + 2.5 * station
    season = -9.0 * math.cos(2 * math.pi * (day - 15) / 365)
    return round(base + season + rng.gauss(0, 3.0), 1)


def bucket(celsius: float, width: float = 5.0) -> float:
    """The lower edge of the histogram bucket a temperature falls in."""
    return math.floor(celsius / width) * width
