"""Checkpoint folders: Hugging Face layouts in (single file, sharded), bad folders refused with
the file named and the protocol's exit code, through the trainer's command line."""

import json
import shutil

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from conftest import run_json, train_cpt
from mixlaw_torch.checkpoint import fill_model, load_hf_config, load_weights
from mixlaw_torch.protocol import UsageError


def hf_model(vocab=258, tied=False) -> LlamaForCausalLM:
    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=2,
                                        vocab_size=vocab, max_position_embeddings=64,
                                        tie_word_embeddings=tied))


@pytest.fixture
def sharded(tmp_path):
    """A model written by save_pretrained in shards of at most 20 kB, with its index."""
    model = hf_model()
    folder = tmp_path / "sharded"
    model.save_pretrained(folder, safe_serialization=True, max_shard_size="20KB")
    assert (folder / "model.safetensors.index.json").exists()
    assert len(list(folder.glob("model-*.safetensors"))) > 2
    return model, folder


def test_a_sharded_folder_loads_every_tensor(sharded):
    model, folder = sharded
    loaded = LlamaForCausalLM(load_hf_config(str(folder)))
    fill_model(loaded, load_weights(str(folder)), str(folder))
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name


def test_a_missing_shard_is_named(sharded, tmp_path):
    _, folder = sharded
    victim = sorted(folder.glob("model-*.safetensors"))[1]
    victim.unlink()
    with pytest.raises(UsageError, match=f"shard {victim.name} is missing"):
        load_weights(str(folder))


def test_a_shard_of_the_wrong_format_is_named(sharded):
    _, folder = sharded
    victim = sorted(folder.glob("model-*.safetensors"))[0]
    victim.write_bytes(b"\x20\x00\x00\x00\x00\x00\x00\x00not a header at all, just text" * 3)
    with pytest.raises(UsageError, match=f"{victim.name}: not a safetensors file"):
        load_weights(str(folder))


def test_a_config_that_is_not_llama_is_refused(tmp_path):
    folder = tmp_path / "gpt2"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 32}))
    with pytest.raises(UsageError, match=r'config.json: model_type: "gpt2" is not a Llama model'):
        load_hf_config(str(folder))


@pytest.mark.parametrize("damage", ["missing_shard", "not_llama", "wrong_format", "wrong_shape"])
def test_the_trainer_exits_2_naming_the_file(tmp_path, demo_data, sharded, damage):
    model, folder = sharded
    if damage == "missing_shard":
        victim = sorted(folder.glob("model-*.safetensors"))[-1]
        victim.unlink()
        expected = f"shard {victim.name} is missing"
    elif damage == "not_llama":
        config = json.loads((folder / "config.json").read_text())
        config["model_type"] = "mistral"
        (folder / "config.json").write_text(json.dumps(config))
        expected = 'model_type: "mistral" is not a Llama model'
    elif damage == "wrong_format":
        victim = sorted(folder.glob("model-*.safetensors"))[0]
        victim.write_bytes(b"\xff" * 64)
        expected = f"{victim.name}: not a safetensors file"
    else:
        other = hf_model(vocab=300)
        shutil.rmtree(folder)
        other.save_pretrained(folder, safe_serialization=True)
        expected = "vocab_size 300 (RUN.json: 258)"
    config = run_json(tmp_path / "run", demo_data, init_checkpoint=str(folder),
                      model={"name": "tiny", "dim": 32, "n_layers": 2, "n_heads": 4,
                             "n_kv_heads": 2, "ffn_dim": 64, "vocab_size": 258})
    done = train_cpt(config)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
