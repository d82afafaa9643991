"""The deployment files cannot run here (no container engine), so their agreement with the code
is checked by reading them: every setting documented, every service present and ordered."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from birge_shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - documented == set()


def test_kubernetes_config_names_only_real_settings() -> None:
    known = {name.upper() for name in Settings.model_fields}
    config = _load(ROOT / "deploy" / "k8s" / "configmap.yaml")["data"]
    secret = _load(ROOT / "deploy" / "k8s" / "secret.example.yaml")["stringData"]
    assert set(config) - known == set()
    assert set(secret) - known == set()


def test_compose_runs_migrate_first_and_exactly_one_beat() -> None:
    services = _load(ROOT / "docker-compose.yml")["services"]
    assert {"postgres", "redis", "migrate", "api", "worker", "beat", "flower"} <= set(services)
    for name in ("api", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "healthcheck" in services["api"]


def test_kubernetes_beat_is_a_single_replica_and_the_api_has_probes() -> None:
    beat = _load(ROOT / "deploy" / "k8s" / "beat-deployment.yaml")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    api = _load(ROOT / "deploy" / "k8s" / "api-deployment.yaml")
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    listed = _load(ROOT / "deploy" / "k8s" / "kustomization.yaml")["resources"]
    for name in listed:
        assert (ROOT / "deploy" / "k8s" / name).is_file()


def test_the_image_builds_every_workspace_member_with_compiled_catalogues() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for member in workspace["tool"]["uv"]["workspace"]["members"]:
        assert f"COPY {member}/pyproject.toml {member}/pyproject.toml" in dockerfile, member
        assert f"COPY {member}/ {member}/" in dockerfile, member
    # Compiled after the sources are in and before the members are built into the venv.
    compile_at = dockerfile.index("pybabel -q compile --use-fuzzy -d shared/birge_shared/locale")
    assert dockerfile.index("COPY shared/ shared/") < compile_at
    assert compile_at < dockerfile.index("uv sync --frozen --no-dev --no-editable")
    # The .mo files are ignored by git, so the wheel must name them to carry them.
    shared = tomllib.loads((ROOT / "shared" / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = shared["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "birge_shared/locale/*/LC_MESSAGES/*.mo" in wheel["artifacts"]
