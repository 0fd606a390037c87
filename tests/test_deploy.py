"""The deploy files: the compose file parses, and the image runs what the README says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_compose_file_has_the_app_and_postgresql_only() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert set(compose["services"]) == {"app", "db"}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert compose["services"]["app"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_config_parses_where_the_client_exists() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker client on this machine")
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    run = subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTGRES_PASSWORD": "x"},
        check=False,
        cwd=DEPLOY,
    )
    assert run.returncode == 0, run.stderr


def test_the_dockerfile_runs_what_the_readme_says() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD \[(.*)\]$", dockerfile, re.M)
    assert cmd is not None
    command = " ".join(part.strip().strip('"') for part in cmd.group(1).split(","))
    assert command in (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "USER megaroth" in dockerfile, "the image runs as a non-root user"
    assert "HEALTHCHECK" in dockerfile


def test_env_example_documents_every_setting() -> None:
    from api.settings import Settings

    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        if name == "var_dir":
            continue
        assert f"{name.upper()}=" in example, name
