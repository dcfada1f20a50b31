"""`--profile turbo`: a few-step distilled LoRA in lightx2v's key format on the Wan clip model, 4 steps,
guidance off, recorded in the manifest; without the LoRA, a clear refusal before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
import safetensors.torch

from tests.fixtures.cli import CliRunner
from tests.fixtures.scripts import write_script
from videodrafter.config import Settings
from videodrafter.engines.random_lora import write_random_lightx2v_lora
from videodrafter.engines.random_weights import random_wan_i2v_pipeline
from videodrafter.errors import InputError
from videodrafter.graph.manifest import Manifest
from videodrafter.graph.runner import start_run
from videodrafter.run_inputs import check_choices, load_script_file


@pytest.fixture(scope="module")
def lora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_lightx2v_lora(random_wan_i2v_pipeline("tiny").transformer, tmp_path_factory.mktemp("lora") / "distill.safetensors")


def test_the_random_lora_has_the_lightx2v_key_format(lora: Path) -> None:
    keys = safetensors.torch.load_file(str(lora)).keys()
    assert "diffusion_model.blocks.0.self_attn.q.lora_down.weight" in keys and "diffusion_model.blocks.1.ffn.2.lora_up.weight" in keys
    assert "diffusion_model.blocks.0.cross_attn.o.alpha" in keys and all(key.startswith("diffusion_model.blocks.") for key in keys)


def test_turbo_runs_the_tiny_wan_family_in_four_steps_with_the_lora_and_records_both(lora: Path, tmp_path: Path) -> None:
    settings = Settings(engine="tiny-wan", profile="turbo", turbo_lora=str(lora), runs_dir=tmp_path / "runs", voice="none", crossfade_s=0)
    outcome = start_run("", settings, script=load_script_file(write_script(tmp_path / "s.json", "turbo", ["left"], duration_s=0.5)), run_id="t")
    manifest = Manifest.read(outcome.run_dir / "manifest.json")
    assert manifest.engine["profile"] == "turbo" and manifest.engine["video_steps"] == "4" and manifest.engine["turbo_lora"] == str(lora)
    assert manifest.engine["video_guidance"] == "1.0" and manifest.engine["clip_family"] == "wan-i2v"
    applied = " ".join(manifest.engine_loaded["video"]["applied"])
    assert "turbo LoRA" in applied and "(20 layers)" in applied, applied  # 2 tiny blocks x (8 attention + 2 feed-forward) layers


def test_turbo_is_refused_before_any_work_without_a_lora_or_on_a_family_without_one(tmp_path: Path, cli: CliRunner) -> None:
    with pytest.raises(InputError, match="VIDEODRAFTER_TURBO_LORA"):
        check_choices(Settings(engine="tiny-wan", profile="turbo"), llm=False)
    with pytest.raises(InputError, match="cogvideox-i2v"):
        check_choices(Settings(engine="tiny", profile="turbo", turbo_lora="x::y.safetensors"), llm=False)
    with pytest.raises(InputError, match="does not exist"):
        check_choices(Settings(engine="tiny-wan", profile="turbo", turbo_lora=str(tmp_path / "missing.safetensors")), llm=False)
    runs = tmp_path / "runs"
    result = cli("make", "--script", str(write_script(tmp_path / "s.json", "t", ["left"])), "--engine", "tiny-wan", "--profile", "turbo", "--runs-dir", str(runs))
    assert result.returncode == 2 and "VIDEODRAFTER_TURBO_LORA" in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    assert not runs.exists(), "nothing was started"
