"""Training smoke tests on synthetic data: one process, resume, and two DDP processes (gloo)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from mets_core.model.load import load_model
from mets_core.train.loop import TrainConfig, lr_for_epoch, main

SMALL = ["--stage-widths", "8,16,16,32", "--batch-size", "8", "--device", "cpu"]


def _args(tmp_path, text_dir, *extra):
    return [
        "--synthetic",
        "32",
        "--out",
        str(tmp_path / "w"),
        "--text-model",
        str(text_dir),
        *SMALL,
        *extra,
    ]


def test_training_writes_a_loadable_trained_checkpoint(tmp_path, tiny_text_model_dir):
    assert main(_args(tmp_path, tiny_text_model_dir, "--steps", "2")) == 0
    model = load_model(tmp_path / "w", device="cpu")
    assert model.weights.trained
    assert model.weights.provenance["training_data"] == "synthetic"
    assert model.weights.provenance["command"].startswith("mets train --synthetic 32")
    assert model.module.encode_ecg(torch.randn(1, 12, 1000)).shape == (1, model.config.proj_dim)


def test_resume_continues_from_saved_state(tmp_path, tiny_text_model_dir):
    assert main(_args(tmp_path, tiny_text_model_dir, "--epochs", "1")) == 0
    resume = str(tmp_path / "w.resume.pt")
    assert main(_args(tmp_path, tiny_text_model_dir, "--epochs", "2", "--resume", resume)) == 0
    state = torch.load(resume, weights_only=True)["state"]
    assert state["epoch"] == 2 and len(state["history"]) == 2


def test_lr_schedule_holds_then_decays_to_one_percent_and_resumes_alike(
    tmp_path, tiny_text_model_dir
):
    constant = TrainConfig(epochs=12, lr=1e-3)
    assert {lr_for_epoch(constant, epoch) for epoch in range(12)} == {1e-3}
    cfg = TrainConfig(epochs=12, decay_epochs=5, lr=1e-3)
    rates = [lr_for_epoch(cfg, epoch) for epoch in range(12)]
    assert rates[:7] == [1e-3] * 7 and rates[-1] == pytest.approx(1e-5)
    assert all(later < earlier for earlier, later in zip(rates[6:-1], rates[7:], strict=True))
    args = _args(tmp_path, tiny_text_model_dir, "--epochs", "3", "--decay-epochs", "2")
    assert main(args) == 0
    history = torch.load(tmp_path / "w.resume.pt", weights_only=True)["state"]["history"]
    assert [row["lr"] for row in history] == [
        lr_for_epoch(TrainConfig(epochs=3, decay_epochs=2), e) for e in range(3)
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_ddp_processes_end_with_identical_weights(tmp_path, tiny_text_model_dir):
    """torchrun-style env, two CPU ranks, gloo: DDP keeps the replicas in lockstep."""
    port, procs = _free_port(), []
    for rank in range(2):
        env = {
            **os.environ,
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "OMP_NUM_THREADS": "1",
        }
        argv = _args(
            tmp_path / f"out{rank}",
            tiny_text_model_dir,
            "--steps",
            "3",
            "--rank-state-dir",
            str(tmp_path / "ranks"),
        )
        code = f"import sys; from mets_core.train.loop import main; sys.exit(main({argv!r}))"
        procs.append(subprocess.Popen([sys.executable, "-c", code], env=env))
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    assert (tmp_path / "out0" / "w.safetensors").exists()
    assert not (tmp_path / "out1" / "w.safetensors").exists()  # only rank 0 writes weights
    first = load_file(tmp_path / "ranks" / "rank0.safetensors")
    second = load_file(tmp_path / "ranks" / "rank1.safetensors")
    assert first.keys() == second.keys()
    # Parameters are all-reduced every step; BatchNorm running statistics are buffers that DDP
    # broadcasts from rank 0 at each forward, so after the last step each rank holds its own.
    params = [k for k in first if not k.endswith(("running_mean", "running_var", "_tracked"))]
    assert len(params) > 10
    assert all(torch.equal(first[k], second[k]) for k in params)
    initial = load_model(
        random_init=True,
        device="cpu",
        config=load_model(tmp_path / "out0" / "w", device="cpu").config,
    ).module.trainable_state_dict()
    assert not torch.equal(initial["ecg_projection.weight"], first["ecg_projection.weight"])


def test_training_with_every_issue_13_lever_records_them(tmp_path, tiny_text_model_dir):
    extra = [
        "--steps",
        "2",
        "--augment",
        "robust",
        "--phrasings",
        "3",
        "--non-ecg-fraction",
        "0.25",
    ]
    assert main(_args(tmp_path, tiny_text_model_dir, *extra)) == 0
    provenance = load_model(tmp_path / "w", device="cpu").weights.provenance
    config = provenance["train_config"]
    assert (config["augment"], config["phrasings"], config["non_ecg_fraction"]) == (
        "robust",
        3,
        0.25,
    )
    assert provenance["n_distinct_reports"] > 4 + 10  # 4 synthetic reports, variants, negatives


def test_bad_lever_settings_are_refused(tmp_path, tiny_text_model_dir):
    for extra in (["--augment", "heavy"], ["--non-ecg-fraction", "0.9"], ["--phrasings", "-1"]):
        with pytest.raises(SystemExit):
            main(_args(tmp_path, tiny_text_model_dir, "--steps", "1", *extra))
