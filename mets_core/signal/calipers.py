"""Calipers: an interval measured by hand between two points a clinician clicks on the tracing.

No Streamlit here: the signal view collects the clicks (plotly selection events) and keeps the
points in the session; this module turns two points into the reading (time in ms, the rate that
interval would mean if it is an RR, the amplitude difference in mV) and decides what a new click
does (first point, second point, or a new measurement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class CaliperPoint:
    """One clicked point: true time from the record start (s) and amplitude (mV) in `lead`."""

    t_s: float
    v_mv: float
    lead: str = ""


@dataclass(frozen=True)
class CaliperReading:
    """What two caliper points measure.

    Attributes:
        dt_ms: |t2 - t1| in ms.
        rate_bpm: 60000 / dt_ms, the rate if the interval is an RR (inf when dt_ms is 0).
        dv_mv: v2 - v1 in mV, second point (in time) minus the first.
    """

    dt_ms: float
    rate_bpm: float
    dv_mv: float

    def text(self) -> str:
        """One line for the tracing, e.g. "Δt 1080 ms (56 bpm as RR) · ΔV +0.12 mV"."""
        rate = f" ({self.rate_bpm:.0f} bpm as RR)" if math.isfinite(self.rate_bpm) else ""
        return f"Δt {self.dt_ms:.0f} ms{rate} · ΔV {self.dv_mv:+.2f} mV"


def read_calipers(first: CaliperPoint, second: CaliperPoint) -> CaliperReading:
    """Time, rate and amplitude between two points, in time order.

    Args:
        first, second: the two clicked points (either order).

    Returns:
        The reading; `dv_mv` is the later point minus the earlier one.

    Example:
        >>> read_calipers(CaliperPoint(1.0, 0.1), CaliperPoint(1.8, 1.1)).dt_ms
        800.0
    """
    early, late = sorted((first, second), key=lambda p: p.t_s)
    dt_ms = round((late.t_s - early.t_s) * 1000.0, 6)
    rate = 60000.0 / dt_ms if dt_ms > 0 else math.inf
    return CaliperReading(dt_ms=dt_ms, rate_bpm=rate, dv_mv=late.v_mv - early.v_mv)


def add_point(points: tuple[CaliperPoint, ...], new: CaliperPoint) -> tuple[CaliperPoint, ...]:
    """The caliper points after a click: first, then second; a third click starts a new pair.

    A click on another lead than the first point's also starts a new pair (an interval is read
    within one lead).
    """
    if len(points) == 1 and points[0].lead == new.lead:
        return (points[0], new)
    return (new,)


def snap_to_sample(
    signal_mv: npt.NDArray[np.floating], fs_hz: float, t_s: float, lead: str = ""
) -> CaliperPoint:
    """The sample nearest to `t_s` in one lead (T,) in mV, as a caliper point.

    Used where a click lands between drawn samples (plotly reports the nearest drawn one when
    the display skips samples); the point then sits on the recorded signal.
    """
    index = int(np.clip(round(t_s * fs_hz), 0, len(signal_mv) - 1))
    return CaliperPoint(index / float(fs_hz), float(signal_mv[index]), lead)
