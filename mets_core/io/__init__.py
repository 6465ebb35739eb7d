"""Reading ECG files: `load_record` (paths, bytes, uploads, zips), one reader per format in
`readers/`, and the bundled example records (`examples`)."""

from mets_core.io.load import load_record, load_record_from_uploads

__all__ = ["load_record", "load_record_from_uploads"]
