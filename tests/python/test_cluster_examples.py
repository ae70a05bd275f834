"""The cluster examples: Kubernetes manifests against the API schemas (kubernetes-validate,
strict), Slurm scripts and the launcher parsed by bash, the launcher's rank count, and the 8B
spec's trainer inside the project. Nothing here reaches a cluster: what a real one would add is
said in docs/cluster.md."""

import json
import subprocess

import pytest

from conftest import SOURCE, VENV_BIN

EXAMPLES = SOURCE / "examples"
MANIFESTS = sorted((EXAMPLES / "kubernetes").glob("*.yaml"))


def validate(*paths):
    return subprocess.run([str(VENV_BIN / "kubernetes-validate"), "--strict", "--kubernetes-version",
                           "1.31.0", *map(str, paths)], capture_output=True, text=True)


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_each_manifest_is_valid_against_the_kubernetes_schemas(manifest):
    done = validate(manifest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout


def test_the_validator_refuses_a_misspelt_field(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((EXAMPLES / "kubernetes" / "orchestrator.yaml").read_text()
                      .replace("replicas: 1", "replica: 1"))
    done = validate(broken)
    assert done.returncode != 0 and "replica" in done.stdout + done.stderr


def test_the_manifests_cover_what_a_cluster_needs():
    kinds = set()
    for manifest in MANIFESTS:
        for line in manifest.read_text().splitlines():
            if line.startswith("kind: "):
                kinds.add(line.split(": ", 1)[1])
    assert {"Deployment", "Service", "PersistentVolumeClaim", "Job", "Secret"} <= kinds


@pytest.mark.parametrize("script", ["launch-torchrun.sh", "slurm/orchestrator.sbatch",
                                    "slurm/workers.sbatch"])
def test_shell_scripts_parse(script):
    done = subprocess.run(["bash", "-n", str(EXAMPLES / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_8b_spec_runs_the_projects_trainer():
    spec = json.loads((EXAMPLES / "llama3-8b-to-70b.json").read_text())
    command = spec["trainer"]["command"]
    launcher = command.split()[1].replace("{spec_dir}", str(EXAMPLES))
    assert (SOURCE / "examples" / "launch-torchrun.sh").samefile(launcher)
    assert "{config}" in command
    assert "python/train_cpt.py" in (EXAMPLES / "launch-torchrun.sh").read_text()
    assert (SOURCE / "python" / "train_cpt.py").exists()


@pytest.mark.parametrize("env, ranks", [({"CUDA_VISIBLE_DEVICES": "2,5"}, 2),
                                        ({"CUDA_VISIBLE_DEVICES": "3"}, 1),
                                        ({"CUDA_VISIBLE_DEVICES": "3", "MIXLAW_NPROC_PER_NODE": "4"}, 4),
                                        ({}, 1)])
def test_the_launcher_starts_one_rank_per_gpu_the_run_may_use(tmp_path, env, ranks):
    """A worker leasing for one GPU sets CUDA_VISIBLE_DEVICES; the launcher's torchrun follows it
    (a stand-in python prints the command instead of running it; no GPU or nvidia-smi here)."""
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    path = f"{tmp_path}:/usr/bin:/bin"  # no nvidia-smi
    out = subprocess.run(["bash", str(EXAMPLES / "launch-torchrun.sh"), "RUN.json", "--fsdp"],
                         env={"PATH": path, "MIXLAW_PYTHON": str(fake), **env},
                         capture_output=True, text=True, check=True).stdout
    assert f"--standalone --nproc_per_node={ranks} " in out, out
    assert out.strip().endswith("--config RUN.json --fsdp"), out
