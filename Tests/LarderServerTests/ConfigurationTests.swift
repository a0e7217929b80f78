import Foundation
import LarderServer
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

    @Test("the README documents every setting by its key, environment variable and flag")
    func documented() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").path, encoding: .utf8)
        for key in ConfigurationKey.all {
            #expect(readme.contains("`\(key.name)`"), "README does not document \(key.name)")
            #expect(readme.contains("`\(key.environment)`"), "README does not document \(key.environment)")
            #expect(readme.contains("`--\(key.flag)`"), "README does not document --\(key.flag)")
        }
    }
}
