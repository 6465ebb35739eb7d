"""Dataset readers for training and evaluation (PTB-XL, MIT-BIH); the app never imports these.

Import the submodule you need, e.g. ``from mets_core.data.ptbxl import load_ptbxl_index``;
nothing is imported here so that one reader's dependencies do not load with another's.
"""
