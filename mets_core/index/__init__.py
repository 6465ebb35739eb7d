"""Search an ECG archive by text or by example: build an index of embeddings, then query it.

    from mets_core.index import build_index, open_index
    report = build_index(Path("../shared/data/ptb-xl/records100"), Path("runs/ptbxl.index"), model)
    index = open_index(Path("runs/ptbxl.index"), model)
    hits = index.search_text(model, "complete left bundle branch block", top=20)

Layout and columns: `format.py`; the local engine: `build.py`; the Ray engine: `ray_engine.py`;
exact cosine search over a memory-mapped float16 matrix: `search.py`.
"""
