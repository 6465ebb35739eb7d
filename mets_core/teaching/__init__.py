"""Teaching mode: a learner reads ECGs, commits an interpretation, then sees model and reference.

`deck` draws the cases (bundled examples and PTB-XL fold 10) with a seed, `scoring` reads the
learner's picks and free text as class codes and scores learner and model against the
reference labels, `lesson` keeps a session of N cases and its tally. No streamlit here: the app's
Teaching page gathers the answers and renders.
"""
