"""Zero-shot reading: `rank` (cosines of an ECG against free-text candidates), the class wording
and prompt sets (`labels`, `prompts`, JSON files in `prompt_sets/`), which leads and seconds drove
an answer (`explain`), and controls without an ECG (`sanity`)."""
