#!/usr/bin/env python3
"""Writes an OCI image as the static files of a registry (for nginx), for bench/oci-pull.sh:
www/v2/<repo>/blobs/sha256:<hex> and www/v2/<repo>/manifests/<tag and digest>.

usage: make_oci_image.py WWW REPOSITORY TAG LAYERS LAYER_MB
"""
import gzip, hashlib, io, json, os, sys, tarfile

def main():
    www, repo, tag, layers, layer_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    root = os.path.join(www, "v2", repo)
    os.makedirs(os.path.join(root, "blobs"), exist_ok=True)
    os.makedirs(os.path.join(root, "manifests"), exist_ok=True)
    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(os.path.join(root, "blobs", digest), "wb") as f:
            f.write(data)
        return {"digest": digest, "size": len(data)}
    descriptors, diff_ids = [], []
    for i in range(layers):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            payload = os.urandom(layer_mb << 20)
            info = tarfile.TarInfo(f"layer{i}/data.bin")
            info.size = len(payload)
            t.addfile(info, io.BytesIO(payload))
        tar = raw.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(gzip.compress(tar, 1, mtime=0))})
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(config)},
                           "layers": descriptors}).encode()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    for name in (tag, digest):
        with open(os.path.join(root, "manifests", name), "wb") as f:
            f.write(manifest)
    os.remove(os.path.join(root, "blobs", digest)) if os.path.exists(os.path.join(root, "blobs", digest)) else None

main()
