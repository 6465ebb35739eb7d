"""SCP-ECG header and report sections: 1 (tagged header), 7 (global measurements) and 8 (textual
diagnosis), turned into `file_info` (device, acquisition, measurements, statements) and
`patient_fields` (name, patient ID, birth date, sex, age: kept apart, never in file_info).

Section 1 is a list of (tag 1 byte, length 2, value) ending with tag 255. Section 7 starts with
the number of measurement blocks, the pacemaker spike count and the mean RR and PP intervals,
then 16 bytes per reference beat type (P on/off, QRS on/off, T off in ms from the beat start,
then P, QRS and T axes in degrees), spikes, QRS types, and rate and QTc. 29999 means "not
computed" and 29998 "rejected" throughout.
"""

from __future__ import annotations

import struct

_NO_VALUE = {29998, 29999, 0xFFFF}
_SEX = {1: "male", 2: "female"}
_AGE_UNITS = {1: "years", 2: "months", 3: "weeks", 4: "days", 5: "hours"}
_MAINS = {1: "50 Hz", 2: "60 Hz"}


def _text(value: bytes) -> str:
    """A null-terminated string as stored (Latin-1 covers the standard's ASCII and more)."""
    return value.split(b"\x00", 1)[0].decode("latin-1").strip()


def read_tags(body: bytes) -> dict[int, bytes]:
    """Section 1 tags as {tag: value bytes}; the first occurrence of a tag wins."""
    tags: dict[int, bytes] = {}
    offset = 0
    while offset + 3 <= len(body):
        tag, length = body[offset], struct.unpack_from("<H", body, offset + 1)[0]
        if tag == 255:
            break
        tags.setdefault(tag, body[offset + 3 : offset + 3 + length])
        offset += 3 + length
    return tags


def _date(value: bytes | None) -> str:
    if value is None or len(value) < 4:
        return ""
    year, month, day = struct.unpack_from("<HBB", value, 0)
    return f"{year:04d}-{month:02d}-{day:02d}" if year and month and day else ""


def patient_fields(tags: dict[int, bytes]) -> dict[str, str]:
    """Name (0, 1), patient ID (2), age (4), birth date (5), sex (8), acquisition date (25, 26).

    The acquisition date and time are kept here, hidden with the identifiers, because a date of
    service identifies a patient as much as a birth date does.
    """
    last, first = _text(tags.get(0, b"")), _text(tags.get(1, b""))
    age = ""
    if len(tags.get(4, b"")) >= 3:
        years, unit = struct.unpack_from("<HB", tags[4], 0)
        age = f"{years} {_AGE_UNITS[unit]}" if years and unit in _AGE_UNITS else ""
    fields = {
        "name": ", ".join(part for part in (last, first) if part),
        "patient ID": _text(tags.get(2, b"")),
        "birth date": _date(tags.get(5)),
        "sex": _SEX.get(tags.get(8, b"\x00")[0] if tags.get(8) else 0, ""),
        "age": age,
        "acquired": _acquired(tags),
    }
    return {key: value for key, value in fields.items() if value}


def _acquired(tags: dict[int, bytes]) -> str:
    date, time = _date(tags.get(25)), tags.get(26, b"")
    clock = ":".join(f"{part:02d}" for part in time[:3]) if len(time) >= 3 else ""
    return f"{date} {clock}".strip() if date else ""


def _device(value: bytes) -> dict[str, str]:
    """Tag 14 (acquiring device): model at bytes 8-13, mains at 18, strings after byte 35."""
    info: dict[str, str] = {}
    if len(value) < 36:
        return info
    model, mains = _text(value[8:14]), _MAINS.get(value[18])
    strings = [_text(part) for part in value[36 + value[35] :].split(b"\x00")]
    software = _text(value[36 : 36 + value[35]])
    named = dict(zip(("serial", "system", "scp", "manufacturer"), strings, strict=False))
    maker = named.get("manufacturer", "")
    device = " ".join(part for part in (maker, model) if part and part.lower() != "unknown")
    if device:
        info["device"] = device
    for label, text in (("analysis software", software), ("device software", named.get("system"))):
        if text and text.lower() != "unknown":
            info[label] = text
    if mains:
        info["mains frequency"] = mains
    return info


def device_info(tags: dict[int, bytes]) -> dict[str, str]:
    """Device and filters from section 1 (no patient data, no acquisition date)."""
    info = _device(tags.get(14, b""))
    if len(tags.get(27, b"")) >= 2 and struct.unpack_from("<H", tags[27])[0]:
        info["high-pass filter (Hz)"] = f"{struct.unpack_from('<H', tags[27])[0] / 100:g}"
    if len(tags.get(28, b"")) >= 2 and struct.unpack_from("<H", tags[28])[0]:
        info["low-pass filter (Hz)"] = str(struct.unpack_from("<H", tags[28])[0])
    return info


def _stated(value: int) -> bool:
    return value not in _NO_VALUE


def global_measurements(body: bytes) -> dict[str, str]:
    """Section 7: rate, RR/PP, PR, QRS, QT, QTc and axes of reference beat type 0, as stated."""
    info: dict[str, str] = {}
    if len(body) < 6:
        return info
    blocks, spikes, rr_ms, pp_ms = struct.unpack_from("<BBHH", body, 0)
    for label, value in (("RR interval (ms)", rr_ms), ("PP interval (ms)", pp_ms)):
        if _stated(value) and value:
            info[label] = str(value)
    if blocks and len(body) >= 22:
        p_on, p_off, qrs_on, qrs_off, t_off = struct.unpack_from("<5H", body, 6)
        intervals = (
            ("PR interval (ms)", p_on, qrs_on),
            ("QRS duration (ms)", qrs_on, qrs_off),
            ("QT interval (ms)", qrs_on, t_off),
        )
        for label, start, end in intervals:
            if _stated(start) and _stated(end) and end > start:
                info[label] = str(end - start)
        axes = struct.unpack_from("<3h", body, 16)
        for label, axis in zip(("P axis (°)", "QRS axis (°)", "T axis (°)"), axes, strict=True):
            if _stated(axis) and -180 <= axis <= 360:
                info[label] = str(axis)
    info.update(_rates(body, 6 + 16 * blocks + 10 * spikes))
    return info


def _rates(body: bytes, offset: int) -> dict[str, str]:
    """Ventricular rate, atrial rate and QTc after the QRS type list (version 2.0 on)."""
    if offset + 2 > len(body):
        return {}
    offset += 2 + struct.unpack_from("<H", body, offset)[0]  # one type byte per QRS
    if offset + 6 > len(body):
        return {}
    ventricular, atrial, qtc = struct.unpack_from("<3H", body, offset)
    labels = ("ventricular rate (bpm)", "atrial rate (bpm)", "QTc (ms)")
    return {
        label: str(value)
        for label, value in zip(labels, (ventricular, atrial, qtc), strict=True)
        if _stated(value) and value
    }


def statements(body: bytes) -> str:
    """Section 8: confirmation type, date, time, count, then (number, length, text) each."""
    if len(body) < 9:
        return ""
    count, offset, texts = body[8], 9, []
    for _ in range(count):
        if offset + 3 > len(body):
            break
        length = struct.unpack_from("<H", body, offset + 1)[0]
        texts.append(_text(body[offset + 3 : offset + 3 + length]))
        offset += 3 + length
    return "; ".join(text for text in texts if text)
