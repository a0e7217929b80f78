#!/usr/bin/env python3
"""Writes a Terraform registry as static files (for nginx), for bench/terraform-init.sh:
service discovery, PROVIDERS providers bench/p<i> at 1.0.0 for linux_amd64 and darwin_arm64
(each zip holding SIZE_MB of random bytes), their SHA256SUMS signed with the key in GNUPGHOME,
and the module bench/network/aws 1.0.0 (its download answer is nginx's, see the script).

usage: make_terraform_registry.py WWW BASE_URL PROVIDERS SIZE_MB
"""
import hashlib, io, json, os, subprocess, sys, tarfile, zipfile

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def main():
    www, base, providers, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    write(f"{www}/.well-known/terraform.json", json.dumps({"providers.v1": "/v1/providers/", "modules.v1": "/v1/modules/"}))
    key = subprocess.run(["gpg", "--batch", "--armor", "--export"], check=True, capture_output=True).stdout.decode()
    platforms = [("linux", "amd64"), ("darwin", "arm64")]
    for i in range(providers):
        name = f"p{i}"
        sums = ""
        for os_, arch in platforms:
            raw = io.BytesIO()
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as z:
                z.writestr(f"terraform-provider-{name}_v1.0.0", os.urandom((size_mb << 20) if os_ == "linux" else 1024))
            data = raw.getvalue()
            filename = f"terraform-provider-{name}_1.0.0_{os_}_{arch}.zip"
            write(f"{www}/releases/{name}/{filename}", data)
            sums += f"{hashlib.sha256(data).hexdigest()}  {filename}\n"
            write(f"{www}/v1/providers/bench/{name}/1.0.0/download/{os_}/{arch}", json.dumps({
                "protocols": ["5.0"], "os": os_, "arch": arch, "filename": filename,
                "download_url": f"{base}/releases/{name}/{filename}",
                "shasums_url": f"{base}/releases/{name}/SHA256SUMS",
                "shasums_signature_url": f"{base}/releases/{name}/SHA256SUMS.sig",
                "shasum": hashlib.sha256(data).hexdigest(),
                "signing_keys": {"gpg_public_keys": [{"key_id": "BENCH", "ascii_armor": key}]},
            }))
        write(f"{www}/releases/{name}/SHA256SUMS", sums)
        subprocess.run(["gpg", "--batch", "--yes", "--detach-sign", "-o", f"{www}/releases/{name}/SHA256SUMS.sig", f"{www}/releases/{name}/SHA256SUMS"], check=True)
        write(f"{www}/v1/providers/bench/{name}/versions", json.dumps({"versions": [{"version": "1.0.0", "protocols": ["5.0"],
            "platforms": [{"os": o, "arch": a} for o, a in platforms]}]}))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as t:
        body = b'output "cidr" { value = "10.0.0.0/16" }\n'
        info = tarfile.TarInfo("main.tf")
        info.size = len(body)
        t.addfile(info, io.BytesIO(body))
    write(f"{www}/archives/network-1.0.0.tar.gz", raw.getvalue())
    write(f"{www}/v1/modules/bench/network/aws/versions", json.dumps({"modules": [{"versions": [{"version": "1.0.0"}]}]}))

if __name__ == "__main__":
    main()
