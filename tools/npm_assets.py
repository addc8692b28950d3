"""Fetch the browser files Ecoute serves (or tests with) from npm registry packages.

    python tools/npm_assets.py          # what the site serves: static/vendor/
    python tools/npm_assets.py --dev    # and what the tests use: .venv/npm/

Each file comes out of a pinned package tarball whose sha512 is checked against the integrity
the registry published for it (as `npm ci` checks a lock file), so a changed or truncated
download is refused. Only Python's standard library: `make demo` needs no Node.js. The
registry is npm's own setting (`NPM_CONFIG_REGISTRY`, else `npm config get registry` when npm
is installed, else npm's default). A file already in place is kept.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = "https://registry.npmjs.org/"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    integrity: str  # the registry's `dist.integrity` for this version
    files: dict[str, str]  # path inside the package -> path under the destination
    dev: bool = False


ASSETS = [
    Asset(
        "chart.js",
        "4.5.1",
        "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw==",
        {
            "dist/chart.umd.min.js": "chart.js/chart.umd.min.js",
            # Named at the end of the file: the hashed static storage wants it there.
            "dist/chart.umd.min.js.map": "chart.js/chart.umd.min.js.map",
            "LICENSE.md": "chart.js/LICENSE.md",
        },
    ),
    Asset(
        "axe-core",
        "4.10.3",
        "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg==",
        {"axe.min.js": "axe-core/axe.min.js", "LICENSE": "axe-core/LICENSE"},
        dev=True,
    ),
]

SERVED = ROOT / "static" / "vendor"
DEV = ROOT / ".venv" / "npm"


def registry() -> str:
    configured = os.environ.get("NPM_CONFIG_REGISTRY")
    if not configured and shutil.which("npm"):
        try:
            configured = subprocess.run(
                ["npm", "config", "get", "registry"],
                capture_output=True, text=True, timeout=30, check=True,
            ).stdout.strip()  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            configured = ""
    return (configured or DEFAULT_REGISTRY).rstrip("/") + "/"


def tarball_url(asset: Asset) -> str:
    name = asset.package.rsplit("/", 1)[-1]
    return f"{registry()}{asset.package}/-/{name}-{asset.version}.tgz"


def check_integrity(body: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
    if digest != expected:
        raise SystemExit(f"integrity check failed: got {algorithm}-{digest}, expected {integrity}")


def fetch(asset: Asset, destination: Path) -> None:
    targets = {inside: destination / out for inside, out in asset.files.items()}
    if all(path.exists() for path in targets.values()):
        return
    url = tarball_url(asset)
    print(f"fetching {asset.package}@{asset.version}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=120) as answer:  # noqa: S310 (https from npm's setting)
        body = answer.read()
    check_integrity(body, asset.integrity)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        for inside, target in targets.items():
            member = archive.extractfile(f"package/{inside}")
            if member is None:
                raise SystemExit(f"{asset.package}@{asset.version} has no {inside}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(member.read())
            partial.replace(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="also fetch the tests' files")
    args = parser.parse_args()
    for asset in ASSETS:
        if asset.dev and not args.dev:
            continue
        fetch(asset, DEV if asset.dev else SERVED)


if __name__ == "__main__":
    main()
