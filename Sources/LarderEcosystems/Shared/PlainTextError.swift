import LarderCore
import NIOCore

extension EngineResponse {
    /// An error as plain text, for clients that print an error answer's body as it is (`go`,
    /// `gem`).
    static func plainText(_ error: LarderError) -> EngineResponse {
        EngineResponse(status: error.status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")] + error.headers,
                       body: .buffer(ByteBuffer(string: error.message + "\n")))
    }
}
