import Foundation
public import LarderCore
import NIOCore

/// A module as the registry protocol names it: `<host>/<namespace>/<name>/<system>`.
struct TerraformModule: Sendable {
    var host: String
    var namespace: String
    var name: String
    var system: String
    var path: String { "\(namespace)/\(name)/\(system)" }
    var keyPrefix: String { "terraform/\(host)/modules/\(path)" }
    /// The package a version of it is: `host/namespace/name/system`.
    func package(version: String? = nil) -> PackageRef { PackageRef("\(host)/\(path)", version: version) }
}

extension TerraformAdapter {
    /// `modules/v1/<host>/<namespace>/<name>/<system>/versions`, `…/<version>/download` and
    /// `…/<version>/archive.<type>`.
    func moduleRequest(_ parts: [String], request: ClientRequest, engine: Engine) async throws -> Resolution {
        let module = TerraformModule(host: parts[0].lowercased(), namespace: parts[1], name: parts[2], system: parts[3])
        try TerraformNames.require(TerraformNames.isLabel, [module.namespace, module.name, module.system], what: "module namespace, name or system")
        let upstream = try upstream(for: module.host, engine: engine)
        switch parts.count {
        case 5 where parts[4] == "versions":
            var route = Route(ecosystem: ecosystem, key: "\(module.keyPrefix)/versions", kind: .metadata, package: module.package(), contentType: "application/json") {
                [try await serviceSource("modules.v1", path: "\(module.path)/versions", of: upstream, engine: engine)]
            }
            route.validate = { body, _ in _ = try TerraformDocuments.decode(TerraformDocuments.ModuleVersions.self, body, what: "a module's version list") }
            route.filterVersions = { document in try TerraformDocuments.filteredModuleVersions(document.body, allowed: document.versions) }
            return .route(route)
        case 6:
            let version = parts[4]
            try TerraformNames.require(TerraformNames.isVersion, [version], what: "module version")
            if parts[5] == "download" {
                return .response(try await moduleDownload(module, version: version, upstream: upstream, engine: engine, baseURL: request.baseURL))
            }
            if parts[5].hasPrefix("archive."), TerraformModuleSource.archiveTypes.contains(String(parts[5].dropFirst(8))) {
                return .route(moduleArchiveRoute(module, version: version, type: String(parts[5].dropFirst(8)), upstream: upstream, engine: engine))
            }
        default: break
        }
        throw LarderError.notFound("no module registry route here: Larder serves …/<namespace>/<name>/<system>/versions and …/<version>/download")
    }

    /// The registry's download answer (a `204` whose `X-Terraform-Get` names the source):
    /// metadata.
    func moduleDownloadRoute(_ module: TerraformModule, version: String, upstream: Upstream, engine: Engine) -> Route {
        var route = Route(ecosystem: ecosystem, key: "\(module.keyPrefix)/\(version)/download", kind: .metadata, package: module.package(version: version)) {
            [try await serviceSource("modules.v1", path: "\(module.path)/\(version)/download", of: upstream, engine: engine)]
        }
        route.acceptsNoContent = true
        route.storedHeaders = ["x-terraform-get"]
        route.requiredHeaders = ["x-terraform-get"]
        return route
    }

    /// The module's source as the registry gives it, and the URL it was given at.
    func moduleSource(_ module: TerraformModule, version: String, upstream: Upstream, engine: Engine) async throws -> (String, String) {
        try await engine.withMetadata(moduleDownloadRoute(module, version: version, upstream: upstream, engine: engine)) { document in
            guard let source = document.entry.headers["x-terraform-get"] else {
                throw LarderError(.upstreamFailed, "the registry for \(module.host) gave no X-Terraform-Get for \(module.path) \(version)")
            }
            return (source, document.sourceURL)
        }
    }

    /// `204` with `X-Terraform-Get`: an HTTP archive rewritten to come through Larder (the
    /// subdirectory kept), any other source unchanged.
    func moduleDownload(_ module: TerraformModule, version: String, upstream: Upstream, engine: Engine, baseURL: String) async throws -> EngineResponse {
        try await engine.checkPolicy(moduleDownloadRoute(module, version: version, upstream: upstream, engine: engine))
        let (source, at) = try await moduleSource(module, version: version, upstream: upstream, engine: engine)
        var location = source
        if let archive = TerraformModuleSource(source, relativeTo: at) {
            location = "\(baseURL)/\(mount)/modules/v1/\(module.host)/\(module.path)/\(version)/archive.\(archive.archive)" + (archive.subdir.isEmpty ? "" : "//\(archive.subdir)")
        }
        return EngineResponse(status: 204, headers: [("X-Terraform-Get", location)])
    }

    /// A module archive: fetched from where the registry's download answer points (checked like
    /// any URL a document names) and kept as an immutable artifact. The registry promises no
    /// digest for it.
    func moduleArchiveRoute(_ module: TerraformModule, version: String, type: String, upstream: Upstream, engine: Engine) -> Route {
        Route(ecosystem: ecosystem, key: "\(module.keyPrefix)/\(version)/archive.\(type)", kind: .artifact, package: module.package(version: version), contentType: "application/octet-stream") {
            let (source, at) = try await moduleSource(module, version: version, upstream: upstream, engine: engine)
            guard let archive = TerraformModuleSource(source, relativeTo: at), archive.archive == type else {
                throw LarderError.notFound("\(module.path) \(version) has no \(type) archive upstream")
            }
            return [Source(request: try upstream.request(url: archive.url))]
        }
    }
}
