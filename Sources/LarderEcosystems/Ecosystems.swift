public import LarderCore

/// How an ecosystem plugs into Larder: its name (the Package URL type, the key under `upstreams`
/// in the configuration, and the mount point), the upstreams it uses when none is configured,
/// and how its adapter is built over the configured ones.
public protocol Ecosystem: EcosystemAdapter {
    /// The Package URL type (`maven`), also the `upstreams.<name>` key and the `/<name>/` mount.
    static var name: String { get }
    /// Upstream URLs used when none is configured; empty when the user must choose one.
    static var defaultUpstreams: [String] { get }
    /// Builds the adapter over `upstreams`, tried in order (possibly none: its routes then answer
    /// 503 naming the setting).
    init(upstreams: [Upstream])
    /// Builds the adapter over `upstreams`, with the platforms (`os_arch`) whose
    /// platform-specific artifacts the mirror fetches. Ecosystems without such artifacts ignore
    /// them (the default).
    init(upstreams: [Upstream], mirrorPlatforms: [String])
}

extension Ecosystem {
    public init(upstreams: [Upstream], mirrorPlatforms: [String]) {
        self.init(upstreams: upstreams)
    }

    public var ecosystem: String { Self.name }
    public var mount: String { Self.name }

    /// The settings that configure this ecosystem's upstreams, for error messages.
    public static var upstreamSetting: String {
        "LARDER_UPSTREAM_\(name.uppercased()) (upstreams.\(name) in the config file)"
    }

    /// The error for a request when no upstream is configured.
    public static func notConfigured(_ what: String) -> LarderError {
        LarderError(.notConfigured, "the \(what) upstream is not configured: set \(upstreamSetting)")
    }
}

/// Every ecosystem Larder serves. Adding one touches its own folder, its tests and this list;
/// the configuration, the server and the mirror find it here.
public enum Ecosystems {
    /// The ecosystems, in the order their mounts are listed.
    public static let all: [any Ecosystem.Type] = [PyPIAdapter.self, NpmAdapter.self, MavenAdapter.self, FilesAdapter.self, OCIAdapter.self, TerraformAdapter.self, DebianAdapter.self, CargoAdapter.self, GoAdapter.self, RubyGemsAdapter.self, ComposerAdapter.self, NuGetAdapter.self]

    /// The ecosystem called `name`.
    public static func named(_ name: String) -> (any Ecosystem.Type)? {
        all.first { $0.name == name }
    }
}

extension Array where Element == Upstream {
    /// The upstream with identifier `id` (where a stored entry came from), else the first.
    public func upstream(withID id: String?) -> Upstream? {
        first { $0.id == id } ?? first
    }
}
