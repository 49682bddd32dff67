"""Latency recording: an HDR histogram for exact percentiles plus fixed Prometheus buckets."""

from __future__ import annotations

import sys
from bisect import bisect_left

from hdrh.histogram import HdrHistogram

# Prometheus bucket bounds in seconds, chosen around BFF budgets (100 ms .. 5 s).
BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)
_MAX_MICROS = 3_600_000_000  # one hour


class LatencyRecorder:
    """Microsecond-resolution HDR histogram (3 significant digits) of durations in seconds.

    `record` runs a dozen times per BFF request and hdrh's record_value is pure Python
    (~5 us, three method calls): the recorder computes the same counts index inline and
    tells the histogram its total, min and max only when it is read. tests/sim/
    test_latency_recorder.py checks every answer against hdrh's own record_value."""

    __slots__ = ("_buckets", "_counts", "_half", "_hdr", "_max", "_min", "_precision",
                 "count", "sum")

    def __init__(self) -> None:
        hdr = self._hdr = HdrHistogram(1, _MAX_MICROS, 3)
        if hdr.unit_magnitude != 0:  # the inline index below assumes a lowest value of 1
            raise AssertionError("LatencyRecorder expects unit_magnitude 0")
        self._counts = hdr.counts
        self._half = hdr.sub_bucket_half_count_magnitude  # values < 2**(half+1): exact
        self._precision = self._half + 1
        self._min = sys.maxsize
        self._max = 0
        self._buckets = [0] * (len(BUCKETS) + 1)
        self.count = 0
        self.sum = 0.0

    def record(self, seconds: float) -> None:
        micros = min(_MAX_MICROS, max(1, round(seconds * 1e6)))
        # hdrh's _counts_index_for(micros) with unit_magnitude 0, inline.
        bucket = micros.bit_length() - self._precision
        if bucket < 0:
            bucket = 0
        half = self._half
        self._counts[((bucket + 1) << half) + (micros >> bucket) - (1 << half)] += 1
        if micros > self._max:
            self._max = micros
        if micros < self._min:
            self._min = micros
        self._buckets[bisect_left(BUCKETS, seconds)] += 1
        self.count += 1
        self.sum += seconds

    def _histogram(self) -> HdrHistogram:
        hdr = self._hdr
        hdr.total_count, hdr.min_value, hdr.max_value = self.count, self._min, self._max
        return hdr

    def percentile(self, pct: float) -> float:
        """Seconds at the given percentile (0..100); 0.0 when empty."""
        if not self.count:
            return 0.0
        return float(self._histogram().get_value_at_percentile(pct)) / 1e6

    def max(self) -> float:
        return float(self._histogram().get_max_value()) / 1e6 if self.count else 0.0

    def cumulative_buckets(self) -> list[tuple[str, int]]:
        """(upper bound, cumulative count) pairs ending with +Inf, Prometheus style."""
        out: list[tuple[str, int]] = []
        running = 0
        for bound, count in zip(BUCKETS, self._buckets, strict=False):
            running += count
            out.append((repr(bound), running))
        out.append(("+Inf", self.count))
        return out

    def summary(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "mean": self.sum / self.count if self.count else 0.0,
            "p50": self.percentile(50),
            "p95": self.percentile(95),
            "p99": self.percentile(99),
            "max": self.max(),
        }
