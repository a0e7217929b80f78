import Foundation
public import LarderCore

/// Turns package URLs into a plan: for each, the ecosystem's catalog names the metadata clients
/// need (which the planner caches) and the releases with their artifacts (which it selects by
/// the package URL's version: exact; a range in the ecosystem's own syntax, every matching
/// version; none, every version). Withdrawn (yanked, deprecated) versions are fetched only when
/// pinned exactly.
public struct MirrorPlanner: Sendable {
    let engine: Engine
    let catalogs: [String: any PackageCatalog]

    /// Creates a planner over the engine and the ecosystems' catalogs.
    public init(engine: Engine, catalogs: [any PackageCatalog]) {
        self.engine = engine
        self.catalogs = Dictionary(catalogs.map { ($0.ecosystem, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Plans `purls`, `concurrency` packages at a time, adding `problems` found while reading
    /// the inputs. The plan keeps the inputs' order.
    public func plan(_ purls: [PackageURL], problems: [MirrorProblem] = [], concurrency: Int = 8) async -> MirrorPlan {
        var parts = [MirrorPlan?](repeating: nil, count: purls.count)
        await withTaskGroup(of: (Int, MirrorPlan).self) { group in
            var next = 0
            func start() {
                guard next < purls.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await self.planOne(purls[index])) }
            }
            for _ in 0..<max(concurrency, 1) { start() }
            while let (index, part) = await group.next() {
                parts[index] = part
                start()
            }
        }
        return MirrorPlan(joining: parts.compactMap { $0 }, problems: problems)
    }

    /// Plans one package URL: its metadata cached, its artifacts selected; what goes wrong is a
    /// problem of the plan.
    func planOne(_ purl: PackageURL) async -> MirrorPlan {
        var plan = MirrorPlan()
        do {
            try await add(purl, to: &plan)
        } catch {
            let message = (error as? LarderError)?.message ?? "\(error)"
            plan.problems.append(MirrorProblem(subject: purl.description, reason: message, kind: .failed))
        }
        return plan
    }

    private func add(_ purl: PackageURL, to plan: inout MirrorPlan) async throws {
        guard let catalog = catalogs[purl.type] else {
            let served = catalogs.keys.sorted().joined(separator: ", ")
            plan.problems.append(MirrorProblem(subject: purl.description, reason: "Larder does not serve \(purl.type) packages yet (it serves \(served))", kind: .unsupported))
            return
        }
        let package = CatalogPackage(namespace: purl.namespace, name: purl.name, qualifiers: purl.qualifiers)
        for route in try catalog.metadataRoutes(for: package, engine: engine) {
            do {
                try await engine.ensureMetadata(route)
                plan.metadataDocuments += 1
            } catch let error as LarderError where error.kind == .notFound {
                // Reading the releases says whether the package exists; a repository may lack
                // a listing (Maven's maven-metadata.xml) and still have the version pinned.
                continue
            }
        }
        let selected: [CatalogRelease]
        if let version = purl.version {
            if let release = try await catalog.release(of: package, version: version, engine: engine) {
                selected = [release]
            } else {
                // Not a version upstream has: a range in the ecosystem's own syntax, or a mistake.
                let range: VersionRange
                do {
                    range = try catalog.versionRange(version)
                } catch {
                    let reason = (error as? LarderError)?.message ?? "\(error)"
                    plan.problems.append(MirrorProblem(subject: purl.description, reason: "upstream has no version '\(version)' of \(package), and it is not a \(purl.type) version range: \(reason)", kind: .failed))
                    return
                }
                let releases = try await catalog.releases(of: package, engine: engine)
                selected = releases.filter { !$0.withdrawn && range.contains($0.version) }
                guard !selected.isEmpty else {
                    let known = releases.suffix(5).map(\.version).joined(separator: ", ") + (releases.count > 5 ? ", …" : "")
                    plan.problems.append(MirrorProblem(subject: purl.description, reason: "upstream has no version matching '\(version)' of \(package) (it has \(known))", kind: .failed))
                    return
                }
            }
        } else {
            selected = try await catalog.releases(of: package, engine: engine).filter { !$0.withdrawn }
        }
        for release in selected {
            let companions = try await catalog.companions(of: release, package: package, engine: engine)
            for artifact in release.artifacts + companions {
                let cached = try await engine.lookup(artifact.route) != nil
                var versioned = "pkg:\(purl.type)/\(package)@\(release.version)"
                if let v = try? PackageURL(type: purl.type, namespace: purl.namespace, name: purl.name, version: release.version, qualifiers: purl.qualifiers) { versioned = v.description }
                plan.artifacts.append(PlannedArtifact(package: versioned, filename: artifact.filename, size: artifact.size, route: artifact.route, cached: cached, optional: artifact.optional))
            }
        }
    }
}
