import LarderCore

extension Array where Element == Upstream {
    /// The upstreams, each allowed to fetch from the hosts `table` lists for its own host: a
    /// public registry's known download hosts (crates.io's `static.crates.io`), so its default
    /// configuration works without `artifact_hosts`.
    func addingPublicHosts(_ table: [String: [String]]) -> [Upstream] {
        map { upstream in
            let hosts = (table[upstream.origin.host] ?? []).compactMap(HostPattern.init)
            return hosts.isEmpty ? upstream : upstream.addingArtifactHosts(hosts)
        }
    }
}
