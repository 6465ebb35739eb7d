"""Session-state and widget keys of the METS app (no streamlit import: tests and pages share them).

Session-state keys hold per-user data (records, rankings), never shared between users. Widget keys
are explicit so AppTest and Playwright can address the widgets.
"""

# --- session-state keys (per user, never shared) ---
KEY_RECORD = "mets.record"  # the ECGRecord in use
KEY_RECORD_LABEL = "mets.record_label"  # what the user loaded, e.g. "Example: normal ECG"
KEY_REFERENCE = "mets.reference"  # reference report/label of a dataset record, if known
KEY_RANKING = "mets.ranking"  # the last Ranking for KEY_RECORD
KEY_RANKING_SETTINGS = "mets.ranking_settings"  # candidates + template behind KEY_RANKING
KEY_SANITY = "mets.sanity"  # (id of the ranking checked, its sanity.ControlResult list)
KEY_IMPORTANCE = "mets.importance"  # ({lead: score change}, explain.TimeImportance) of the top
KEY_UPLOAD_SIGNATURE = "mets.upload_signature"  # file ids of the upload already read
KEY_UPLOAD_ERROR = "mets.upload_error"  # why the last upload could not be read
KEY_EXPLORE = "mets.explore"  # per-record predictions table of the explore page
KEY_EXPLORE_SOURCE = "mets.explore_source"  # where KEY_EXPLORE came from (folder or CSV)

# --- widget keys (explicit so AppTest and Playwright can address them) ---
W_EXAMPLE = "w.example"
W_LOAD_EXAMPLE = "w.load_example"
W_UPLOAD = "w.upload"
W_UPLOAD_FS = "w.upload_fs"
W_PRESET = "w.preset"
W_CANDIDATES = "w.candidates"
W_TEMPLATE = "w.template"
W_CENTER = "w.center"
W_RANK = "w.rank"
W_EXPLAIN = "w.explain"
W_LAYOUT = "w.layout"
W_SPEED = "w.speed"
W_GAIN = "w.gain"
W_TRACE = "w.trace"
W_POWERLINE = "w.powerline"
W_RPEAKS = "w.rpeaks"
W_CALIPER_LEAD = "w.caliper_lead"
W_DATA_DIR = "w.data_dir"
W_TASK = "w.task"
W_LOAD_RESULTS = "w.load_results"
W_OPEN_ID = "w.open_id"
W_MAX_RECORDS = "w.max_records"
W_RUN_SPLIT = "w.run_split"
W_RESULTS_CSV = "w.results_csv"
W_ONLY_WRONG = "w.only_wrong"
W_OPEN_RECORD = "w.open_record"
W_DATASET = "w.dataset"
W_MITBIH_DIR = "w.mitbih_dir"
W_BEATS_PER_CLASS = "w.beats_per_class"
W_SHOW_PATIENT = "w.show_patient"
W_MEDIAN_SOURCE = "w.median_source"
W_SANITY = "w.sanity"
