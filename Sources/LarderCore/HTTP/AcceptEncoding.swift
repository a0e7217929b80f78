import Foundation

/// A client's `Accept-Encoding` header, read as far as Larder needs: whether it takes gzip.
public enum AcceptEncoding {
    /// Whether `header` accepts gzip: `gzip` or `x-gzip`, or `*`, with a quality above zero;
    /// an explicit `gzip;q=0` refuses it whatever `*` says (RFC 9110 §12.5.3).
    public static func allowsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Double?
        var any: Double?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            switch coding {
            case "gzip", "x-gzip": gzip = quality
            case "*": any = quality
            default: break
            }
        }
        return (gzip ?? any ?? 0) > 0
    }
}
