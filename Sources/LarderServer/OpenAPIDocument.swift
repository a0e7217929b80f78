import LarderMirror

/// The OpenAPI 3.1 description of Larder's own HTTP API, served at `/openapi.json`. Tests check
/// that the server's answers match it.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Larder", "version": "0.1.0", "description": "Larder's own API: health, statistics and mirror jobs. The registries' protocols are served under /pypi/ and /npm/."},
      "paths": {
        "/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "Larder is up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
        "/stats": {"get": {"summary": "Cache statistics", "responses": {"200": {"description": "Counters per ecosystem and in total", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}}}}},
        "/api/mirror": {
          "get": {"summary": "List mirror jobs, newest first", "responses": {
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
        }
      },
      "components": {
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
            "progress": {"$ref": "#/components/schemas/Progress"},
            "errors": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
            "createdAt": {"type": "string"}, "startedAt": {"type": "string"}, "finishedAt": {"type": "string"}}},
          "JobList": {"type": "object", "required": ["jobs"], "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/MirrorJob"}}}}
        }
      }
    }
    """#
}
