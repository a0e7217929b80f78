/// `go.sum`: one module version per `module version[/go.mod] h1:hash` pair of lines. The `h1:`
/// hashes are directory hashes that the go command checks itself, not artifact digests.
enum GoSum {
    static func packages(_ text: String) throws(LockfileError) -> [LockedPackage] {
        var seen = Set<String>()
        var out: [LockedPackage] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: " ")
            guard !fields.isEmpty else { continue }
            guard fields.count == 3 else { throw LockfileError("go.sum line \(number + 1) is not 'module version hash'") }
            let module = String(fields[0])
            let version = fields[1].hasSuffix("/go.mod") ? String(fields[1].dropLast("/go.mod".count)) : String(fields[1])
            guard seen.insert("\(module)@\(version)").inserted else { continue }
            out.append(.registry(type: "golang", name: module, version: version, splitName: true))
        }
        return out
    }
}
