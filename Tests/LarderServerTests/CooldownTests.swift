import Foundation
import LarderCore
import LarderPolicy
@testable import LarderServer
import LarderTesting
import NIOCore
import Testing

/// The cooldown: versions younger than their age are left out of metadata and refused, counted
/// from upstream's publish time except for versions that appeared later than Larder's first
/// reading (back-dated) or have no date; exemptions, package settings and the freeze date.
@Suite("Cooldown")
struct CooldownTests {
    static let day: TimeInterval = 86_400

    static func file(_ version: String) -> PackageFile { PackageFile(filename: "left-pad-\(version).tgz", data: Data("tarball \(version)".utf8)) }

    /// Larder in front of `url` for `ecosystem`, with a 3-day cooldown (and metadata that
    /// expires at once, with `expiring`).
    static func cooling(_ ecosystem: String, _ url: String, expiring: Bool = false) async throws -> TestLarder {
        try await TestLarder {
            try $0.setUpstream(ecosystem, url)
            if expiring { $0.engine.metadataTTL = .zero }
            $0.cooldown.defaultAge = 3 * day
        }
    }

    /// Expects `target` to be refused with 403 and an answer that says `reason`.
    static func expectRefused(_ larder: TestLarder, _ target: String, saying reason: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let answer = try await RawHTTP.send(port: larder.port, target: target)
        #expect(answer.status == 403 && answer.text.contains(reason), "\(answer.status) \(answer.text)", sourceLocation: sourceLocation)
    }

    @Test("npm: a version younger than the cooldown is hidden (latest moves back) and refused with the date it comes of age; a back-dated release and an undated one count from when Larder first saw them; an exemption lets one through")
    func npmCooldown() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        upstream.publishNpm(name: "left-pad", versions: [("1.0.0", Self.file("1.0.0"), [:]), ("1.1.0", Self.file("1.1.0"), [:])],
                            published: ["1.0.0": now - 30 * Self.day, "1.1.0": now - 3_600])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.engine.metadataTTL = .zero
            $0.cooldown.defaultAge = 3 * Self.day
        }
        try await larder.stopping(upstream) {
            var listed = try await PackageRuleTests.listed(larder, "left-pad")
            #expect(listed.versions == ["1.0.0"] && listed.latest == "1.0.0")
            let young = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.1.0.tgz")
            #expect(young.status == 403 && young.text.contains("held back by the cooldown of 3d") && young.text.contains("until"), "\(young.text)")
            #expect(upstream.requests(to: "/left-pad/-/left-pad-1.1.0.tgz") == 0)
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.0.0.tgz").text == "tarball 1.0.0")

            // Published after Larder first read the package, but dated 60 days back; and one without a date.
            upstream.publishNpm(name: "left-pad", versions: [("1.2.0", Self.file("1.2.0"), [:]), ("1.3.0", Self.file("1.3.0"), [:])], published: ["1.2.0": now - 60 * Self.day])
            listed = try await PackageRuleTests.listed(larder, "left-pad")
            #expect(listed.versions == ["1.0.0"] && listed.latest == "1.0.0", "\(listed)")
            let backdated = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.2.0.tgz")
            #expect(backdated.status == 403 && backdated.text.contains("appeared after Larder first read the package"), "\(backdated.text)")
            let undated = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.3.0.tgz")
            #expect(undated.status == 403 && undated.text.contains("no publish time"), "\(undated.text)")

            let admin = try await larder.makeToken(.admin, name: "oncall")
            let exemption = try JSONSerialization.data(withJSONObject: ["purl": "pkg:npm/left-pad@1.1.0", "note": "urgent fix for INC-7"])
            let exempted = try await RawHTTP.send(port: larder.port, method: "POST", target: "/api/exemptions", headers: [("Authorization", "Bearer \(admin)"), ("Content-Type", "application/json")], body: exemption)
            #expect(exempted.status == 201, "\(exempted.text)")
            listed = try await PackageRuleTests.listed(larder, "left-pad")
            #expect(listed.versions == ["1.0.0", "1.1.0"] && listed.latest == "1.1.0", "\(listed)")
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.1.0.tgz").text == "tarball 1.1.0")
        }
    }

    @Test("npm ci on a cold cache: tarballs asked straight from a lockfile are dated by the package document, read then; the old one is served, the young one refused")
    func tarballBeforeDocument() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        upstream.publishNpm(name: "left-pad", versions: [("1.0.0", Self.file("1.0.0"), [:]), ("1.1.0", Self.file("1.1.0"), [:])],
                            published: ["1.0.0": now - 30 * Self.day, "1.1.0": now - 3_600])
        let larder = try await Self.cooling("npm", upstream.url)
        try await larder.stopping(upstream) {
            let old = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.0.0.tgz")
            #expect(old.status == 200 && old.text == "tarball 1.0.0", "\(old.text)")
            try await Self.expectRefused(larder, "/npm/left-pad/-/left-pad-1.1.0.tgz", saying: "held back by the cooldown of 3d")
            try await Self.expectRefused(larder, "/npm/left-pad/-/left-pad-9.9.9.tgz", saying: "has not been seen")
        }
    }

    @Test("the first reading of a package believes upstream dates; a version comes of age while Larder runs and then appears (the rendering is remade)")
    func comingOfAge() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        upstream.publishNpm(name: "left-pad", versions: [("1.0.0", Self.file("1.0.0"), [:]), ("1.1.0", Self.file("1.1.0"), [:])], published: ["1.0.0": now - Self.day, "1.1.0": now])
        let cooldown: TimeInterval = 5
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.cooldown.defaultAge = cooldown
        }
        // One document at a time: the two forms may be read either side of the moment.
        let versions = { () async throws -> Set<String> in
            let answer = try await RawHTTP.send(port: larder.port, target: "/npm/left-pad", headers: [("Accept", "application/json")])
            return Set((try PackageRuleTests.json(answer)["versions"] as? [String: Any] ?? [:]).keys)
        }
        try await larder.stopping(upstream) {
            let first = try await versions()
            // Answered before 1.1.0 came of age (a slow machine may get there later: then there is nothing to check).
            if Date() < now + cooldown { #expect(first == ["1.0.0"]) }
            var listed = first
            for _ in 0..<60 where listed.count < 2 {
                try await Task.sleep(for: .milliseconds(250))
                listed = try await versions()
            }
            #expect(listed == ["1.0.0", "1.1.0"], "1.1.0 did not appear after its cooldown")
            #expect(try await PackageRuleTests.listed(larder, "left-pad").versions == ["1.0.0", "1.1.0"])
            #expect(try await RawHTTP.send(port: larder.port, target: "/npm/left-pad/-/left-pad-1.1.0.tgz").status == 200)
        }
    }

    @Test("settings: a package's cooldown overrides its ecosystem's, which overrides the default; the freeze date holds back what came after it, whatever its age")
    func settingsAndFreeze() async throws {
        let upstream = try await FixtureRegistry()
        let now = Date()
        upstream.publishNpm(name: "left-pad", versions: [("1.0.0", Self.file("1.0.0"), [:]), ("1.1.0", Self.file("1.1.0"), [:])], published: ["1.0.0": now - 30 * Self.day, "1.1.0": now - 10 * Self.day])
        upstream.publishNpm(name: "other", versions: [("2.0.0", PackageFile(filename: "other-2.0.0.tgz", data: Data("other".utf8)), [:])], published: ["2.0.0": now - 60])
        let larder = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.cooldown.defaultAge = 100 * Self.day
            $0.cooldown.ecosystems = ["npm": 14 * Self.day]
            $0.cooldown.packages = ["pkg:npm/other": 0]
        }
        try await larder.stopping {
            let leftPad = try await PackageRuleTests.listed(larder, "left-pad").versions
            #expect(leftPad == ["1.0.0"])
            #expect(try await PackageRuleTests.listed(larder, "other").versions == ["2.0.0"])
        }
        let frozen = try await TestLarder {
            try $0.setUpstream("npm", upstream.url)
            $0.cooldown.before = now - 20 * Self.day
        }
        try await frozen.stopping(upstream) {
            let leftPad = try await PackageRuleTests.listed(frozen, "left-pad").versions
            #expect(leftPad == ["1.0.0"])
            let refused = try await RawHTTP.send(port: frozen.port, target: "/npm/left-pad/-/left-pad-1.1.0.tgz")
            #expect(refused.status == 403 && refused.text.contains("after the freeze date"), "\(refused.text)")
            #expect(try await PackageRuleTests.listed(frozen, "other").versions.isEmpty)
        }
    }

    @Test("cooldown settings from a file, the environment and flags; bad ages, dates and package URLs are refused naming the key")
    func configuration() throws {
        let directory = TestLarder.temporaryDirectory("cooldown-config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/larder.yaml"
        try """
            cooldown:
              default: 3d
              ecosystems: {npm: 7d, pypi: 12h}
              packages: {"pkg:npm/left-pad": 0}
              before: 2026-11-01
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try LarderConfiguration.resolve(file: path, environment: [:])
        #expect(fromFile.cooldown.defaultAge == 3 * Self.day && fromFile.cooldown.ecosystems == ["npm": 7 * Self.day, "pypi": 43_200] && fromFile.cooldown.packages == ["pkg:npm/left-pad": 0])
        #expect(fromFile.cooldown.before == Date(timeIntervalSince1970: 1_793_491_200))
        let overridden = try LarderConfiguration.resolve(
            file: path, environment: ["LARDER_COOLDOWN_ECOSYSTEMS": "npm=1d"], flags: [("cooldown-default", "2w"), ("cooldown-before", "2026-11-02T12:00:00Z")])
        #expect(overridden.cooldown.ecosystems == ["npm": Self.day] && overridden.cooldown.defaultAge == 14 * Self.day)
        #expect(overridden.cooldown.before == Date(timeIntervalSince1970: 1_793_620_800))
        for (flag, value) in [("cooldown-default", "3 days"), ("cooldown-default", "-1d"), ("cooldown-default", "99999d"), ("cooldown-before", "yesterday"), ("cooldown-ecosystems", "npm"), ("cooldown-packages", "=3d")] {
            #expect {
                _ = try LarderConfiguration.resolve(environment: [:], flags: [(flag, value)])
            } throws: { error in
                "\(error)".contains(flag.replacingOccurrences(of: "-", with: ".").replacingOccurrences(of: "cooldown.", with: "cooldown."))
            }
        }
    }

    @Test("a cooldown package setting that is not a package URL of a served ecosystem stops Larder with a message")
    func badPackageSetting() async throws {
        for bad in ["left-pad", "pkg:npm/left-pad@1.0.0", "pkg:nonesuch/x"] {
            await #expect {
                _ = try await TestLarder { $0.cooldown.packages = [bad: 0] }
            } throws: { error in
                "\(error)".contains("cooldown.packages")
            }
        }
    }
}
