import LarderCore

/// `Gemfile.lock`: the gems of `GEM` sections (`name (version)`, platform suffixes included),
/// with `CHECKSUMS` when Bundler wrote them; `GIT` and `PATH` gems are reported.
enum GemfileLock {
    static func packages(_ text: String) -> [LockedPackage] {
        var section = ""
        var out: [LockedPackage] = []
        var checksums: [String: Integrity] = [:]
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(raw)
            if !line.hasPrefix(" ") {
                section = line.trimmingCharacters(in: .whitespaces)
                continue
            }
            let indent = line.prefix { $0 == " " }.count
            let body = line.trimmingCharacters(in: .whitespaces)
            // `name (version)`, in CHECKSUMS followed by `algorithm=hex`.
            guard let open = body.firstIndex(of: "("), let close = body[open...].firstIndex(of: ")") else { continue }
            let name = body[..<open].trimmingCharacters(in: .whitespaces)
            let rest = body[body.index(after: open)..<close]
            let after = body[body.index(after: close)...].trimmingCharacters(in: .whitespaces)
            switch section {
            case "GEM" where indent == 4 && after.isEmpty:
                out.append(.registry(type: "gem", name: name, version: String(rest)))
            case "GIT", "PATH":
                if indent == 4 { out.append(.unsupported(name, String(rest), "a \(section.lowercased()) gem, not from a registry")) }
            case "CHECKSUMS" where indent == 2:
                if let digest = after.split(separator: ",").compactMap({ LockedPackage.digest(String($0)) }).first {
                    checksums["\(name) (\(rest))"] = digest
                }
            default: break
            }
        }
        return out.map { package in
            var p = package
            if let digest = checksums["\(p.name) (\(p.version ?? ""))"] { p.digests = [digest] }
            return p
        }
    }
}
