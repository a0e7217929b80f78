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
    p.add_argument("--sbom-packages", type=int, default=0, help="npm packages to list in sbom.json (each with its own package document)")
    a = p.parse_args()
    www = os.path.join(a.out, "www")
    os.makedirs(os.path.join(www, "files"), exist_ok=True)
    os.makedirs(os.path.join(www, "simple"), exist_ok=True)
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
        # Publish times, old enough for any cooldown a benchmark sets.
        time = {v: "2020-01-01T00:00:00.000Z" for v in versions}
        json.dump({"name": "bench-files", "dist-tags": {"latest": "1.0.0"}, "versions": versions, "time": time}, f)

    # npm packages for the SBOM benchmark: tarballs of 8 KiB to 256 KiB, a document each.
    components = []
    for i in range(a.sbom_packages):
        name = f"sbom-pkg-{i:03d}"
        size = 8192 + (i * 104729) % (248 << 10)
        data = os.urandom(size)
        os.makedirs(os.path.join(www, "npm", name, "-"), exist_ok=True)
        with open(os.path.join(www, "npm", name, "-", f"{name}-1.0.0.tgz"), "wb") as f:
            f.write(data)
        doc = {"name": name, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {"name": name, "version": "1.0.0", "dist": {
            "tarball": f"http://127.0.0.1:{a.port}/npm/{name}/-/{name}-1.0.0.tgz",
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()}}}}
        with open(os.path.join(www, "npm", f"{name}.json"), "w") as f:
            json.dump(doc, f)
        components.append({"type": "library", "name": name, "version": "1.0.0", "purl": f"pkg:npm/{name}@1.0.0"})
    if components:
        with open(os.path.join(a.out, "sbom.json"), "w") as f:
            json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}, f)
        with open(os.path.join(a.out, "tarball-urls.txt"), "w") as f:
            f.write("".join(f"http://127.0.0.1:{a.port}/npm/sbom-pkg-{i:03d}/-/sbom-pkg-{i:03d}-1.0.0.tgz\n" for i in range(a.sbom_packages)))

main()
