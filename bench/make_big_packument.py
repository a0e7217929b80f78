#!/usr/bin/env python3
"""Writes an npm package document shaped like the large real ones (many versions, each with
dependencies, scripts, maintainers and a readme), for bench/big-document.sh.

usage: make_big_packument.py NAME VERSIONS OUT.json
"""
import json, sys

def main():
    name, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    readme = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 200)[:9100]
    versions, times = {}, {"created": "2020-01-01T00:00:00.000Z"}
    for i in range(count):
        v = f"{i // 1000}.{(i // 10) % 100}.{i % 10}"
        versions[v] = {
            "name": name, "version": v, "description": "A package with very many releases",
            "keywords": ["bench", "large", "document", "npm"], "license": "MIT", "main": "index.js",
            "repository": {"type": "git", "url": "git+https://example.invalid/bench.git"},
            "homepage": "https://example.invalid/bench#readme", "bugs": {"url": "https://example.invalid/bench/issues"},
            "scripts": {"test": "node test.js", "build": "tsc -p .", **({"postinstall": "node setup.js"} if i % 7 == 0 else {})},
            "dependencies": {f"dep-{k}": f"^{k}.{i % 5}.0" for k in range(25)},
            "devDependencies": {f"dev-{k}": f"~{k}.0.{i % 3}" for k in range(40)},
            "engines": {"node": ">=18"},
            "gitHead": f"{i:040x}", "_id": f"{name}@{v}", "_nodeVersion": "20.11.0", "_npmVersion": "10.2.4",
            "_npmUser": {"name": "releaser", "email": "releaser@example.invalid"},
            "maintainers": [{"name": f"maintainer{k}", "email": f"m{k}@example.invalid"} for k in range(4)],
            "readme": readme,
            "dist": {
                "tarball": f"http://127.0.0.1:1/npm/{name}/-/{name}-{v}.tgz",
                "shasum": f"{i:040x}",
                "integrity": "sha512-" + "A" * 86 + "==",
                "fileCount": 12, "unpackedSize": 48213,
            },
        }
        times[v] = "2021-01-01T00:00:00.000Z"
    times["modified"] = "2026-11-01T00:00:00.000Z"
    doc = {"_id": name, "name": name, "description": "A package with very many releases", "readme": readme,
           "dist-tags": {"latest": v}, "time": times, "versions": versions, "license": "MIT"}
    with open(out, "w") as f:
        json.dump(doc, f)

main()
