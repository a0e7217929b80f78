import Foundation

/// HTTP content negotiation on `Accept` (RFC 9110 §12.5.1).
public enum MediaRange {
    /// The entry of `available` the client prefers: highest q-value, most specific match,
    /// ties broken by the order of `available` (the server's preference). Nil when the client
    /// accepts none of them; a missing or empty `Accept` accepts the first.
    public static func preferred(_ accept: String?, available: [String]) -> String? {
        guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return available.first }
        let ranges: [(type: String, q: Double)] = accept.split(separator: ",").compactMap { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = fields.first?.lowercased(), !type.isEmpty else { return nil }
            var q = 1.0
            for parameter in fields.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                q = Double(parameter.dropFirst(2)) ?? 0
            }
            return (type, q)
        }
        var best: (type: String, q: Double)?
        for candidate in available {
            let lower = candidate.lowercased()
            let slash = lower.firstIndex(of: "/").map { String(lower[..<$0]) } ?? lower
            // The most specific matching range decides the candidate's quality.
            let match = ranges.filter { $0.type == lower }.first
                ?? ranges.filter { $0.type == slash + "/*" }.first
                ?? ranges.filter { $0.type == "*/*" }.first
            guard let match, match.q > 0 else { continue }
            if best == nil || match.q > best!.q { best = (candidate, match.q) }
        }
        return best?.type
    }
}
