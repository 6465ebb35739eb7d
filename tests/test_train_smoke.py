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
    bad = (["--augment", "heavy"], ["--non-ecg-fraction", "0.9"], ["--phrasings", "-1"])
    for extra in (*bad, ["--ema-decay", "1.0"]):
        with pytest.raises(SystemExit):
            main(_args(tmp_path, tiny_text_model_dir, "--steps", "1", *extra))


def test_ema_run_validates_and_saves_the_average_and_resumes_it(tmp_path, tiny_text_model_dir):
    args = _args(tmp_path, tiny_text_model_dir, "--epochs", "1", "--ema-decay", "0.5")
    assert main(args) == 0
    resume = str(tmp_path / "w.resume.pt")
    saved = torch.load(resume, weights_only=True)
    weights = load_file(tmp_path / "w.safetensors")
    key = "ecg_projection.weight"
    assert not torch.equal(saved["average"][key], saved["model"][key])  # it averaged something
    assert torch.equal(weights[key], saved["average"][key])  # ... and that is what was saved
    provenance = load_model(tmp_path / "w", device="cpu").weights.provenance
    assert provenance["train_config"]["ema_decay"] == 0.5 and "EMA" in provenance["selection"]
    assert main([*args[:-4], "--epochs", "2", "--ema-decay", "0.5", "--resume", resume]) == 0
    resumed = torch.load(resume, weights_only=True)
    assert resumed["state"]["epoch"] == 2
    assert not torch.equal(resumed["average"][key], saved["average"][key])


def test_weight_average_is_torch_ema_of_floats_and_copies_counters(tiny_config):
    from mets_core.train.averaging import WeightAverage

    model = load_model(random_init=True, config=tiny_config, device="cpu").module  # own copy
    average = WeightAverage(model, decay=0.75)
    before = {k: v.clone() for k, v in average.state_dict().items()}
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.add_(1.0)
        for name, buffer in model.named_buffers():
            if name.endswith("num_batches_tracked"):
                buffer.add_(7)
    average.update(model)
    after, current = average.state_dict(), model.trainable_state_dict()
    for key, value in after.items():
        if value.is_floating_point():
            torch.testing.assert_close(value, 0.75 * before[key] + 0.25 * current[key])
        else:
            assert torch.equal(value, current[key])
    assert average.model.text_encoder is model.text_encoder  # the frozen LM is shared, not copied
    with pytest.raises(ValueError):
        WeightAverage(model, decay=1.0)
