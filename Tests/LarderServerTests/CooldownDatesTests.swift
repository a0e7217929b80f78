import Foundation
import LarderCore
import LarderTesting
import NIOCore
import Testing

/// Cooldowns in ecosystems whose versions are dated by other documents than the one that lists
/// them (Go: each version's `.info`), or that date only some (Cargo: `pubtime` on recent index
/// lines; NuGet: each version's registration leaf). Versions are dated once each, as they first appear, and a
/// file asked straight from a lockfile is dated before it is judged.
@Suite("Cooldown dates")
struct CooldownDatesTests {
    static let day: TimeInterval = 86_400

    static func publishGo(_ upstream: FixtureRegistry, _ module: String, _ versions: [(String, Date?)]) {
        for (version, published) in versions {
            upstream.publishGoModule(module, version: version, goMod: "module \(module)\n", zip: PackageFile(filename: "\(version).zip", data: Data("zip \(version)".utf8)), published: published)
        }
    }

    @Test("go: the list's versions are dated from their .info, each read once; a young one is left out of the list, refused, and not offered as @latest; a back-dated and an undated new version count from when they appeared")
    func goList() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        let module = "larder.test/Lib"
        Self.publishGo(upstream, module, [("v1.0.0", now - 30 * Self.day), ("v1.1.0", now - 3_600)])
        let larder = try await CooldownTests.cooling("go", upstream.url, expiring: true)
        try await larder.stopping(upstream) {
            let list = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!lib/@v/list")
            #expect(list.status == 200 && list.text == "v1.0.0\n", "\(list.text)")
            #expect(upstream.requests(to: "/larder.test/!lib/@v/v1.0.0.info") == 1 && upstream.requests(to: "/larder.test/!lib/@v/v1.1.0.info") == 1)
            try await CooldownTests.expectRefused(larder, "/go/larder.test/!lib/@v/v1.1.0.info", saying: "pkg:golang/larder.test/Lib@v1.1.0 is held back by the cooldown of 3d")
            let zip = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!lib/@v/v1.1.0.zip")
            #expect(zip.status == 403)
            #expect(upstream.requests(to: "/larder.test/!lib/@v/v1.1.0.zip") == 0)
            let latest = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!lib/@latest")
            #expect(latest.status == 404 && latest.text.contains("v1.1.0"), "\(latest.text)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!lib/@v/v1.0.0.mod").text == "module \(module)\n")

            // Asked again: the versions already dated are not read again.
            _ = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!lib/@v/list")
            #expect(upstream.requests(to: "/larder.test/!lib/@v/v1.0.0.info") == 1)

            // Published after Larder first read the module, one dated 60 days back and one undated.
            Self.publishGo(upstream, module, [("v1.2.0", now - 60 * Self.day), ("v1.3.0", nil)])
            let later = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/!lib/@v/list")
            #expect(later.text == "v1.0.0\n", "\(later.text)")
            try await CooldownTests.expectRefused(larder, "/go/larder.test/!lib/@v/v1.2.0.mod", saying: "appeared after Larder first read the package")
            try await CooldownTests.expectRefused(larder, "/go/larder.test/!lib/@v/v1.3.0.mod", saying: "no publish time")
        }
    }

    @Test("go: a listed version whose .info is not an info document, or never comes, stays undated and hidden; the list is still answered, once the silent .info times out")
    func goLyingAndSilentInfo() async throws {
        let upstream = try await FixtureRegistry()
        let module = "larder.test/lib"
        Self.publishGo(upstream, module, [("v1.0.0", Date() - 30 * Self.day), ("v1.1.0", Date() - 30 * Self.day), ("v1.2.0", Date() - 30 * Self.day)])
        upstream.set("/larder.test/lib/@v/v1.1.0.info", body: ByteBuffer(string: "<html>sign in</html>"), contentType: "text/html")
        let gate = FixtureGate()
        upstream.set("/larder.test/lib/@v/v1.2.0.info", FixtureRegistry.Resource(body: ByteBuffer(string: "{}"), contentType: "application/json", fault: .gate(gate)))
        let larder = try await TestLarder {
            try $0.setUpstream("go", upstream.url)
            $0.cooldown.defaultAge = 3 * Self.day
            // Long enough for the list on a loaded machine; the silent .info costs this once.
            $0.timeouts.read = .seconds(5)
        }
        try await larder.stopping(upstream) {
            defer { gate.open() }
            let list = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/lib/@v/list")
            #expect(list.status == 200 && list.text == "v1.0.0\n", "\(list.status) \(list.text)")
            #expect(gate.arrived == 1)
            try await CooldownTests.expectRefused(larder, "/go/larder.test/lib/@v/v1.1.0.mod", saying: "has not been seen")
        }
    }

    @Test("go on a cold cache: .mod and .zip asked straight from go.mod and go.sum are dated by the list first; a pseudo-version, never listed, by its own .info; an unreadable list leaves the version refused, saying why")
    func goLockfile() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        let module = "larder.test/lib"
        let pseudo = "v0.0.0-20260101000000-abcdefabcdef"
        Self.publishGo(upstream, module, [("v1.0.0", now - 30 * Self.day), ("v1.1.0", now - 3_600)])
        let larder = try await CooldownTests.cooling("go", upstream.url)
        try await larder.stopping {
            let mod = try await RawHTTP.send(port: larder.port, target: "/go/larder.test/lib/@v/v1.0.0.mod")
            #expect(mod.status == 200, "\(mod.text)")
            #expect(upstream.requests(to: "/larder.test/lib/@v/list") == 1)
            #expect(try await RawHTTP.send(port: larder.port, target: "/go/larder.test/lib/@v/v1.1.0.zip").status == 403)
        }

        // A module whose first sighting is a pseudo-version (a module without tags lists nothing).
        let other = try await FixtureRegistry()
        Self.publishGo(other, "larder.test/untagged", [(pseudo, now - 30 * Self.day)])
        other.set("/larder.test/untagged/@v/list", body: .init(), contentType: "text/plain")
        let fresh = try await CooldownTests.cooling("go", other.url)
        try await fresh.stopping(other) {
            let mod = try await RawHTTP.send(port: fresh.port, target: "/go/larder.test/untagged/@v/\(pseudo).mod")
            #expect(mod.status == 200, "\(mod.text)")
            #expect(other.requests(to: "/larder.test/untagged/@v/\(pseudo).info") == 1)
        }
        await upstream.stop()

        // Upstream gone: nothing can date the version, and the refusal says what failed.
        let offline = try await CooldownTests.cooling("go", upstream.url)
        try await offline.stopping {
            let refused = try await RawHTTP.send(port: offline.port, target: "/go/larder.test/lib/@v/v1.0.0.mod")
            #expect(refused.status == 403 && refused.text.contains("has not been seen") && refused.text.contains("reading its package's metadata failed"), "\(refused.text)")
        }
    }

    @Test("cargo: index lines are dated by pubtime, an older line without one by the next dated line; a young version is left out of the index and refused; a crate asked from Cargo.lock on a cold cache is dated by the index first; a crate with no dated line is held back whole")
    func cargo() async throws {
        let upstream = try await FixtureRegistry()
        upstream.publishCargoConfig(.plain)
        let now = Date()
        let crate = { (version: String) in PackageFile(filename: "larder-lib-\(version).crate", data: Data("crate \(version)".utf8)) }
        upstream.publishCrate(name: "larder-lib", version: "1.0.0", file: crate("1.0.0"))
        upstream.publishCrate(name: "larder-lib", version: "1.1.0", file: crate("1.1.0"), published: now - 30 * Self.day)
        upstream.publishCrate(name: "larder-lib", version: "1.2.0", file: crate("1.2.0"), published: now - 3_600)
        upstream.publishCrate(name: "old-lib", version: "0.1.0", file: PackageFile(filename: "old-lib-0.1.0.crate", data: Data("old".utf8)))
        let larder = try await CooldownTests.cooling("cargo", upstream.url)
        try await larder.stopping(upstream) {
            let cold = try await RawHTTP.send(port: larder.port, target: "/cargo/api/v1/crates/larder-lib/1.0.0/download")
            #expect(cold.status == 200 && cold.text == "crate 1.0.0", "\(cold.text)")
            let index = try await RawHTTP.send(port: larder.port, target: "/cargo/la/rd/larder-lib")
            let versions = index.text.split(separator: "\n").compactMap { line in (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["vers"] as? String }
            #expect(versions == ["1.0.0", "1.1.0"], "\(index.text)")
            try await CooldownTests.expectRefused(larder, "/cargo/api/v1/crates/larder-lib/1.2.0/download", saying: "held back by the cooldown of 3d")
            #expect(upstream.requests(to: "/crates/larder-lib/1.2.0/download") == 0)
            try await CooldownTests.expectRefused(larder, "/cargo/api/v1/crates/old-lib/0.1.0/download", saying: "no publish time")
        }
    }

    @Test("nuget: the flat container's versions are dated by their registration leaves; a young one is left out of the list and the registration page and refused; an unlisted one (dated 1900) counts as undated; a package asked from a lock file on a cold cache is dated by the list first")
    func nuget() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        upstream.publishNuGetPackage(id: "Larder.Lib", versions: ["1.0.0", "1.1.0", "1.2.0"], published: ["1.0.0": now - 30 * Self.day, "1.1.0": now - 3_600], unlisted: ["1.2.0"])
        let larder = try await CooldownTests.cooling("nuget", upstream.url + "/v3/index.json")
        try await larder.stopping(upstream) {
            let cold = try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.lib/1.0.0/larder.lib.1.0.0.nupkg")
            #expect(cold.status == 200, "\(cold.text) \(upstream.received.map(\.path))")
            let list = try await RawHTTP.send(port: larder.port, target: "/nuget/v3-flatcontainer/larder.lib/index.json")
            #expect(try JSONSerialization.jsonObject(with: Data(list.text.utf8)) as? [String: [String]] == ["versions": ["1.0.0"]], "\(list.text)")
            for version in ["1.1.0", "1.2.0"] {
                try await CooldownTests.expectRefused(larder, "/nuget/v3-flatcontainer/larder.lib/\(version)/larder.lib.\(version).nupkg", saying: "held back by the cooldown")
            }
            #expect(upstream.requests(to: "/v3-flatcontainer/larder.lib/1.1.0/larder.lib.1.1.0.nupkg") == 0)
            let page = try await RawHTTP.send(port: larder.port, target: "/nuget/v3/registration/larder.lib/page/1.0.0/1.2.0.json", headers: [("Accept-Encoding", "identity")])
            #expect(page.status == 200 && page.text.contains("\"1.0.0\"") && !page.text.contains("1.1.0.nupkg") && !page.text.contains("1.2.0.nupkg"), "\(page.text)")
        }
    }
}
