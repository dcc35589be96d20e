#!/usr/bin/env python3
"""Repack a pure-Python Debian package (python3-*.deb, egg-info layout) as a py3-none-any wheel.

The lab's hosts cannot reach PyPI, so `pip install gunicorn` is served from a local
wheelhouse built from the Debian package. Standard library only: it runs with the
python3 of the lab's base root filesystem.

usage: deb2wheel.py PACKAGE.deb OUTDIR   (prints the path of each wheel written)
"""
import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile

SITE = "./usr/lib/python3/dist-packages/"


def deb_files(deb):
    """The files under dist-packages, keyed by their path below it."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name[len(SITE):]: tar.extractfile(m).read()
                for m in tar.getmembers() if m.isfile() and m.name.startswith(SITE)}


def metadata(files, egg):
    """PKG-INFO plus Requires-Dist / Provides-Extra lines from requires.txt."""
    reqs, extra = [], None
    for line in files.get(f"{egg}/requires.txt", b"").decode().splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("["):
            extra = line.strip("[]").split(":")[0]
            reqs.append(f"Provides-Extra: {extra}")
            continue
        reqs.append(f"Requires-Dist: {line}" + (f' ; extra == "{extra}"' if extra else ""))
    head, _, body = files[f"{egg}/PKG-INFO"].decode().partition("\n\n")
    return head.rstrip("\n") + "".join("\n" + r for r in reqs) + "\n\n" + body


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def main(deb, out):
    files = deb_files(deb)
    eggs = sorted({p.split("/")[0] for p in files if p.split("/")[0].endswith(".egg-info")})
    if not eggs:
        sys.exit(f"{deb}: no .egg-info under /usr/lib/python3/dist-packages")
    for egg in eggs:
        name, version = re.match(r"(.+?)-([^-]+?)(-py[\d.]+)?\.egg-info$", egg).groups()[:2]
        dist = name.replace("-", "_")
        top = files.get(f"{egg}/top_level.txt", b"").decode().split()
        content = {p: d for p, d in files.items() if p.split("/")[0] in top and "__pycache__" not in p}
        info = f"{dist}-{version}.dist-info"
        content[f"{info}/METADATA"] = metadata(files, egg).encode()
        content[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: shipshape-lab deb2wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        if f"{egg}/entry_points.txt" in files:
            content[f"{info}/entry_points.txt"] = files[f"{egg}/entry_points.txt"]
        record = [record_line(p, d) for p, d in content.items()] + [f"{info}/RECORD,,"]
        content[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
        wheel = os.path.join(out, f"{dist}-{version}-py3-none-any.whl")
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
            for p, d in content.items():
                z.writestr(p, d)
        print(wheel)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
