public import Foundation

/// The package URLs a mirror run starts from, gathered from the command line, SBOMs and
/// lockfiles, with what cannot be mirrored reported instead of skipped.
public struct MirrorInputs: Sendable {
    /// Distinct package URLs to plan.
    public private(set) var purls: [PackageURL] = []
    /// Inputs that cannot be mirrored.
    public private(set) var problems: [MirrorProblem] = []
    private var seen = Set<PackageURL>()

    /// No inputs yet.
    public init() {}

    /// A package URL given directly; without a version it means every version.
    public mutating func add(purl text: String) {
        do {
            append(try PackageURL(parsing: text, lenient: true))
        } catch {
            problems.append(MirrorProblem(subject: text, reason: "not a valid package URL: \(error.message)", kind: .failed))
        }
    }

    /// The components of an SBOM. A component without a package URL or a version is reported:
    /// an SBOM lists what was used, so a missing version is unknown, not "every version".
    public mutating func add(sbom data: Data, source: String) throws(SBOMError) {
        let sbom = try SBOM.read(data)
        for component in sbom.components {
            let subject = "\(source): \(component.name.isEmpty ? "unnamed component" : component.name)\(component.version.map { " \($0)" } ?? "")"
            switch component.packageURL {
            case nil:
                problems.append(MirrorProblem(subject: subject, reason: "no package URL in the SBOM", kind: .unsupported))
            case .failure(let error)?:
                problems.append(MirrorProblem(subject: subject, reason: "invalid package URL: \(error.message)", kind: .failed))
            case .success(let purl)? where purl.version == nil:
                problems.append(MirrorProblem(subject: purl.description, reason: "no version in \(source)", kind: .unsupported))
            case .success(let purl)?:
                append(purl)
            }
        }
    }

    /// The pinned packages of a lockfile; entries without a package URL are reported.
    public mutating func add(lockfile data: Data, filename: String?, source: String) throws(LockfileError) {
        let lockfile = try Lockfile.read(data, filename: filename)
        for package in lockfile.packages {
            if let purl = package.packageURL {
                append(purl)
            } else {
                problems.append(MirrorProblem(subject: "\(source): \(package.name)\(package.version.map { " \($0)" } ?? "")", reason: package.problem ?? "no package URL", kind: .unsupported))
            }
        }
    }

    private mutating func append(_ purl: PackageURL) {
        if seen.insert(purl).inserted { purls.append(purl) }
    }
}
