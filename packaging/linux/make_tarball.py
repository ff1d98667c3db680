"""Wrap the onedir build (dist/Fieldnote) into dist/fieldnote-<version>-linux-<arch>.tar.gz
with a .desktop file, the icon and a per-user install script. Run by `make package` on Linux."""

from __future__ import annotations

import platform
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def main() -> int:
    build = ROOT / "dist" / "Fieldnote"
    if not (build / "Fieldnote").is_file():
        print("No build in dist/Fieldnote: run `make package` first.", file=sys.stderr)
        return 1
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    top = f"fieldnote-{version}"
    out = ROOT / "dist" / f"{top}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(build, arcname=f"{top}/Fieldnote")
        tar.add(HERE / "fieldnote.desktop", arcname=f"{top}/fieldnote.desktop")
        tar.add(HERE / "install.sh", arcname=f"{top}/install.sh")
        tar.add(ROOT / "assets" / "fieldnote.png", arcname=f"{top}/fieldnote.png")
    print(f"{out.relative_to(ROOT)} ({out.stat().st_size / 2**20:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
