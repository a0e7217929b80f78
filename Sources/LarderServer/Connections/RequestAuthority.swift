/// The authority (`host[:port]`) a request names, which decides the links Larder writes into
/// its answers when no `base_url` is set, so it is checked as strictly as the HTTP RFCs allow.
enum RequestAuthority {
    /// Whether `value` is a host name, an IPv4 address or a bracketed IPv6 address, with an
    /// optional port: what a `Host` header may hold (RFC 9110 §7.2; no user information).
    static func isValid(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 255 else { return false }
        var host = Substring(value)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.contains(":"), address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return false }
                port = rest.dropFirst()
            }
            host = address
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }) else { return false }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), number <= 65535 else { return false }
        }
        return true
    }

    /// An absolute-form request target (`http://host:port/path?query`) split into its authority
    /// and the origin-form target (`/path?query`, bytes unchanged); nil for any other form. RFC
    /// 9112 §3.2.2: a server receiving one uses its authority and ignores `Host`.
    static func absoluteForm(_ target: String) -> (authority: String, target: String)? {
        let lowered = target.prefix(8).lowercased()
        let schemeLength = lowered.hasPrefix("http://") ? 7 : lowered.hasPrefix("https://") ? 8 : 0
        guard schemeLength > 0 else { return nil }
        let rest = target.dropFirst(schemeLength)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<end])
        var origin = String(rest[end...])
        if origin.isEmpty { origin = "/" } else if origin.hasPrefix("?") { origin = "/" + origin }
        return (authority, origin)
    }
}
