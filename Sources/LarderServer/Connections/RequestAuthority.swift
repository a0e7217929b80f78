/// The authority (`host[:port]`) a request names, which decides the links Larder writes into
/// its answers when no `base_url` is set, so it is checked as strictly as the HTTP RFCs allow.
enum RequestAuthority {
    /// Whether `value` is a host name, an IPv4 address or a bracketed IPv6 address, with an
    /// optional port: what a `Host` header may hold (RFC 9110 §7.2; no user information).
    static func isValid(_ value: String) -> Bool {
        // Bytes, not Characters: it runs for every request, and Unicode properties cost.
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
        func isNameByte(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2E || b == 0x2D || b == 0x5F }
        var portStart: Int?
        if bytes[0] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let address = bytes[1..<close]
            guard !address.isEmpty, address.contains(UInt8(ascii: ":")),
                address.allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return false }
            if close + 1 < bytes.count {
                guard bytes[close + 1] == UInt8(ascii: ":") else { return false }
                portStart = close + 2
            }
        } else {
            let colon = bytes.firstIndex(of: UInt8(ascii: ":"))
            let host = bytes[..<(colon ?? bytes.count)]
            guard !host.isEmpty, host.allSatisfy(isNameByte) else { return false }
            portStart = colon.map { $0 + 1 }
        }
        if let portStart {
            let port = bytes[portStart...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(isDigit) else { return false }
            guard port.reduce(0, { $0 * 10 + Int($1 - 0x30) }) <= 65535 else { return false }
        }
        return true
    }

    /// An absolute-form request target (`http://host:port/path?query`) split into its authority
    /// and the origin-form target (`/path?query`, bytes unchanged); nil for any other form. RFC
    /// 9112 §3.2.2: a server receiving one uses its authority and ignores `Host`.
    static func absoluteForm(_ target: String) -> (authority: String, target: String)? {
        // Origin-form targets, nearly all of them, start with "/": no work for them.
        guard let first = target.utf8.first, first | 0x20 == UInt8(ascii: "h") else { return nil }
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
