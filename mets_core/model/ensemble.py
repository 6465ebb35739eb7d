"""`mets ensemble`: join runs trained apart (seeds or recipes) into one servable model.

The result is an ordinary weights file (`members.<i>.` tensors of each run) whose config has
`ensemble_size` = the number of runs; `model.mets.METSEnsemble` serves it, and a cosine is the
mean of the runs' cosines. Nothing is trained or chosen here: which runs to join is decided on
fold 9 by comparing ensembles with `mets select` (`benchmarks/ablation.py` tabulates them), and
the new weights need their own fold-9 selection (`mets select --write`) and reference bank
(`mets bank`) before they serve, exactly as a trained run does.

    mets ensemble --members runs/base_s0/mets_resnet18 runs/base_s1/mets_resnet18 \
        runs/base_s2/mets_resnet18 --out weights/mets_resnet18_ens3
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from mets_core.config import METSConfig
from mets_core.data.ptbxl import TRAIN_FOLDS
from mets_core.errors import METSError, WeightsError
from mets_core.model.checkpoint import WeightsInfo, read_weights, save_weights

TRAINING_FOLDS = list(TRAIN_FOLDS)  # the only PTB-XL folds any run may have seen (as in provenance)
SHARED_PROVENANCE = ("training_data", "report_source", "machine", "torch")  # taken from run 1


def _comparable(config: METSConfig) -> METSConfig:
    """A member's config without what may differ between joined runs (the served template)."""
    return replace(config, zero_shot_template="{}")


def member_summary(stem: str | Path, info: WeightsInfo) -> dict:
    """What the ensemble's provenance records about one run."""
    provenance = info.provenance
    fold9 = info.selection.get("fold9_macro_auroc", {}).get(
        info.selection.get("zero_shot_template", ""), {}
    )
    return {
        "weights": str(stem),
        "sha256": info.sha256,
        "seed": provenance.get("seed"),
        "command": provenance.get("command"),
        "report_source": provenance.get("report_source"),
        "epochs_at_best": len(provenance.get("history") or []),
        "fold9_mean_macro_auroc": fold9.get("mean"),
        "history": provenance.get("history") or [],
    }


def build_ensemble(members: list[str | Path], out: str | Path, command: str) -> WeightsInfo:
    """Write `out` (.safetensors + .json) joining the trained runs `members`.

    Raises:
        WeightsError: fewer than two runs, an untrained or ensemble member, a member trained on
            anything but PTB-XL folds 1-8, or members whose architecture, preprocessing, text
            model or report text differ.
    """
    if len(members) < 2:
        raise WeightsError("An ensemble needs at least two trained runs (--members A B ...).")
    configs, states, infos = [], [], []
    for stem in members:
        config, state, info = read_weights(stem)
        if not info.trained:
            raise WeightsError(f"{stem} is not a trained run.")
        if config.ensemble_size != 1:
            raise WeightsError(f"{stem} is already an ensemble; join its runs directly.")
        if info.provenance.get("training_folds") != TRAINING_FOLDS:
            raise WeightsError(
                f"{stem} was not trained on PTB-XL folds 1-8 only "
                f"(training_folds {info.provenance.get('training_folds')})."
            )
        configs.append(config)
        states.append(state)
        infos.append(info)
    for stem, config, info in zip(members[1:], configs[1:], infos[1:], strict=True):
        if _comparable(config) != _comparable(configs[0]):
            raise WeightsError(
                f"{stem} differs from {members[0]} in architecture, preprocessing or text model."
            )
        source, first_source = (i.provenance.get("report_source") for i in (info, infos[0]))
        if source != first_source:
            raise WeightsError(
                f"{stem} learned from {source} reports, {members[0]} from {first_source}: "
                "join runs with the same report text."
            )
    config = replace(_comparable(configs[0]), ensemble_size=len(members))
    state = {
        f"members.{i}.{key}": value
        for i, member in enumerate(states)
        for key, value in member.items()
    }
    first = infos[0].provenance
    provenance = {key: first.get(key) for key in SHARED_PROVENANCE}
    provenance |= {
        "trained": True,
        "kind": "ensemble",
        "command": command,
        "date": datetime.date.today().isoformat(),
        "training_folds": TRAINING_FOLDS,
        "seed": [info.provenance.get("seed") for info in infos],
        "n_train_pairs": first.get("n_train_pairs"),
        "selection": "runs joined as named; which ensemble serves is chosen on fold 9",
        "ensemble_of": [
            member_summary(stem, info) for stem, info in zip(members, infos, strict=True)
        ],
    }
    return save_weights(out, state, config, provenance)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mets ensemble", description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", nargs="+", required=True, help="weights stems of the runs")
    parser.add_argument("--out", required=True, help="output weights stem")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    try:
        info = build_ensemble(args.members, args.out, shlex.join(["mets", "ensemble", *argv]))
    except METSError as error:
        print(f"mets ensemble: {error}", file=sys.stderr)
        return 2
    print(f"wrote {info.path} (sha256 {info.sha256[:12]}), {len(args.members)} runs")
    print(
        f"next: mets select --weights {args.out} --write, then mets bank --weights {args.out} "
        "(fold-9 template, temperature, reference bank and abstain thresholds)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
