import ArgumentParser
import Foundation
import LarderCore
import LarderMirror
import LarderServer
import Logging

/// `larder mirror`: fills the cache ahead of time from package URLs, SBOMs and lockfiles.
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "Fetch packages into the cache ahead of time.",
        discussion: """
            Package URLs name packages (pkg:npm/lodash@4.17.21; without a version, every version). \
            SBOMs (CycloneDX, SPDX) and lockfiles (package-lock.json, requirements.txt, Cargo.lock, go.sum, \
            Gemfile.lock, poetry.lock, uv.lock, composer.lock, .terraform.lock.hcl) list pinned packages. Works on the data \
            directory of a running larder serve as well.
            """)

    @Argument(help: "Package URLs to mirror.")
    var purls: [String] = []
    @Option(name: .customLong("sbom"), help: "An SBOM file (CycloneDX or SPDX, JSON, XML or tag-value); repeatable.")
    var sboms: [String] = []
    @Option(name: .customLong("lockfile"), help: "A lockfile; repeatable.")
    var lockfiles: [String] = []
    @Flag(name: .customLong("dry-run"), help: "List what would be fetched, with sizes where the metadata gives them, and fetch nothing.")
    var dryRun = false
    @Option(help: "Upstream requests at a time (package documents and downloads share them).")
    var concurrency = MirrorRunner.defaultConcurrency
    @Option(help: "Read the restricted upstreams (upstreams.<ecosystem>[i].readers) this token may read, by its name, and fill its view of the cache; by default none.")
    var reader: String?
    @OptionGroup var settings: SettingsOptions

    func validate() throws {
        guard concurrency >= 1 && concurrency <= 64 else { throw ValidationError("--concurrency must be between 1 and 64") }
        guard !purls.isEmpty || !sboms.isEmpty || !lockfiles.isEmpty else {
            throw ValidationError("name something to mirror: package URLs, --sbom FILE or --lockfile FILE")
        }
    }

    func run() async throws {
        var configuration = try settings.resolve()
        if settings.logLevel == nil { configuration.logLevel = .warning }
        // Each parallel download holds an upstream connection, a staging file and a blob.
        DescriptorLimit.raiseToHardLimit()
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var inputs = MirrorInputs()
        for purl in purls { inputs.add(purl: purl) }
        for path in sboms {
            do {
                try inputs.add(sbom: try Self.read(path), source: path)
            } catch let error as SBOMError {
                throw ValidationError("\(path) is not a readable SBOM: \(error.message)")
            }
        }
        for path in lockfiles {
            do {
                try inputs.add(lockfile: try Self.read(path), filename: path, source: path)
            } catch let error as LockfileError {
                throw ValidationError("\(path) is not a readable lockfile: \(error.message)")
            }
        }

        let stack = try LarderStack(configuration: configuration, logger: Logger(label: "larder"))
        try await stack.loadRules()
        let grant = try await stack.grant(forTokenNamed: reader)
        if let reader, grant.upstreams.isEmpty {
            print("note: token '\(reader)' may read no restricted upstream (unknown, revoked, or named in no upstream's readers); mirroring what everyone sees")
        }
        try await UpstreamGrant.$current.withValue(grant) { try await mirror(inputs, stack: stack) }
    }

    private func mirror(_ inputs: MirrorInputs, stack: LarderStack) async throws {
        let output = MirrorOutput(terminal: isatty(STDOUT_FILENO) == 1)
        let planner = MirrorPlanner(engine: stack.engine, catalogs: stack.catalogs)
        if dryRun {
            output.line("planning \(inputs.purls.count) package\(inputs.purls.count == 1 ? "" : "s")…")
            let plan = await planner.plan(inputs.purls, problems: inputs.problems, concurrency: concurrency)
            for problem in plan.problems { output.line(Self.describe(problem)) }
            for artifact in plan.artifacts {
                output.line("\(artifact.cached ? "cached" : "would fetch") \(artifact.package) \(artifact.filename)\(artifact.size.map { " (\(byteCountText($0)))" } ?? "")")
            }
            let known = plan.artifacts.filter { !$0.cached }.compactMap(\.size).reduce(0, +)
            output.line("\(plan.artifacts.filter { !$0.cached }.count) to fetch (\(byteCountText(known)) known), \(plan.artifacts.filter(\.cached).count) already cached, \(plan.problems.count) not mirrorable")
            await stack.engine.shutdown()
            if plan.problems.contains(where: { $0.kind == .failed }) { throw ExitCode.failure }
            return
        }

        output.line("mirroring \(inputs.purls.count) package\(inputs.purls.count == 1 ? "" : "s"), \(concurrency) requests at a time…")
        for problem in inputs.problems { output.line(Self.describe(problem)) }
        let run = await MirrorRunner.run(
            inputs.purls, problems: inputs.problems, planner: planner, engine: stack.engine, concurrency: concurrency,
            planned: { part in for problem in part.problems { output.line(Self.describe(problem)) } },
            progress: { event in output.report(event) })
        await stack.engine.shutdown()
        output.finish()
        let (plan, summary) = (run.plan, run.summary)
        for (artifact, reason) in summary.failed { output.line("failed: \(artifact.package) \(artifact.filename): \(reason)") }
        let failedInputs = plan.problems.filter { $0.kind == .failed }.count
        let unsupported = plan.problems.count - failedInputs
        output.line("fetched \(summary.fetched) (\(byteCountText(summary.bytes))), skipped \(summary.skipped) already cached\(summary.absent > 0 ? ", \(summary.absent) optional files not upstream" : ""), failed \(summary.failed.count + failedInputs), not mirrorable \(unsupported); \(plan.metadataDocuments) metadata documents cached")
        if !summary.failed.isEmpty || failedInputs > 0 { throw ExitCode.failure }
    }

    static func describe(_ problem: MirrorProblem) -> String {
        "\(problem.kind == .failed ? "failed" : "not mirrored"): \(problem)"
    }

    static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }
}

/// Progress for `larder mirror`: a bar redrawn in place on a terminal, one line per artifact
/// otherwise.
final class MirrorOutput: @unchecked Sendable {
    private let terminal: Bool
    private let lock = NSLock()
    private var bytes: Int64 = 0

    init(terminal: Bool) { self.terminal = terminal }

    func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if terminal { print("\r\u{1B}[K", terminator: "") }
        print(text)
        fflush(nil)
    }

    func report(_ event: MirrorEvent) {
        lock.lock()
        defer { lock.unlock() }
        let name = "\(event.artifact.package) \(event.artifact.filename)"
        switch event.outcome {
        case .fetched(let count): bytes += count
        case .skipped, .absent, .failed: break
        }
        if terminal {
            let width = 30
            let filled = event.total == 0 ? width : width * event.done / event.total
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            print("\r\u{1B}[K[\(bar)] \(event.done)/\(event.total) \(byteCountText(bytes)) \(name.prefix(60))", terminator: "")
        } else {
            switch event.outcome {
            case .fetched(let count): print("fetched \(name) (\(byteCountText(count)))")
            case .skipped: print("cached \(name)")
            case .absent: print("not upstream (optional) \(name)")
            case .failed(let reason): print("failed \(name): \(reason)")
            }
        }
        fflush(nil)
    }

    func finish() {
        if terminal { print("") }
    }
}
