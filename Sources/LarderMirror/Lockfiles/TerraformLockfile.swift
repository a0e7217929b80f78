import LarderCore

/// `.terraform.lock.hcl`: one `provider "<host>/<namespace>/<type>" { version = "…" … }` block
/// per provider. Its `zh:` hashes are the SHA-256 digests of the archives of the platforms it
/// was locked on (its `h1:` hashes are digests of unpacked contents, which Terraform checks
/// itself).
enum TerraformLockfile {
    static func packages(_ text: String) throws(LockfileError) -> [LockedPackage] {
        var out: [LockedPackage] = []
        var current: (address: String, version: String?, digests: [Integrity])?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") { continue }
            if line.hasPrefix("provider ") {
                guard current == nil else { throw LockfileError(".terraform.lock.hcl line \(number + 1): a provider block inside another") }
                let parts = line.split(separator: "\"")
                guard parts.count >= 3, line.hasSuffix("{") else { throw LockfileError(".terraform.lock.hcl line \(number + 1) is not 'provider \"<host>/<namespace>/<type>\" {'") }
                current = (String(parts[1]), nil, [])
                continue
            }
            guard current != nil else { continue }
            if line == "}" {
                let block = current!
                current = nil
                let segments = block.address.split(separator: "/")
                guard segments.count == 3 else {
                    out.append(LockedPackage(name: block.address, version: block.version, packageURL: nil, problem: "not a provider address <host>/<namespace>/<type>"))
                    continue
                }
                out.append(.registry(type: "terraform", name: block.address, version: block.version, splitName: true, digests: block.digests))
            } else if line.hasPrefix("version"), let value = Self.quoted(line) {
                current!.version = value
            } else if line.hasPrefix("\"zh:"), let value = Self.quoted(line) {
                if let digest = Integrity(algorithm: .sha256, hex: String(value.dropFirst(3))) { current!.digests.append(digest) }
            }
        }
        guard current == nil else { throw LockfileError(".terraform.lock.hcl ends inside the block of provider \(current!.address)") }
        return out
    }

    /// The first double-quoted string on `line`.
    static func quoted(_ line: String) -> String? {
        let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
        return parts.count >= 3 ? String(parts[1]) : nil
    }
}
