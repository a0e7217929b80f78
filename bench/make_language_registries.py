#!/usr/bin/env python3
"""Writes static registries (for nginx) for bench/language-installs.sh: COUNT packages of
SIZE_KIB random bytes each for Cargo (sparse index), Go (GOPROXY layout), Composer (packages.json
and p2) and NuGet (V3 service index, flat container), below WWW/<ecosystem>/, whose URLs
start at BASE_URL. RubyGems' compact index is written from the gems already in WWW/gem/gems
(built by the script with `gem build`).

usage: make_language_registries.py WWW BASE_URL COUNT SIZE_KIB
"""
import hashlib, io, json, os, sys, tarfile, zipfile

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def cargo_path(name):
    n = name.lower()
    if len(n) <= 2: return f"{len(n)}/{n}"
    if len(n) == 3: return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"

def cargo(www, base, count, size):
    write(f"{www}/cargo/config.json", json.dumps({"dl": f"{base}/cargo/crates"}))
    for i in range(count):
        name = f"bench-crate-{i}"
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w:gz") as t:
            for path, body in [("Cargo.toml", f'[package]\nname = "{name}"\nversion = "1.0.0"\nedition = "2021"\n'), ("src/lib.rs", "pub fn f() {}\n")]:
                info = tarfile.TarInfo(f"{name}-1.0.0/{path}"); data = body.encode(); info.size = len(data); t.addfile(info, io.BytesIO(data))
            info = tarfile.TarInfo(f"{name}-1.0.0/data.bin"); data = os.urandom(size); info.size = len(data); t.addfile(info, io.BytesIO(data))
        crate = raw.getvalue()
        write(f"{www}/cargo/crates/{name}/1.0.0/download", crate)
        line = {"name": name, "vers": "1.0.0", "deps": [], "cksum": hashlib.sha256(crate).hexdigest(), "features": {}, "yanked": False}
        write(f"{www}/cargo/{cargo_path(name)}", json.dumps(line) + "\n")

def go(www, count, size):
    for i in range(count):
        module = f"bench.test/m{i}"
        mod = f"module {module}\n\ngo 1.19\n"
        raw = io.BytesIO()
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{module}@v1.0.0/go.mod", mod)
            z.writestr(f"{module}@v1.0.0/m.go", f"package m{i}\n")
            z.writestr(f"{module}@v1.0.0/data.bin", os.urandom(size))
        root = f"{www}/go/{module}/@v"
        write(f"{root}/list", "v1.0.0\n")
        write(f"{root}/v1.0.0.info", json.dumps({"Version": "v1.0.0", "Time": "2026-11-01T00:00:00Z"}))
        write(f"{root}/v1.0.0.mod", mod)
        write(f"{root}/v1.0.0.zip", raw.getvalue())

def gem(www):
    versions = "created_at: 2026-11-01T00:00:00Z\n---\n"
    for file in sorted(os.listdir(f"{www}/gem/gems")):
        name = file[: -len("-1.0.0.gem")]
        with open(f"{www}/gem/gems/{file}", "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        info = f"---\n1.0.0 |checksum:{digest},ruby:>= 0\n"
        write(f"{www}/gem/info/{name}", info)
        versions += f"{name} 1.0.0 {hashlib.md5(info.encode()).hexdigest()}\n"
    write(f"{www}/gem/versions", versions)

def composer(www, base, count, size):
    write(f"{www}/composer/packages.json", json.dumps({"packages": {}, "metadata-url": "/composer/p2/%package%.json"}))
    for i in range(count):
        name = f"bench/p{i}"
        raw = io.BytesIO()
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"bench-p{i}/composer.json", json.dumps({"name": name, "type": "library"}))
            z.writestr(f"bench-p{i}/data.bin", os.urandom(size))
        data = raw.getvalue()
        sha1 = hashlib.sha1(data).hexdigest()
        write(f"{www}/composer/dist/{name}/1.0.0.zip", data)
        entry = {"name": name, "version": "1.0.0", "version_normalized": "1.0.0.0", "type": "library",
                 "dist": {"type": "zip", "url": f"{base}/composer/dist/{name}/1.0.0.zip", "reference": sha1, "shasum": sha1}}
        write(f"{www}/composer/p2/{name}.json", json.dumps({"packages": {name: [entry]}, "minified": "composer/2.0"}))

def nuget(www, base, count, size):
    flat = f"{base}/nuget/v3-flatcontainer/"
    write(f"{www}/nuget/v3/index.json", json.dumps({"version": "3.0.0", "resources": [
        {"@id": flat, "@type": "PackageBaseAddress/3.0.0"}, {"@id": f"{base}/nuget/v3/registration/", "@type": "RegistrationsBaseUrl/3.6.0"}]}))
    for i in range(count):
        pid = f"bench.package{i}"
        raw = io.BytesIO()
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{pid}.nuspec", f'<?xml version="1.0"?><package><metadata><id>{pid}</id><version>1.0.0</version></metadata></package>')
            z.writestr("lib/net8.0/data.bin", os.urandom(size))
        write(f"{www}/nuget/v3-flatcontainer/{pid}/index.json", json.dumps({"versions": ["1.0.0"]}))
        write(f"{www}/nuget/v3-flatcontainer/{pid}/1.0.0/{pid}.1.0.0.nupkg", raw.getvalue())

def main():
    www, base, count, size_kib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    size = size_kib << 10
    cargo(www, base, count, size)
    go(www, count, size)
    gem(www)
    composer(www, base, count, size)
    nuget(www, base, count, size)

if __name__ == "__main__":
    main()
