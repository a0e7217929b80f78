import Foundation
import LarderTesting
import Testing

/// The real `pip`, isolated from the machine's settings and caches, against Larder in front of a
/// fixture PyPI upstream on loopback.
@Suite("pip through Larder", .serialized)
struct PipClientTests {
    /// A project with a dependency, one page in PEP 503 HTML and one in PEP 691 JSON.
    static func publish(_ upstream: FixtureRegistry) {
        upstream.publishPyPI(project: "larder-dep", files: [PackageBuilder.wheel(name: "larder-dep", version: "1.0.0")], format: .json, requiresPython: ">=3.7")
        upstream.publishPyPI(
            project: "larder-demo",
            files: [
                PackageBuilder.wheel(name: "larder-demo", version: "1.0.0", dependencies: ["larder-dep>=1.0"]),
                PackageBuilder.wheel(name: "larder-demo", version: "2.0.0", dependencies: ["larder-dep>=1.0"]),
            ],
            format: .html, yanked: ["larder_demo-2.0.0-py3-none-any.whl"])
    }

    /// Environment that keeps pip away from any user or site configuration and cache.
    static func pipEnvironment(home: String) -> [String: String] {
        ["HOME": home, "PIP_CONFIG_FILE": "/dev/null", "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1"]
    }

    @Test("pip download and pip install of a package with a dependency, then again with the upstream stopped")
    func pipInstallWarmThenOffline() async throws {
        let upstream = try await FixtureRegistry()
        Self.publish(upstream)
        // TTL 0: every page is revalidated while upstream is up, and served stale once it is down.
        let larder = try await TestLarder {
            try $0.setUpstream("pypi", upstream.pypiIndexURL)
            $0.engine.metadataTTL = .seconds(0)
        }
        let index = "\(larder.url)/pypi/simple/"

        try await Self.downloadAndInstall(index: index)
        // 2.0.0 is yanked, so pip picks 1.0.0; the PEP 658 metadata and both wheels went through Larder.
        #expect(upstream.requests(to: "/files/larder_demo-1.0.0-py3-none-any.whl") == 1)
        #expect(upstream.requests(to: "/files/larder_dep-1.0.0-py3-none-any.whl") == 1)
        #expect(upstream.requests(to: "/files/larder_demo-1.0.0-py3-none-any.whl.metadata") == 1)
        let stats = try #require(try await larder.engine.currentStats()["pypi"])
        #expect(stats.hits > 0 && stats.misses > 0)

        await upstream.stop()
        try await Self.downloadAndInstall(index: index)
        #expect(try await larder.engine.currentStats()["pypi"]?.staleServed ?? 0 > 0)
        await larder.stop()
    }

    static func downloadAndInstall(index: String) async throws {
        let work = TestLarder.temporaryDirectory("pip")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let env = pipEnvironment(home: work)
        let downloads = work + "/downloads"
        try await Shell.run(["python3", "-m", "pip", "download", "--no-cache-dir", "--index-url", index, "-d", downloads, "larder-demo"], environment: env, clean: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: downloads).sorted()
        #expect(files == ["larder_demo-1.0.0-py3-none-any.whl", "larder_dep-1.0.0-py3-none-any.whl"])

        let venv = work + "/venv"
        try await Shell.run(["python3", "-m", "venv", venv], environment: env, clean: true)
        try await Shell.run([venv + "/bin/pip", "install", "--no-cache-dir", "--index-url", index, "larder-demo"], environment: env, clean: true)
        let output = try await Shell.run([venv + "/bin/python", "-c", "import larder_demo, larder_dep; print(larder_demo.__version__, larder_dep.__version__)"], environment: env, clean: true)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1.0.0 1.0.0")
    }
}
