"""PTB-XL report vocabulary as plain data: German / Swedish phrases -> English, and English words.

Built by reading the 732 original reports of the local PTB-XL copy (`report` column of
`ptbxl_database.csv`): German device statements (Schiller "CS-12" style: "sinusrhythmus periphere
niederspannung"), Swedish statements ("sinusrytm vänster el-axel"), free-text physician notes,
and English reports (kept as they are). Keys are written with their real umlauts; `reports.py`
folds keys and reports the same way (ä -> ae, ö -> oe, ü -> ue, å -> aa, "#" -> ue). Values that
are whole statements end with "." so that concatenated device statements become sentences.
English wording follows the English PTB-XL reports ("low limb lead voltage", "premature
ventricular contraction(s)") so that translated and English reports use one vocabulary.
"""

from __future__ import annotations

# fmt: off
GERMAN: dict[str, str] = {
    # rhythm
    "sinusrhythmus": "sinus rhythm.", "sinus arrhythmie": "sinus arrhythmia.",
    "sinusarrhythmie": "sinus arrhythmia.", "sinusbradykardie": "sinus bradycardia.",
    "sinusbrsadykardie": "sinus bradycardia.", "sinustachykardie": "sinus tachycardia.",
    "vorhofflimmern": "atrial fibrillation.",
    "vorhofflimmern/-flattern": "atrial fibrillation/flutter.",
    "tachykardes vorhofflimmern": "atrial fibrillation with rapid ventricular response.",
    "bradykardes vorhofflimmern": "atrial fibrillation with slow ventricular response.",
    "normokardes bis tachykardes vorhofflimmern":
        "atrial fibrillation with normal to rapid ventricular response.",
    "vorhofflattern": "atrial flutter", "2:1 überleitung bei vorhofflattern":
        "atrial flutter with 2:1 conduction", "überleitung": "conduction",
    "supraventrikuläre extrasystole(n)": "supraventricular premature beat(s).",
    "interponierte supraventrikuläre extrasystole(n)":
        "interpolated supraventricular premature beat(s).",
    "supraventrikuläre ersatzsystole(n)": "supraventricular escape beat(s).",
    "supraventrikuläre tachykardie": "supraventricular tachycardia.",
    "ventrikuläre extrasystole(n)": "premature ventricular contraction(s).",
    "interponierte ventrikuläre extrasystole(n)":
        "interpolated premature ventricular contraction(s).",
    "bigeminus": "bigeminy.", "trigeminus": "trigeminy.",
    "regelmässiger rhythmus, keine p-welle erkannt": "regular rhythm, no p wave detected.",
    "tachykardie": "tachycardia", "tachycardie": "tachycardia", "bradykardie": "bradycardia",
    # axis
    "linkstyp": "leftward axis.", "überdrehter linkstyp": "left axis deviation.",
    "rechtstyp": "rightward axis.", "überdrehter rechtstyp": "right axis deviation.",
    "lagetyp normal": "normal axis.", "lagetyp links": "leftward axis.",
    "lagetyp rechts": "rightward axis.", "lagetyp": "axis", "steillage": "vertical axis.",
    "steiltyp": "vertical axis.", "indiff. typ": "intermediate axis.", "llt": "leftward axis.",
    "indifferenztyp": "intermediate axis.",
    "schwierig bestimmbare qrs-achse": "indeterminate qrs axis.",
    # conduction
    "rechtsschenkelblock": "right bundle branch block.",
    "unvollständiger rechtsschenkelblock": "incomplete right bundle branch block.",
    "inkompletter rechtsschenkelblock": "incomplete right bundle branch block.",
    "vollständiger rechtsschenkelblock": "complete right bundle branch block.",
    "linksschenkelblock": "left bundle branch block.",
    "vollständiger linksschenkelblock": "complete left bundle branch block.",
    "vollständiger links schenkelblock": "complete left bundle branch block.",
    "unvollständiger linksschenkelblock": "incomplete left bundle branch block.",
    "linksanteriorer hemiblock": "left anterior fascicular block.",
    "lahb": "left anterior fascicular block.",
    "linksposteriorer hemiblock": "left posterior fascicular block.",
    "unspezifischer intraventrikulärer block": "non-specific intraventricular block.",
    "unspezifische intraventrikuläre leitungsstörung":
        "non-specific intraventricular conduction disturbance.",
    "intraventrikuläre leitungsstörung": "intraventricular conduction disturbance.",
    "intraventr.leistungsstörung": "intraventricular conduction disturbance",
    "a-v block i": "first degree av block.", "av-block 1.grades": "first degree av block.",
    "av-block i": "first degree av block.", "p-verbreiterung": "broad p wave.",
    "p-sinistrocardiale": "p sinistrocardiale (left atrial overload).",
    "verdacht auf": "suspected", "v.a.": "suspected", "vorhofsüberlastung links":
        "left atrial overload.", "vorhofsüberlastung rechts": "right atrial overload.",
    "vorhofsüberlastung": "atrial overload.", "qt-verlängerung": "prolonged qt.",
    "periphere niederspannung": "low limb lead voltage.", "niederspannung": "low voltage.",
    # hypertrophy
    "linkshypertrophie": "left ventricular hypertrophy.",
    "amplitudenkriterien für linkshypertrophie":
        "voltage criteria for left ventricular hypertrophy.",
    "mässige amplitudenkriterien für linkshypertrophie":
        "moderate voltage criteria for left ventricular hypertrophy.",
    "rechtshypertrophie": "right ventricular hypertrophy.",
    "kammerhypertrophie links": "left ventricular hypertrophy", "kammerhypertrophie":
        "ventricular hypertrophy",
    # qrs, st, t, infarction
    "qrs(t) abnormal": "abnormal qrs(t):", "qrs(t) abnorm": "abnormal qrs(t):",
    "t abnormal, wahrscheinlich": "abnormal t, probably",
    "st & t abnormal, wahrscheinlich": "abnormal st and t, probably",
    "unspezifisches abnormales t": "non-specific t wave abnormality.",
    "unspezifisches abnormes t": "non-specific t wave abnormality.",
    "inferiorer": "inferior", "anterolateraler": "anterolateral", "anteroseptaler": "anteroseptal",
    "septaler": "septal", "anteriorer": "anterior", "lateraler": "lateral",
    "posteriorer": "posterior", "infarkt": "infarction", "myokardschaden": "myocardial damage",
    "nicht auszuschliessen": "cannot be excluded.", "möglich": "possible.",
    "wahrscheinlich alt": ", probably old.", "alter unbest.": ", age undetermined.",
    "wahrscheinlich": "probably", "ischämie": "ischaemia", "oder": "or",
    "linksbelastung": "left ventricular strain", "anteriore": "anterior", "inferiore": "inferior",
    "anterolaterale": "anterolateral", "laterale": "lateral", "st-senkung": "st depression",
    "deszendierend": "downsloping", "st-hebung": "st elevation", "neg t": "negative t",
    "t neg": "negative t", "negativ": "negative", "neg": "negative",
    "t-veränderung": "t wave change", "t-veränderungen": "t wave changes",
    "t-wellenveränderungen": "t wave changes", "t flach": "flat t", "flach": "flat",
    "biphasisch": "biphasic", "hohe, spitze t": "tall, peaked t", "hohes t": "tall t",
    "t spitz zulaufend": "peaked t", "schlechte r-progression": "poor r wave progression",
    "fehlende r-progression": "absent r wave progression", "r-progression": "r wave progression",
    "r-s übergang in v ableitungen nach rechts verschoben":
        "r-s transition zone in v leads displaced to the right.",
    "r-s übergang in v ableitungen nach links verschoben":
        "r-s transition zone in v leads displaced to the left.",
    "über vorderwand": "over the anterior wall", "vorderwandaneurysma": "anterior wall aneurysm",
    "pathologische repolarisation": "abnormal repolarisation.",
    "unspez. myokardschädigung m. rep.störungen":
        "non-specific myocardial damage with repolarisation disturbances.",
    "grenzbefund": "borderline finding.", "pathologisch": "abnormal.", "pathol.": "abnormal",
    "path.ekg": "abnormal ecg.", "pathologisches ekg": "abnormal ecg.",
    "ekg pathologisch": "abnormal ecg.", "normales ekg": "normal ecg.",
    "sonst normales ekg": "otherwise normal ecg.", "ekg normal": "normal ecg.",
    "wahrscheinlich normales ekg": "probably normal ecg.", "ekg": "ecg",
    "subakuter": "subacute", "chron.": "chronic", "chronisch": "chronic", "chronischer": "chronic",
    "dd:": "differential diagnosis:", "sicher": "definite",
    # free-text clinical notes (function words, drugs, course)
    "und": "and", "über": "over", "bei": "with", "mit": "with", "nach": "after", "unter": "on",
    "jetzt": "now", "teilweise": "partly", "ca.": "approx.", "vorhof:hf": "atrial rate",
    "vorhof:": "atrial", "hf:": "rate", "hf": "heart rate", "etwas langsamer": "somewhat slower",
    "langsamer": "slower", "von": "from", "auf": "to", "sonst unverändert": "otherwise unchanged.",
    "unverändert": "unchanged", "sonst": "otherwise", "erneut": "again", "neu": "new",
    "danach": "afterwards", "anamnestisch": "by history", "kurzer": "brief",
    "schweissausbruch": "sweating", "puls": "pulse", "seither": "since then", "wider": "again",
    "wieder": "again", "hoher": "high", "um": "around", "dh.": "i.e.",
    "umgesprungen": "switched", "zweiter tag": "second day", "erfolgreiche": "successful",
    "kardioversion": "cardioversion", "stabil": "stable", "sr": "sinus rhythm", "für": "for",
    "rr": "blood pressure", "konstant": "constant", "chnidinspiegel": "quinidine level",
    "chinidinspiegel": "quinidine level", "digoxinspiegel": "digoxin level",
    "ergo:": "exercise test:", "ob": "unremarkable", "o.b.": "unremarkable",
    "insbes.": "in particular", "kein": "no", "keine": "no", "der": "the",
    "brustwand": "chest wall", "zusätzlich": "additionally", "qualität": "quality",
    "schlechte": "poor", "hebungen": "elevations", "links": "left", "rechts": "right",
    "isoptin": "verapamil", "cordichin": "quinidine-verapamil", "novodigal": "digoxin",
    "novod.": "digoxin", "tensobon": "captopril", "tromcardin": "potassium-magnesium",
    "ass": "aspirin", "amp": "ampoule", "2amp": "2 ampoules",
}

SWEDISH: dict[str, str] = {
    # rhythm
    "sinusrytm": "sinus rhythm.", "sinus arytmi": "sinus arrhythmia.",
    "sinusarytmi": "sinus arrhythmia.", "sinusbradykardi": "sinus bradycardia.",
    "sinustachykardi": "sinus tachycardia.", "sinustakykardi": "sinus tachycardia.",
    "förmaksflimmer": "atrial fibrillation.", "förmaksfladder": "atrial flutter.",
    "förmaksflimmer/-fladder": "atrial fibrillation/flutter.",
    "förmaksflimmer med hög kammarfrekvens": "atrial fibrillation with rapid ventricular response.",
    "förmaksflimmer med låg kammarfrekvens": "atrial fibrillation with slow ventricular response.",
    "ventrikulär(a) extrasystoli(er)": "premature ventricular contraction(s).",
    "supraventrikulär(a) extrasystoli(er)": "supraventricular premature beat(s).",
    "interpolerade supraventrikulär(a) extrasystoli(er)":
        "interpolated supraventricular premature beat(s).",
    "supraventrikulär(a) escape beat(s)": "supraventricular escape beat(s).",
    "supraventrikulär tachykardi": "supraventricular tachycardia.",
    "supraventrikulära extraslag": "supraventricular premature beats.",
    "ventrikulära extraslag": "ventricular premature beats.",
    "slag med avvikande impulsutbredning": "beats with aberrant conduction.",
    "regelbunden rytm, inga p-våg funna": "regular rhythm, no p waves found.",
    "pacemaker ekg": "pacemaker ecg.",
    # axis and conduction
    "vänster el-axel": "left axis deviation.", "extrem vänster el-axel":
        "extreme left axis deviation.", "höger el-axel": "right axis deviation.",
    "extrem höger el-axel": "extreme right axis deviation.",
    "svårbestämmbar el-axel": "indeterminate axis.", "el-axel": "axis",
    "ospecifikt skänkelblock": "non-specific intraventricular block.",
    "ospecifikt inkomplett skänkelblock": "non-specific incomplete intraventricular block.",
    "högersidigt skänkelblock": "right bundle branch block.",
    "inkomplett högersidigt skänkelblock": "incomplete right bundle branch block.",
    "inkomplett hgersidigt skänkelblock": "incomplete right bundle branch block.",
    "vänstersidigt skänkelblock": "left bundle branch block.",
    "inkomplett vänstersidigt skänkelblock": "incomplete left bundle branch block.",
    "vänster främre hemiblock": "left anterior fascicular block.",
    "vänster anteriort hemiblock": "left anterior fascicular block.",
    "vänster posteriort hemiblock": "left posterior fascicular block.",
    "bifascikulärt block": "bifascicular block.",
    "intraventrikulärt retledningshinder": "intraventricular conduction delay.",
    "överväg wpw syndrom typ b": "consider wpw syndrome type b.",
    "wpw syndrom, typ a": "wpw syndrome, type a.", "wpw syndrom": "wpw syndrome",
    "qt förlängd": "prolonged qt.", "p förlängd": "prolonged p wave.",
    "bröstavledningarnas r-s transition förskjuten åt höger":
        "r-s transition zone in chest leads displaced to the right.",
    "bröstavledningarnas r-s transition förskjuten åt vänster":
        "r-s transition zone in chest leads displaced to the left.",
    "låga qrs amplituder i extremitetsavledningarna": "low limb lead voltage.",
    # hypertrophy
    "vänster kammarhypertrofi": "left ventricular hypertrophy.",
    "misstänkt vänster kammarhypertrofi": "possible left ventricular hypertrophy.",
    "höger kammarhypertrofi": "right ventricular hypertrophy.",
    "måttliga amplitudkrit. för vänster kammarkhypertrofi":
        "moderate voltage criteria for left ventricular hypertrophy.",
    "måttliga amplitudkrit. för vänster kammarhypertrofi":
        "moderate voltage criteria for left ventricular hypertrophy.",
    "amplitudkriterier för vänster kammarhypertrofi":
        "voltage criteria for left ventricular hypertrophy.",
    "hypertrofi av vänster förmak": "left atrial enlargement.",
    "misstänkt hypertrofi av vänster förmak": "possible left atrial enlargement.",
    # qrs, st, t, infarction
    "avvikande qrs(t) förlopp": "abnormal qrs(t):", "hög lateral": "high lateral",
    "myokardskada": "myocardial damage", "myokardaffektion": "myocardial involvement",
    "myokard affektion": "myocardial involvement", "subendokardiell": "subendocardial",
    "ålder ej bestämmbar": ", age undetermined.", "sannolikt äldre": ", probably old.",
    "möjligen färsk": ", possibly recent.", "möjligen": "possibly",
    "bör övervägas": "should be considered.",
    "kan ej uteslutas": "cannot be excluded.", "st-t sänkning": "st-t depression",
    "st sänkning, möjligen orsakad av": "st depression, possibly caused by",
    "st sänkning": "st depression", "sänkning": "depression", "ischemi": "ischaemia",
    "eller": "or", "vänster belastning": "left ventricular strain",
    "vänster kammarbelastning": "left ventricular strain", "kammarbelastning": "ventricular strain",
    "såsom vid": "as in", "t-förändring": "t wave change",
    "ospecifik t-förändring": "non-specific t wave change.",
    "ospecifik st-förändring": "non-specific st change.",
    "ospecifik st-t förändring": "non-specific st-t change", "st-t förändring": "st-t change",
    "st-förändring": "st change", "höjning": "elevation", "anterolateralt": "anterolaterally",
    "inferolateralt": "inferolaterally", "lateralt": "laterally", "och": "and",
    "digitalis- påverkan": "digitalis effect", "digitalispåverkan": "digitalis effect",
    "flacka t-vågor": "flat t waves", "t-vågor": "t waves", "liten q-våg i": "small q wave in",
    "patologisk q-våg i": "pathological q wave in", "q-våg": "q wave",
    "inger misstanke på": "raises suspicion of", "gammal": "old", "misstänkt": "suspected",
    "normalt ekg": "normal ecg.", "eljest normalt ekg": "otherwise normal ecg.",
    "inget säkert patologiskt": "no definite pathology.",
    "inget säkert patologikst": "no definite pathology.",
    "oförändrat jmf med ekg": "unchanged compared with ecg",
    "ischemiförändringar som inte fanns på ekg": "ischaemic changes that were not present on ecg",
}

# Spelling slips inside otherwise English reports (applied to every language).
TYPO_FIXES: dict[str, str] = {
    "consistant": "consistent", "eff4ct": "effect", "v.p.c.s": "ventricular premature contractions",
    "st.t": "st-t",
}

# Administrative text that says nothing about the ECG (regular expressions on the folded text).
BOILERPLATE: tuple[str, ...] = (
    r"edit:.*$",  # annotator's later edit note with SCP codes ("Edit: NORM 100, (NORM 100)")
    # device code + "unconfirmed report" ("4.46 unconfirmed report", "unbestätigter bericht")
    r"(?:\d+\.\d+\s*)?(?:unbestaetigter bericht|unconfirmed report)\.?",
    r"trace only requested\.?", r"pat\. uppgifter saknas!?",
)

# Words of the English reports (plus SCP statement wording) that pass through unchanged.
ENGLISH_WORDS: frozenset[str] = frozenset("""
a abnormal abnormality absence absent accord acute age an and anterior anterolateral anteroseptal
are arrhythmia artifact at atrial av axis basically be beat beat(s) beats bifascicular bigeminal
bigeminy block borderline bpm bradycardia branch bundle but cannot cardioversion cause causes
changed changes
chest chronic clinically coarse commonly compared complete complex complexes conduction consider
consistent contraction contraction(s) contractions controlled could damage deep definite degree
delay
depressed depression derives deviation diagnostic difficult diffuse digitalis digoxin
disease displaced disturbance doubtful drug due early ecg effect effects electrolyte elevated
elevation enlargement entirely escape evidence evident except exclude excluded fascicular
fibrillation fibrillation/flutter findings first flat flattening flutter focus for frequent from
generally gross have heart hemiblock high however hypertrophy hypokalaemia if in include
incomplete indicate indicated indicating infarct infarction infarcts inferior inferolateral
interchange interval intraventricular inversion inverted is ischaemia ischaemic ischemia
ischemic it junctional lateral lead leads left leftward likely limb limit low lv lvh marked
markedly may minor minute mitral more moreover most much myocardial narrow no non non-diagnostic
non-specific nonspecific normal not now of old only or otherwise out pacemaker pathology pattern
per pericarditis persists poor possibility possible possibly posterior pr premature present
previous previously probable probably progression prolongation prolonged q qrs qrs(t) qs qt r
r-s rapid rate rather recent recurrence reflect regular remains repeat resolved respiratory
response rhythm right rightward rule runs second segment segments septal show shows
significance significantly similar sinus slight slightly slow small some st st-t strain
subendocardial suggest suggesting suggestive suggests superior supraventricular suspicious t tall
tachycardia terminal than that the there these third this three throughout tiny to toxicity
tracing tracings transition trigeminy type uncertain unlikely up upper v valve variant
ventricular very voltage voltages was watt wave waves when which widespread with would wpw zone
mg
""".split())
# fmt: on

# Wording for generated reports where scp_statements.csv's `description` is not report-like.
DESCRIPTION_OVERRIDES: dict[str, str] = {
    "EL": "electrolyte disturbance or drug effect",
    "BIGU": "bigeminal pattern",
    "TRIGU": "trigeminal pattern",
    "WPW": "wolff-parkinson-white syndrome",
    "DIG": "digitalis effect",
    "LNGQT": "long qt interval",
    "IVCD": "non-specific intraventricular conduction disturbance",
}

# MERL subclass / superclass names that are not SCP codes themselves (records with labels only).
CLASS_DESCRIPTIONS: dict[str, str] = {
    "LAFB/LPFB": "left anterior or left posterior fascicular block",
    "AVB": "atrioventricular block",
    "ISCA": "ischemic in anterior leads",
    "ISCI": "ischemic in inferior leads",
    "STTC": "st-t changes",
    "MI": "myocardial infarction",
    "CD": "conduction disturbance",
    "HYP": "hypertrophy",
}
