"""The METS model: ECG encoder (ResNet1d-18), frozen text encoder, projection heads and loss
(`ecg_encoder`, `text_encoder`, `mets`, `loss`), weights on disk (`checkpoint`), device choice
(`device`), and `load_model` with the encode functions the app and CLI use (`load`)."""
