public import Foundation

/// Evaluates a client's conditional request headers (RFC 9110 §13).
public enum Conditional {
    /// True when the client's copy is current: `If-None-Match` names `etag` (or `*`), or, without
    /// `If-None-Match`, `If-Modified-Since` is not before `lastModified`.
    public static func notModified(_ request: ClientRequest, etag: String, lastModified: Date?) -> Bool {
        if let inm = request.header("if-none-match") {
            let bare = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
            return inm.split(separator: ",").contains { tag in
                let t = tag.trimmingCharacters(in: .whitespaces)
                return t == "*" || t == bare || t == "W/" + bare
            }
        }
        if let ims = request.header("if-modified-since"), let since = HTTPDate.parse(ims), let lastModified {
            return lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        return false
    }
}
