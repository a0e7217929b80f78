import LarderCore

/// `requirements.txt` with pinned versions (`name==1.2.3`), optional extras and environment
/// markers, and `--hash` options, continuation lines joined.
enum RequirementsFile {
    static func packages(_ text: String) -> [LockedPackage] {
        var logical: [String] = []
        var current = ""
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = String(raw)
            if let hash = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) { line = String(line[..<hash.lowerBound]) }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
                continue
            }
            current += line
            let trimmed = current.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { logical.append(trimmed) }
            current = ""
        }
        return logical.compactMap { line -> LockedPackage? in
            if line.hasPrefix("-") {
                let option = line.split(separator: " ").first.map(String.init) ?? line
                if option.hasPrefix("--hash") { return nil }
                return .unsupported(line, nil, "option \(option) is not followed (list the packages it pins instead)")
            }
            var words = line.split(separator: " ").map(String.init)
            let digests = words.filter { $0.hasPrefix("--hash") }.compactMap { LockedPackage.digest($0.split(separator: "=", maxSplits: 1).last.map(String.init)) }
            words.removeAll { $0.hasPrefix("--") }
            var spec = words.joined(separator: " ")
            if let marker = spec.firstIndex(of: ";") { spec = String(spec[..<marker]) }
            spec = spec.replacingOccurrences(of: " ", with: "")
            guard let pin = spec.range(of: "===") ?? spec.range(of: "==") else {
                return .unsupported(spec, nil, "not pinned with '=='; a lockfile pins exact versions")
            }
            var name = String(spec[..<pin.lowerBound])
            if let bracket = name.firstIndex(of: "[") { name = String(name[..<bracket]) }
            let version = String(spec[pin.upperBound...])
            guard !version.contains("*"), !version.contains(",") else { return .unsupported(name, version, "not an exact version") }
            return .registry(type: "pypi", name: name, version: version, digests: digests)
        }
    }
}
