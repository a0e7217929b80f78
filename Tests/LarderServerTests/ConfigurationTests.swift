import Foundation
import LarderCore
import LarderEcosystems
@testable import LarderServer
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static func file(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("larder-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("defaults, then the file, then the environment, then flags: later wins")
    func precedence() throws {
        let path = try Self.file("listen: 127.0.0.1:1111\nmetadata_ttl: 60\ndata_dir: /from/file\nupstreams:\n  pypi: http://file.example/simple\n")
        let onlyFile = try LarderConfiguration.resolve(file: path, environment: [:])
        #expect(onlyFile.port == 1111)
        #expect(onlyFile.engine.metadataTTL == .seconds(60))
        #expect(onlyFile.upstreams["pypi"]?.map(\.baseURL) == ["http://file.example/simple"])

        let env = ["LARDER_LISTEN": "0.0.0.0:2222", "LARDER_DATA_DIR": "/from/env", "LARDER_UPSTREAM_PYPI": "http://env.example/simple"]
        let withEnv = try LarderConfiguration.resolve(file: path, environment: env)
        #expect(withEnv.port == 2222)
        #expect(withEnv.host == "0.0.0.0")
        #expect(withEnv.dataDirectory == "/from/env")
        #expect(withEnv.engine.metadataTTL == .seconds(60))
        #expect(withEnv.upstreams["pypi"]?.map(\.baseURL) == ["http://env.example/simple"])

        let withFlags = try LarderConfiguration.resolve(file: path, environment: env, flags: [("listen", "[::1]:3333"), ("data-dir", "/from/flag")])
        #expect(withFlags.port == 3333)
        #expect(withFlags.host == "::1")
        #expect(withFlags.dataDirectory == "/from/flag")

        let defaults = try LarderConfiguration.resolve(environment: [:])
        #expect(defaults.port == 8080)
        #expect(defaults.host == "127.0.0.1")
        #expect(defaults.dataDirectory == "./larder-data")
        #expect(defaults.upstreams["pypi"]?.isEmpty == true)
        #expect(defaults.upstreams["npm"]?.map(\.baseURL) == ["https://registry.npmjs.org"])
    }

    @Test("bad settings are errors that name the key and where the value came from")
    func errors() throws {
        let unknown = try Self.file("listn: 1\n")
        #expect { try LarderConfiguration.resolve(file: unknown, environment: [:]) } throws: { "\($0)".contains("listn") }
        #expect { try LarderConfiguration.resolve(environment: ["LARDER_METADATA_TTL": "soon"]) } throws: {
            "\($0)".contains("metadata_ttl") && "\($0)".contains("LARDER_METADATA_TTL")
        }
        #expect { try LarderConfiguration.resolve(environment: [:], flags: [("upstream", "npm=ftp://x")]) } throws: { "\($0)".contains("--upstream") }
        #expect { try LarderConfiguration.resolve(environment: [:], flags: [("listen", "nope")]) } throws: { "\($0)".contains("HOST:PORT") }
        let notYAML = try Self.file("listen: [unclosed\n")
        #expect { try LarderConfiguration.resolve(file: notYAML, environment: [:]) } throws: { "\($0)".contains("not valid YAML") }
        #expect { try LarderConfiguration.resolve(file: "/no/such/file.yaml", environment: [:]) } throws: { "\($0)".contains("cannot read") }
    }

    @Test("upstreams: lists, credentials from the environment or a file, verify_on_hit, artifact hosts")
    func structuredUpstreams() throws {
        let secretFile = try Self.file("from-a-file\n")
        let path = try Self.file("""
            upstreams:
              maven:
                - url: http://repo.internal.example/releases
                  auth: {username: ci, password_env: INTERNAL_MAVEN_PASSWORD}
                  verify_on_hit: true
                - url: https://repo.maven.apache.org/maven2/
                  max_artifact_mb: 100
                  max_fill_seconds: 60
              npm:
                url: https://npm.internal.example
                auth: {token_file: \(secretFile)}
              pypi:
                - url: https://pypi.internal.example/simple
                  artifact_hosts: [files.internal.example, "*.cdn.example"]
            """)
        let configuration = try LarderConfiguration.resolve(file: path, environment: ["INTERNAL_MAVEN_PASSWORD": "pw"])
        let maven = try #require(configuration.upstreams["maven"])
        #expect(maven.map(\.baseURL) == ["http://repo.internal.example/releases", "https://repo.maven.apache.org/maven2"])
        #expect(maven[0].hasCredentials && maven[0].verifyOnHit && maven[0].setting == "upstreams.maven[0]")
        #expect(!maven[1].hasCredentials && !maven[1].verifyOnHit)
        #expect(maven[1].maxArtifactBytes == 100 << 20 && maven[1].maxFillDuration == .seconds(60))
        #expect(maven[0].maxArtifactBytes == Upstream.defaultMaxArtifactBytes)
        #expect(configuration.upstreams["npm"]?.first?.hasCredentials == true)
        let pypi = try #require(configuration.upstreams["pypi"]?.first)
        #expect(pypi.artifactHosts.map(\.description) == ["files.internal.example", "*.cdn.example"])
        #expect(pypi.mayFetch(URLOrigin(url: "https://a.cdn.example/x")!))

        // The environment's one-line shortcut replaces the file's list; hosts can be added too.
        let shortcut = try LarderConfiguration.resolve(
            file: path, environment: ["INTERNAL_MAVEN_PASSWORD": "pw", "LARDER_UPSTREAM_MAVEN": "https://env.example/m2", "LARDER_UPSTREAM_PYPI_ARTIFACT_HOSTS": "files.example"])
        #expect(shortcut.upstreams["maven"]?.map(\.baseURL) == ["https://env.example/m2"])
        #expect(shortcut.upstreams["pypi"]?.first?.artifactHosts.map(\.description).contains("files.example") == true)
        let flagged = try LarderConfiguration.resolve(file: path, environment: ["INTERNAL_MAVEN_PASSWORD": "pw"], flags: [("upstream", "maven=https://flag.example/m2")])
        #expect(flagged.upstreams["maven"]?.map(\.baseURL) == ["https://flag.example/m2"])
    }

    @Test("named upstreams keep host names with dots as keys")
    func namedUpstreams() throws {
        let path = try Self.file("""
            upstreams:
              maven:
                registry.terraform.io: https://registry.terraform.io
                mirror.example: {url: https://mirror.example/m2}
              oci:
                pinned: {url: https://registry.example, digest_only: true}
              files:
                tools: https://downloads.example/releases
                assets: {url: https://assets.example, max_artifact_mb: 100}
            """)
        let configuration = try LarderConfiguration.resolve(file: path, environment: [:])
        let maven = try #require(configuration.upstreams["maven"])
        #expect(configuration.upstreams["files"]?.map(\.name) == ["assets", "tools"])
        #expect(configuration.upstreams["oci"]?.first?.digestOnly == true)
        #expect(configuration.upstreams["files"]?.last?.baseURL == "https://downloads.example/releases")
        #expect(maven.map(\.name) == ["mirror.example", "registry.terraform.io"])
        #expect(maven.map(\.setting) == ["upstreams.maven.mirror.example", "upstreams.maven.registry.terraform.io"])
    }

    @Test("upstream mistakes stop Larder with a message naming the setting", arguments: [
        ("upstreams:\n  maven:\n    - url: https://r.example\n      auth: {username: ci, password: hunter2}\n", "never read from the config file"),
        ("upstreams:\n  maven:\n    - url: https://ci:hunter2@r.example\n", "carries credentials"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      auth: {username: ci, password_env: NOT_SET_ANYWHERE}\n", "NOT_SET_ANYWHERE, which is not set"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      auth: {token_file: /no/such/secret}\n", "/no/such/secret"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      verfy_on_hit: true\n", "unknown key 'verfy_on_hit'"),
        ("upstreams:\n  cobol:\n    - url: https://r.example\n", "upstreams.cobol"),
        ("upstreams:\n  maven:\n    - url: ftp://r.example\n", "upstreams.maven[0]"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      artifact_hosts: [\"bad host\"]\n", "artifact_hosts"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      auth: {username: ci}\n", "needs password_env"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      verify_on_hit: often\n", "true or false"),
        ("upstreams:\n  maven:\n    - url: https://r.example\n      max_artifact_mb: -1\n", "max_artifact_mb"),
    ])
    func upstreamErrors(yaml: String, expected: String) throws {
        let path = try Self.file(yaml)
        #expect { try LarderConfiguration.resolve(file: path, environment: [:]) } throws: { "\($0)".contains(expected) && !"\($0)".contains("hunter2") }
    }

    @Test("credentials on the command line are refused; CA files must hold certificates")
    func flagsAndTrust() throws {
        #expect { try LarderConfiguration.resolve(environment: [:], flags: [("upstream", "maven=https://u:p@r.example")]) } throws: { "\($0)".contains("LARDER_UPSTREAM_MAVEN") }
        #expect { try LarderConfiguration.resolve(environment: [:], flags: [("upstream", "cobol=https://r.example")]) } throws: { "\($0)".contains("maven") }
        let notPEM = try Self.file("not a certificate")
        #expect { try LarderConfiguration.resolve(environment: ["SSL_CERT_FILE": notPEM]) } throws: { "\($0)".contains("SSL_CERT_FILE") }
        #expect { try LarderConfiguration.resolve(environment: [:], flags: [("upstream-ca-file", "/no/such.pem")]) } throws: { "\($0)".contains("/no/such.pem") }
        #expect(try LarderConfiguration.resolve(environment: [:], flags: [("verify-on-hit-timeout", "0.5")]).engine.hitCheckTimeout == .milliseconds(500))
        #expect(try LarderConfiguration.resolve(environment: ["LARDER_REVALIDATION_DEADLINE": "0.25"]).engine.revalidationDeadline == .milliseconds(250))
        #expect { try LarderConfiguration.resolve(environment: ["LARDER_REVALIDATION_DEADLINE": "0"]) } throws: { "\($0)".contains("revalidation_deadline") }
    }

    @Test("the README documents every setting by its key, environment variable and flag")
    func documented() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").path, encoding: .utf8)
        for ecosystem in Ecosystems.all.map({ $0.name }) {
            #expect(readme.contains("`upstreams.\(ecosystem)`"), "README does not document upstreams.\(ecosystem)")
            #expect(readme.contains("`LARDER_UPSTREAM_\(ecosystem.uppercased())`"), "README does not document LARDER_UPSTREAM_\(ecosystem.uppercased())")
        }
        for text in ["`--upstream ECOSYSTEM=URL`", "`--upstream-artifact-hosts ECOSYSTEM=HOSTS`", "`LARDER_UPSTREAM_<ECOSYSTEM>_ARTIFACT_HOSTS`", "`SSL_CERT_FILE`", "`password_env`", "`password_file`", "`token_env`", "`token_file`", ] {
            #expect(readme.contains(text), "README does not document \(text)")
        }
        for key in UpstreamSettings.entryKeys {
            #expect(readme.contains("| `\(key)` |"), "README's upstream table does not document \(key)")
        }
        for key in ConfigurationKey.all {
            #expect(readme.contains("`\(key.name)`"), "README does not document \(key.name)")
            #expect(readme.contains("`\(key.environment)`"), "README does not document \(key.environment)")
            #expect(readme.contains("`--\(key.flag)`"), "README does not document --\(key.flag)")
        }
    }
}
