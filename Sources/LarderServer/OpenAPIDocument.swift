import LarderMirror

/// The OpenAPI 3.1 description of Larder's own HTTP API, served at `/openapi.json`. Tests check
/// that the server's answers match it.
enum OpenAPIDocument {
    static let json = document

    private static let document = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Larder", "version": "0.1.0", "description": "Larder's own API: health, statistics, mirror jobs and package rules. The registries' protocols are served under /pypi/, /npm/ and the other mounts. Requests present a Larder token as a bearer token or as the password of basic credentials; without one they get what the anonymous setting allows. Reads need the read role, declarations and mirror jobs write, blocks and revocations admin."},
      "security": [{"bearerToken": []}, {"basicToken": []}, {}],
      "paths": {
        "/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "Larder is up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
        "/stats": {"get": {"summary": "Cache statistics", "responses": {"200": {"description": "Counters per ecosystem and in total", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}}}}},
        "/api/mirror": {
          "get": {"summary": "List mirror jobs, newest first", "description": "A job started by a token that may read restricted upstreams is listed only for that token, tokens that may read at least as much, and admins.", "responses": {
            "200": {"description": "Jobs", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobList"}}}},
            "404": {"$ref": "#/components/responses/Error"}}},
          "post": {"summary": "Start a mirror job", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MirrorRequest"}}}},
            "responses": {
              "202": {"description": "The job, started", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MirrorJob"}}}},
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/mirror/{id}": {
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "get": {"summary": "A job's state and progress", "responses": {
            "200": {"description": "The job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MirrorJob"}}}},
            "404": {"$ref": "#/components/responses/Error"}}},
          "delete": {"summary": "Cancel a job", "responses": {
            "200": {"description": "The job, cancelled (or already ended)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MirrorJob"}}}},
            "404": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/mirror/{id}/resume": {
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "post": {"summary": "Continue an interrupted, failed or cancelled job; stored artifacts are not fetched again", "responses": {
            "202": {"description": "The job, running again", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MirrorJob"}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "409": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/mirror/{id}/events": {
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "get": {"summary": "Progress as server-sent events: 'progress' events, then one 'end' event; each data is a MirrorJob", "responses": {
            "200": {"description": "An event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            "404": {"$ref": "#/components/responses/Error"}}}
        },
    """# + ruleCollections + #"""
        "/api/audit": {
          "get": {"summary": "The audit log of rule changes, newest first", "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}}],
            "responses": {"200": {"description": "Entries", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditLog"}}}}, "400": {"$ref": "#/components/responses/Error"}}}
        }
      },
      "components": {
        "securitySchemes": {
          "bearerToken": {"type": "http", "scheme": "bearer", "description": "a Larder token (larder token create)"},
          "basicToken": {"type": "http", "scheme": "basic", "description": "any user name, a Larder token as the password"}
        },
        "responses": {"Error": {"description": "What went wrong", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
          "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}},
          "Counters": {"type": "object", "required": ["hits", "misses", "staleServed", "bytesServedFromCache", "bytesFetched", "objects", "storedBytes", "corruptBlobs"],
            "properties": {"hits": {"type": "integer"}, "misses": {"type": "integer"}, "staleServed": {"type": "integer"}, "bytesServedFromCache": {"type": "integer"}, "bytesFetched": {"type": "integer"}, "objects": {"type": "integer"}, "storedBytes": {"type": "integer"}, "corruptBlobs": {"type": "integer", "description": "stored blobs found damaged and quarantined"}}},
          "Stats": {"type": "object", "required": ["ecosystems", "totals", "activeDownloads"], "properties": {
            "ecosystems": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Counters"}},
            "totals": {"$ref": "#/components/schemas/Counters"}, "activeDownloads": {"type": "integer"}}},
          "MirrorRequest": {"type": "object", "additionalProperties": false, "properties": {
            "purls": {"type": "array", "items": {"type": "string"}, "description": "Package URLs; without a version every version, with a range every matching version"},
            "sbom": {"description": "An SBOM: a CycloneDX or SPDX JSON object, or a string holding JSON, XML or SPDX tag-value", "type": ["object", "string"]},
            "lockfile": {"type": "object", "required": ["content"], "properties": {"filename": {"type": "string"}, "content": {"type": "string"}}},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 64, "default": \#(MirrorRunner.defaultConcurrency)}}},
          "Progress": {"type": "object", "required": ["total", "done", "fetched", "skipped", "failed", "notMirrorable", "bytes"],
            "properties": {"total": {"type": "integer"}, "done": {"type": "integer"}, "fetched": {"type": "integer"}, "skipped": {"type": "integer"}, "failed": {"type": "integer"}, "notMirrorable": {"type": "integer"}, "bytes": {"type": "integer"}}},
          "MirrorJob": {"type": "object", "required": ["id", "state", "purls", "inputProblems", "concurrency", "progress", "errors", "createdAt"], "properties": {
            "id": {"type": "string"},
            "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled", "interrupted"]},
            "purls": {"type": "array", "items": {"type": "string"}},
            "inputProblems": {"type": "array", "items": {"type": "string"}},
            "concurrency": {"type": "integer"},
            "submittedBy": {"type": "string", "description": "the name of the token that started the job; the job reads the restricted upstreams that token may read"},
            "progress": {"$ref": "#/components/schemas/Progress"},
            "errors": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
            "createdAt": {"type": "string"}, "startedAt": {"type": "string"}, "finishedAt": {"type": "string"}}},
          "JobList": {"type": "object", "required": ["jobs"], "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/MirrorJob"}}}},
          "RuleRequest": {"type": "object", "required": ["purl", "note"], "additionalProperties": false, "properties": {
            "purl": {"type": "string", "maxLength": 2000, "description": "a package URL: without a version every version, with an exact version or a range in the ecosystem's syntax"},
            "note": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "why, for the audit log"}}},
          "RevocationRequest": {"type": "object", "required": ["purl", "note"], "additionalProperties": false, "properties": {
            "purl": {"type": "string", "maxLength": 2000, "description": "a package URL with a version (or a range)"},
            "note": {"type": "string", "minLength": 1, "maxLength": 2000},
            "purge": {"type": "boolean", "default": false, "description": "delete the version's stored files instead of keeping them in quarantine"}}},
          "NoteRequest": {"type": "object", "required": ["note"], "additionalProperties": false, "properties": {"note": {"type": "string", "minLength": 1, "maxLength": 2000}}},
          "PackageRule": {"type": "object", "required": ["id", "action", "ecosystem", "name", "packageURL", "note", "createdBy", "createdAt", "updatedAt"], "properties": {
            "id": {"type": "integer"}, "action": {"type": "string", "enum": ["declare", "block", "revoke", "exempt"]}, "ecosystem": {"type": "string"},
            "name": {"type": "string", "description": "namespace and name joined by /, normalised as the registry does"},
            "versions": {"type": "string", "description": "an exact version or a range; absent for every version"},
            "packageURL": {"type": "string"}, "note": {"type": "string"}, "createdBy": {"type": "string"}, "createdAt": {"type": "string"}, "updatedAt": {"type": "string"}}},
          "RuleList": {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "array", "items": {"$ref": "#/components/schemas/PackageRule"}}}},
          "StoredFile": {"type": "object", "required": ["key", "sha256", "size"], "properties": {"key": {"type": "string"}, "sha256": {"type": "string"}, "size": {"type": "integer"}}},
          "RuleAnswer": {"type": "object", "required": ["rule"], "properties": {
            "rule": {"$ref": "#/components/schemas/PackageRule"},
            "quarantined": {"type": "array", "items": {"$ref": "#/components/schemas/StoredFile"}, "description": "revocations: the version's stored files, kept and not served"},
            "purged": {"type": "array", "items": {"$ref": "#/components/schemas/StoredFile"}, "description": "revocations with purge: the files deleted"}}},
          "AuditEntry": {"type": "object", "required": ["time", "actor", "change", "action", "ruleID", "packageURL", "note"], "properties": {
            "time": {"type": "string"}, "actor": {"type": "string"}, "change": {"type": "string", "enum": ["added", "amended", "removed", "purged"]},
            "action": {"type": "string", "enum": ["declare", "block", "revoke", "exempt"]}, "ruleID": {"type": "integer"}, "packageURL": {"type": "string"}, "note": {"type": "string"}}},
          "AuditLog": {"type": "object", "required": ["entries"], "properties": {"entries": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}}}
        }
      }
    }
    """#

    /// The paths of the rule collections (`/api/declarations`, `/api/blocks`,
    /// `/api/exemptions`, `/api/revocations`): one template, so they stay alike.
    private static let ruleCollections = [
        ("declarations", "declarations", "RuleRequest"), ("blocks", "blocks", "RuleRequest"),
        ("exemptions", "exemptions (break-glass: no cooldown, no freeze date)", "RuleRequest"), ("revocations", "revocations", "RevocationRequest"),
    ].map { ruleCollection(name: $0.0, listed: $0.1, request: $0.2) }.joined()

    /// The paths of one rule collection, listed as `listed`, whose rules are made with the
    /// schema `request`.
    private static func ruleCollection(name: String, listed: String, request: String) -> String {
        #"""
        "/api/\#(name)": {
          "get": {"summary": "List \#(listed), oldest first", "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}, "description": "only rules whose package URL, note or author contains this (ignoring case)"}],
            "responses": {"200": {"description": "Rules", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RuleList"}}}}, "401": {"$ref": "#/components/responses/Error"}}},
          "post": {"summary": "Make a rule", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/\#(request)"}}}},
            "responses": {
              "201": {"description": "The rule, in force", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RuleAnswer"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
              "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}}
        },
        "/api/\#(name)/{id}": {
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
          "get": {"summary": "One rule", "responses": {"200": {"description": "The rule", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PackageRule"}}}}, "404": {"$ref": "#/components/responses/Error"}}},
          "patch": {"summary": "Replace the rule's note", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NoteRequest"}}}},
            "responses": {"200": {"description": "The amended rule", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PackageRule"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
          "delete": {"summary": "Remove the rule", "parameters": [{"name": "note", "in": "query", "required": true, "schema": {"type": "string"}, "description": "why, for the audit log"}],
            "responses": {"200": {"description": "The removed rule", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PackageRule"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}
        },

        """#
    }
}
