import Foundation
import LarderCore
import LarderEcosystems

/// Reads the `upstreams` section of the configuration: for each ecosystem, its upstreams in the
/// order they are tried. In the YAML file an ecosystem takes a URL, a list of URLs or entries,
/// one entry, or a mapping of names to URLs or entries (for ecosystems whose upstreams are
/// named, such as OCI registries or Terraform hosts; names may contain dots). An entry is
///
/// ```yaml
/// url: https://repo.internal.example/releases
/// auth: {username: ci, password_env: REPO_PASSWORD}   # or password_file, token_env, token_file
/// verify_on_hit: true
/// artifact_hosts: [files.example.org]
/// ```
///
/// Secrets come from the environment or files, never from the file's text. The environment
/// (`LARDER_UPSTREAM_<ECOSYSTEM>=url`) and flags (`--upstream eco=url`) set a single upstream,
/// replacing the file's list; `LARDER_UPSTREAM_<ECOSYSTEM>_ARTIFACT_HOSTS` and
/// `--upstream-artifact-hosts eco=hosts` add hosts every upstream of the ecosystem may name.
struct UpstreamSettings {
    private let environment: [String: String]
    private var configured: [String: [Upstream]] = [:]
    private var extraHosts: [String: [HostPattern]] = [:]

    init(environment: [String: String]) {
        self.environment = environment
    }

    /// Each ecosystem's default upstreams.
    static func defaults() -> [String: [Upstream]] {
        var result: [String: [Upstream]] = [:]
        for ecosystem in Ecosystems.all {
            result[ecosystem.name] = ecosystem.defaultUpstreams.enumerated().compactMap { index, url in
                try? Upstream(url: url, setting: "upstreams.\(ecosystem.name)")
            }
        }
        return result
    }

    /// The environment variable setting one upstream for `ecosystem`.
    static func environmentKey(_ ecosystem: String) -> String { "LARDER_UPSTREAM_\(ecosystem.uppercased())" }
    /// The environment variable adding artifact hosts for `ecosystem`.
    static func hostsEnvironmentKey(_ ecosystem: String) -> String { "LARDER_UPSTREAM_\(ecosystem.uppercased())_ARTIFACT_HOSTS" }

    // MARK: Sources

    mutating func readFile(_ section: Any, file: String) throws {
        guard let mapping = section as? [String: Any] else {
            throw ConfigurationError("upstreams in config file \(file) must be a mapping of ecosystems (\(Self.known)) to upstreams")
        }
        for (ecosystem, value) in mapping {
            guard Ecosystems.named(ecosystem) != nil else {
                throw ConfigurationError("config file \(file) has unknown key 'upstreams.\(ecosystem)'; Larder serves \(Self.known)")
            }
            configured[ecosystem] = try list(value, setting: "upstreams.\(ecosystem)", file: file)
        }
    }

    mutating func readEnvironment() throws {
        for ecosystem in Ecosystems.all.map({ $0.name }) {
            let key = Self.environmentKey(ecosystem)
            if let url = environment[key], !url.isEmpty {
                configured[ecosystem] = [try Self.wrap("environment variable \(key)") { try Upstream(url: url, setting: key) }]
            }
            let hostsKey = Self.hostsEnvironmentKey(ecosystem)
            if let hosts = environment[hostsKey], !hosts.isEmpty {
                extraHosts[ecosystem] = try Self.hostList(hosts.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init), setting: "environment variable \(hostsKey)")
            }
        }
    }

    /// Applies flag `name` if it is an upstream flag; false otherwise.
    mutating func readFlag(_ name: String, _ value: String) throws -> Bool {
        guard name == "upstream" || name == "upstream-artifact-hosts" else { return false }
        guard let eq = value.firstIndex(of: "="), Ecosystems.named(String(value[..<eq])) != nil else {
            throw ConfigurationError("flag --\(name) takes ECOSYSTEM=\(name == "upstream" ? "URL" : "HOSTS") with an ecosystem of \(Self.known), got '\(UpstreamRequest.redact(value))'")
        }
        let ecosystem = String(value[..<eq])
        let rest = String(value[value.index(after: eq)...])
        if name == "upstream" {
            if URLComponents(string: rest)?.user != nil {
                throw ConfigurationError("flag --upstream \(ecosystem)=…: credentials on the command line are visible to every user of the machine; set \(Self.environmentKey(ecosystem)) or use the config file's auth with password_env or password_file")
            }
            configured[ecosystem] = [try Self.wrap("flag --upstream") { try Upstream(url: rest, setting: "--upstream \(ecosystem)") }]
        } else {
            extraHosts[ecosystem] = try Self.hostList(rest.split(separator: ",").map(String.init), setting: "flag --upstream-artifact-hosts")
        }
        return true
    }

    /// The upstreams of every ecosystem: configured, or the defaults, with extra hosts added.
    /// Throws when a restricted upstream shares its URL with another of its ecosystem: what
    /// Larder fetched from them could not be told apart.
    func resolved() throws -> [String: [Upstream]] {
        var result = Self.defaults()
        for (ecosystem, upstreams) in configured { result[ecosystem] = upstreams }
        for (ecosystem, extra) in extraHosts {
            result[ecosystem] = result[ecosystem, default: []].map { $0.addingArtifactHosts(extra) }
        }
        for upstreams in result.values {
            for restricted in upstreams where restricted.isRestricted {
                if let twin = upstreams.first(where: { $0.id == restricted.id && $0.setting != restricted.setting }) {
                    throw ConfigurationError(
                        "\(restricted.setting) and \(twin.setting) have the same URL \(restricted.baseURL); an upstream with readers needs a URL of its own")
                }
            }
        }
        return result
    }

    // MARK: File values

    private static var known: String { Ecosystems.all.map { $0.name }.joined(separator: ", ") }

    private func list(_ value: Any, setting: String, file: String) throws -> [Upstream] {
        if let url = value as? String { return [try entry(url, setting: setting, name: nil)] }
        if let items = value as? [Any] {
            return try items.enumerated().map { index, item in try entry(item, setting: "\(setting)[\(index)]", name: nil) }
        }
        if let mapping = value as? [String: Any] {
            if mapping["url"] != nil { return [try entry(mapping, setting: setting, name: nil)] }
            // Named upstreams, in name order (a YAML mapping has none of its own).
            return try mapping.keys.sorted().map { name in try entry(mapping[name]!, setting: "\(setting).\(name)", name: name) }
        }
        throw ConfigurationError("\(setting) in config file \(file) must be a URL, a list of upstreams, or a mapping of names to upstreams")
    }

    /// The keys an upstream entry takes (each documented in the README's upstream table).
    static let entryKeys: Set<String> = ["url", "auth", "verify_on_hit", "artifact_hosts", "max_artifact_mb", "max_fill_seconds", "digest_only", "sha256", "readers"]
    private static let authKeys: Set<String> = ["username", "password_env", "password_file", "token_env", "token_file"]

    private func entry(_ value: Any, setting: String, name: String?) throws -> Upstream {
        let fields: [String: Any]
        if let url = value as? String {
            fields = ["url": url]
        } else if let mapping = value as? [String: Any] {
            fields = mapping
        } else {
            throw ConfigurationError("\(setting) must be a URL or a mapping with url, auth, verify_on_hit and artifact_hosts")
        }
        for key in fields.keys where !Self.entryKeys.contains(key) {
            throw ConfigurationError("\(setting) has unknown key '\(key)'; an upstream takes \(Self.entryKeys.sorted().joined(separator: ", "))")
        }
        guard let url = fields["url"] as? String else { throw ConfigurationError("\(setting).url must be given, as an http:// or https:// URL") }
        if URLComponents(string: url)?.user != nil {
            throw ConfigurationError("\(setting).url carries credentials; secrets are never read from the config file's text: use \(setting).auth with password_env, password_file, token_env or token_file")
        }
        let verifyOnHit = try Self.flag(fields["verify_on_hit"], setting: "\(setting).verify_on_hit")
        let digestOnly = try Self.flag(fields["digest_only"], setting: "\(setting).digest_only")
        var hosts: [HostPattern] = []
        if let given = fields["artifact_hosts"] {
            let texts = (given as? [Any])?.map { "\($0)" } ?? (given as? String).map { [$0] }
            guard let texts else { throw ConfigurationError("\(setting).artifact_hosts must be a list of host names") }
            hosts = try Self.hostList(texts, setting: "\(setting).artifact_hosts")
        }
        let credentials = try fields["auth"].map { try self.credentials($0, setting: "\(setting).auth") }
        let maxArtifact = try Self.positive(fields["max_artifact_mb"], setting: "\(setting).max_artifact_mb").map { Int64($0) << 20 } ?? Upstream.defaultMaxArtifactBytes
        let maxFill = try Self.positive(fields["max_fill_seconds"], setting: "\(setting).max_fill_seconds").map { Duration.seconds($0) } ?? Upstream.defaultMaxFillDuration
        var pinned: [String: String] = [:]
        if let given = fields["sha256"] {
            guard let mapping = given as? [String: Any] else { throw ConfigurationError("\(setting).sha256 must be a mapping of paths to SHA-256 digests") }
            for (path, value) in mapping {
                guard let digest = Integrity(algorithm: .sha256, hex: "\(value)") else {
                    throw ConfigurationError("\(setting).sha256.\(path) must be a SHA-256 in hex (64 characters), got '\("\(value)".prefix(100))'")
                }
                pinned[path.hasPrefix("/") ? String(path.dropFirst()) : path] = digest.hex
            }
        }
        let readers = try fields["readers"].map { try Self.readers($0, setting: "\(setting).readers") } ?? []
        return try Self.wrap(setting) {
            try Upstream(
                url: url, setting: setting, name: name, credentials: credentials, artifactHosts: hosts, verifyOnHit: verifyOnHit,
                maxArtifactBytes: maxArtifact, maxFillDuration: maxFill, digestOnly: digestOnly, pinnedSHA256: pinned, readers: readers)
        }
    }

    /// The token names and roles (`read`, `write`, `admin`) an upstream's `readers` lists.
    private static func readers(_ value: Any, setting: String) throws -> [String] {
        let texts = (value as? [Any])?.map { "\($0)" } ?? (value as? String).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        guard let texts, !texts.isEmpty else {
            throw ConfigurationError("\(setting) must be a list of token names and roles (read, write, admin); leave it out to let everyone read the upstream")
        }
        for text in texts where !AccessToken.isValidName(text) {
            throw ConfigurationError("\(setting): '\(text.prefix(100))' is neither a role (read, write, admin) nor a token name (1 to 64 letters, digits, '-', '_' and '.')")
        }
        return texts
    }

    /// A boolean setting, false when not given.
    private static func flag(_ value: Any?, setting: String) throws -> Bool {
        guard let value else { return false }
        guard let bool = value as? Bool else { throw ConfigurationError("\(setting) must be true or false") }
        return bool
    }

    /// A whole number above 0, if given.
    private static func positive(_ value: Any?, setting: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = value as? Int, number > 0 else { throw ConfigurationError("\(setting) must be a whole number above 0, got '\(value)'") }
        return number
    }

    private func credentials(_ value: Any, setting: String) throws -> UpstreamCredentials {
        guard let auth = value as? [String: Any] else {
            throw ConfigurationError("\(setting) must be a mapping: {username: NAME, password_env: VARIABLE} or {token_env: VARIABLE} (or password_file, token_file)")
        }
        for key in auth.keys where !Self.authKeys.contains(key) {
            if key == "password" || key == "token" {
                throw ConfigurationError("\(setting).\(key): secrets are never read from the config file's text; use \(key)_env (an environment variable) or \(key)_file (a file)")
            }
            throw ConfigurationError("\(setting) has unknown key '\(key)'; auth takes \(Self.authKeys.sorted().joined(separator: ", "))")
        }
        let password = try secret(auth, "password", setting: setting)
        let token = try secret(auth, "token", setting: setting)
        switch (auth["username"], password, token) {
        case (let user as String, let password?, nil):
            return .basic(username: user, password: password)
        case (nil, nil, let token?):
            return .bearer(token: token)
        case (_?, nil, _):
            throw ConfigurationError("\(setting).username needs password_env or password_file")
        case (nil, _?, nil):
            throw ConfigurationError("\(setting) has a password but no username")
        default:
            throw ConfigurationError("\(setting) takes either username with password_env or password_file, or token_env or token_file, not both")
        }
    }

    /// The secret named by `<kind>_env` or `<kind>_file`, if either is given.
    private func secret(_ auth: [String: Any], _ kind: String, setting: String) throws -> String? {
        let fromEnv = auth["\(kind)_env"].map { "\($0)" }
        let fromFile = auth["\(kind)_file"].map { "\($0)" }
        switch (fromEnv, fromFile) {
        case (nil, nil):
            return nil
        case (let variable?, nil):
            guard let value = environment[variable], !value.isEmpty else {
                throw ConfigurationError("\(setting).\(kind)_env names \(variable), which is not set in the environment")
            }
            return value
        case (nil, let path?):
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError("\(setting).\(kind)_file: cannot read \(path): \(error.localizedDescription)")
            }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw ConfigurationError("\(setting).\(kind)_file: \(path) is empty") }
            return value
        default:
            throw ConfigurationError("\(setting) takes \(kind)_env or \(kind)_file, not both")
        }
    }

    private static func hostList(_ texts: [String], setting: String) throws -> [HostPattern] {
        try texts.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { text in
            guard let pattern = HostPattern(text) else {
                throw ConfigurationError("\(setting): '\(text)' is not a host name (host, host:port or *.domain)")
            }
            return pattern
        }
    }

    private static func wrap<T>(_ source: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LarderError {
            throw ConfigurationError("\(source): \(error.message)")
        }
    }
}
