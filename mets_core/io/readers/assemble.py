"""Turn a reader's RawRecording into a validated ECGRecord: leads by name, mV, derived leads, order.

This is the one place where channel labels become standard lead names, so every format gets
the same rules: non-ECG channels dropped, duplicates resolved, units converted, flat leads
flagged, missing limb leads derived, rows put in `STANDARD_12_LEADS` order. The record leaves
carrying its device-calibration-pulse search (`signal.calibration`), run once here for everything
that reads it later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mets_core.errors import ECGInputError
from mets_core.io.readers.limb_leads import derive_limb_leads, missing_leads_note
from mets_core.io.readers.raw import RawMedianBeats, RawRecording
from mets_core.io.readers.units import scale_declared
from mets_core.leads import (
    EXPECTED_LEADS_TEXT,
    STANDARD_12_LEADS,
    inverted_lead_name,
    normalize_lead_name,
)
from mets_core.notes import warning
from mets_core.record import ECGRecord, FileMedianBeats, constant_leads, constant_leads_note
from mets_core.signal.calibration import with_calibration_pulses


@dataclass
class _LeadMap:
    rows: list[int] = field(default_factory=list)  # channel index per kept lead
    names: list[str] = field(default_factory=list)  # standard name per kept lead
    signs: list[float] = field(default_factory=list)  # -1 for inverted labels such as "-aVR"
    notes: list[str] = field(default_factory=list)


def _map_channels(labels: list[str]) -> _LeadMap:
    """Match channel labels to standard leads by name; first occurrence wins."""
    mapped, dropped = _LeadMap(), []
    first_label: dict[str, str] = {}
    for index, label in enumerate(labels):
        standard, sign = normalize_lead_name(label), 1.0
        if standard is None and inverted_lead_name(label):
            standard, sign = inverted_lead_name(label), -1.0
        if standard is None:
            dropped.append(str(label).strip() or f"(unnamed channel {index + 1})")
        elif standard in first_label:
            mapped.notes.append(
                f"lead {standard} appears more than once ({first_label[standard]}, "
                f"{label.strip()}); kept the first ({first_label[standard]})"
            )
        else:
            first_label[standard] = label.strip()
            mapped.rows.append(index)
            mapped.names.append(standard)
            mapped.signs.append(sign)
            mapped.notes.extend(_rename_note(label, standard, sign))
    if not mapped.rows:
        found = ", ".join(dropped) or "no named channels"
        raise ECGInputError(f"Expected leads {EXPECTED_LEADS_TEXT}; this record has {found}.")
    if dropped:
        mapped.notes.append(f"dropped channels that are not ECG leads: {', '.join(dropped)}")
    return mapped


def _rename_note(label: str, standard: str, sign: float) -> list[str]:
    if sign < 0:
        return [f"lead {label.strip()} was inverted to give {standard}"]
    if label.strip().lower() != standard.lower():
        return [f"read lead label {label.strip()} as {standard}"]
    return []


def _check_flat(signal: npt.NDArray[np.float64], names: list[str]) -> list[str]:
    """Raise if every lead is flat; return a note per flat lead otherwise."""
    flat = constant_leads(signal, names)
    if len(flat) == len(names):
        raise ECGInputError(
            f"Every lead is flat (constant value): {', '.join(names)}. The electrodes may have "
            "been disconnected, or the file holds no signal."
        )
    note = constant_leads_note(flat)
    return [note] if note else []


def build_median_beats(raw: RawMedianBeats) -> FileMedianBeats:
    """Map, convert and order a file's median beats by the same rules as its rhythm leads.

    Args:
        raw: the file's beats; `raw.signal` is (C, W).

    Returns:
        FileMedianBeats with signal (L, W) float32 in mV, leads in standard order.

    Raises:
        ECGInputError: no standard lead, a bad shape, or NaN/inf samples.
    """
    if raw.signal.ndim != 2 or raw.signal.shape[0] != len(raw.channel_names):
        raise ECGInputError(f"median beats of shape {raw.signal.shape} do not match their labels")
    mapped = _map_channels(raw.channel_names)
    signal = raw.signal[mapped.rows].astype(np.float64) * np.asarray(mapped.signs)[:, None]
    ECGRecord(signal, raw.fs_hz, tuple(mapped.names), raw.description).validate()
    signal, _ = scale_declared(signal, [raw.units[row] for row in mapped.rows], mapped.names)
    leads, derived, _ = derive_limb_leads(dict(zip(mapped.names, signal, strict=True)))
    order = [name for name in STANDARD_12_LEADS if name in leads]
    return FileMedianBeats(
        signal=np.stack([leads[name] for name in order]).astype(np.float32),
        fs_hz=float(raw.fs_hz),
        lead_names=tuple(order),
        description=raw.description,
        derived_leads=derived,
    )


def _file_median_beats(raw: RawRecording) -> tuple[FileMedianBeats | None, list[str]]:
    """The file's median beats and a note, or None and a note saying why they were left out."""
    if raw.median_beats is None:
        return None, []
    try:
        beats = build_median_beats(raw.median_beats)
    except ECGInputError as error:
        return None, [f"the median beats stored in the file were not used: {error}"]
    note = (
        f"the file also stores median beats ({beats.description}, {len(beats.lead_names)} "
        f"leads, {beats.duration_s * 1000:.0f} ms at {beats.fs_hz:g} Hz); shown separately, "
        "never used as the rhythm"
    )
    return beats, [note]


def build_record(raw: RawRecording) -> ECGRecord:
    """Map, convert, check and order a reader's channels into a validated ECGRecord.

    Args:
        raw: channels as read from a file; `raw.signal` is (C, T).

    Returns:
        ECGRecord with signal (L, T) float32 in mV, L <= 12 leads in standard order.

    Raises:
        ECGInputError: no standard lead, NaN/inf samples, every lead flat, a bad rate or shape.
    """
    if raw.signal.ndim != 2 or raw.signal.shape[0] != len(raw.channel_names):
        raise ECGInputError(
            f"Expected one row per channel ({len(raw.channel_names)} channels); found an "
            f"array of shape {raw.signal.shape}."
        )
    mapped = _map_channels(raw.channel_names)
    signs = np.asarray(mapped.signs)[:, None]
    signal = raw.signal[mapped.rows].astype(np.float64) * signs  # (L, T)
    ECGRecord(signal, raw.fs_hz, tuple(mapped.names), raw.source).validate()  # NaN/inf, rate
    units = [raw.units[row] for row in mapped.rows]
    signal, unit_notes = scale_declared(signal, units, mapped.names)
    flat_notes = _check_flat(signal, mapped.names)
    leads, derived, derived_note = derive_limb_leads(dict(zip(mapped.names, signal, strict=True)))
    order = [name for name in STANDARD_12_LEADS if name in leads]
    gap_note = missing_leads_note(order)
    notes = [*raw.notes, *mapped.notes, *unit_notes, *flat_notes]
    notes += [warning(note) for note in (derived_note, gap_note) if note]  # change the reading
    median_beats, median_notes = _file_median_beats(raw)
    record = ECGRecord(
        signal=np.stack([leads[name] for name in order]).astype(np.float32),
        fs_hz=float(raw.fs_hz),
        lead_names=tuple(order),
        source=raw.source,
        notes=tuple(notes + median_notes),
        derived_leads=derived,
        file_info=dict(raw.file_info),
        file_median_beats=median_beats,
        patient_fields=dict(raw.patient_fields),
    )
    return with_calibration_pulses(record.validate())
