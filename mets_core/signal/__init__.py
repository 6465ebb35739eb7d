"""Signal processing: cleaning (`clean`), the single model input path (`preprocess`), lead quality
flags (`quality`), beats and their boundaries (`beats`), intervals and axes (`measurements`), and
the pairing of computed values with what the file states (`file_values`)."""
