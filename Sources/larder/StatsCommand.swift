import ArgumentParser
import Foundation
import LarderCore
import LarderServer

/// `larder stats`: the figures of `/stats`, read from the data directory without a server.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show cache statistics from the data directory.")

    @OptionGroup var settings: SettingsOptions
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @Flag(help: "List every plain file (/files/) with its size and SHA-256 instead.")
    var files = false

    func run() async throws {
        let configuration = try settings.resolve()
        let store = try LarderStore(dataDirectory: configuration.dataDirectory)
        if files {
            try await listFiles(store)
            return
        }
        let report = StatsReport(ecosystems: try await store.index.stats(), activeDownloads: 0)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let header = ["ecosystem", "hits", "misses", "stale", "served from cache", "fetched", "objects", "stored", "quarantined"]
        var rows = report.ecosystems.keys.sorted().map { name in row(name, report.ecosystems[name]!) }
        rows.append(row("total", report.totals))
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max()! }
        for line in [header] + rows {
            print(line.indices.map { i in i == 0 ? line[i].padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - line[i].count) + line[i] }.joined(separator: "  "))
        }
    }

    private func row(_ name: String, _ s: EcosystemStats) -> [String] {
        [name, "\(s.hits)", "\(s.misses)", "\(s.staleServed)", byteCountText(s.bytesServedFromCache), byteCountText(s.bytesFetched), "\(s.objects)", byteCountText(s.storedBytes), "\(s.corruptBlobs)"]
    }

    /// Every stored plain file: `<name>/<path>`, size, SHA-256, when it was stored.
    private func listFiles(_ store: LarderStore) async throws {
        let entries = try await store.index.entries(withKeyPrefix: "files/", limit: 1_000_000).filter { $0.kind == .artifact }
        if json {
            let rows = entries.map { ["file": Route.displayKey(String($0.key.dropFirst("files/".count))), "size": "\($0.size)", "sha256": $0.digest, "stored": ISO8601DateFormatter().string(from: $0.storedAt)] }
            print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            return
        }
        for entry in entries {
            print("\(entry.digest)  \(String(repeating: " ", count: max(0, 10 - byteCountText(entry.size).count)))\(byteCountText(entry.size))  \(Route.displayKey(String(entry.key.dropFirst("files/".count))))")
        }
    }
}
