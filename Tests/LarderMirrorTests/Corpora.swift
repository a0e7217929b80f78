import Foundation

/// Test material nobody on this project wrote, in `../shared/corpora/` beside the clone.
enum Corpora {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/corpora").standardized
    }

    /// The files under `folder` whose names end in one of `suffixes`.
    static func files(in folder: String, suffixes: [String] = [""]) throws -> [URL] {
        let dir = root.appendingPathComponent(folder)
        let names = try FileManager.default.subpathsOfDirectory(atPath: dir.path)
        return names.filter { name in suffixes.contains { name.hasSuffix($0) } }.sorted().map { dir.appendingPathComponent($0) }
    }
}
