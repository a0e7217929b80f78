#!/usr/bin/env python3
"""Writes the static upstream registry the benchmarks serve with nginx.

www/simple/...      a PEP 503 index of N pure-Python wheels (files in www/files/)
www/npm/...         an npm package "bench-files" whose tarballs are the hit-path payloads
"""
import argparse, base64, hashlib, io, json, os, zipfile

def wheel(name, version, size):
    module = name.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"__version__ = '{version}'\n".encode(),
        f"{module}/data.bin": os.urandom(size),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: larder-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    record += f"{dist}/RECORD,,\n"
    files[f"{dist}/RECORD"] = record.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for path, data in files.items():
            z.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
    return f"{module}-{version}-py3-none-any.whl", out.getvalue()

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--port", type=int, required=True, help="port nginx serves the upstream on")
    p.add_argument("--packages", type=int, default=30)
    p.add_argument("--big", action="store_true", help="also write a 1 GiB artifact")
    a = p.parse_args()
    www = os.path.join(a.out, "www")
    os.makedirs(os.path.join(www, "files"), exist_ok=True)
    names = []
    for i in range(a.packages):
        name = f"benchpkg-{i:02d}"
        names.append(name)
        filename, data = wheel(name, "1.0.0", 2048 + (i * 7919) % 200_000)
        with open(os.path.join(www, "files", filename), "wb") as f:
            f.write(data)
        os.makedirs(os.path.join(www, "simple", name), exist_ok=True)
        sha = hashlib.sha256(data).hexdigest()
        with open(os.path.join(www, "simple", name, "index.html"), "w") as f:
            f.write(f'<!DOCTYPE html><html><body><a href="../../files/{filename}#sha256={sha}">{filename}</a><br/></body></html>\n')
    with open(os.path.join(www, "simple", "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html><body>" + "".join(f'<a href="{n}/">{n}</a>' for n in names) + "</body></html>\n")
    with open(os.path.join(a.out, "requirements.txt"), "w") as f:
        f.write("".join(f"{n}==1.0.0\n" for n in names))

    tarballs = os.path.join(www, "npm", "bench-files", "-")
    os.makedirs(tarballs, exist_ok=True)
    sizes = {"f10k": 10 << 10, "f1m": 1 << 20, "f16m": 16 << 20}
    if a.big:
        sizes["f1g"] = 1 << 30
    versions = {}
    for i, (label, size) in enumerate(sizes.items()):
        path = os.path.join(tarballs, f"{label}.tgz")
        h = hashlib.sha512()
        with open(path, "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                f.write(chunk)
                h.update(chunk)
                left -= len(chunk)
        versions[f"1.0.{i}"] = {"name": "bench-files", "version": f"1.0.{i}", "dist": {
            "tarball": f"http://127.0.0.1:{a.port}/npm/bench-files/-/{label}.tgz",
            "integrity": "sha512-" + base64.b64encode(h.digest()).decode()}}
    with open(os.path.join(www, "npm", "bench-files.json"), "w") as f:
        json.dump({"name": "bench-files", "dist-tags": {"latest": "1.0.0"}, "versions": versions}, f)

main()
