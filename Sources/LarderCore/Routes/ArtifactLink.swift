/// An artifact a metadata document lists: what a miss needs to fetch and verify it. The engine
/// records a document's links when it stores the document, so a miss looks its artifact up in
/// the index instead of parsing the whole document again.
public struct ArtifactLink: Sendable, Equatable {
    /// The name the adapter looks it up by (a file name), unique within its document.
    public var name: String
    /// Where upstream keeps it, as the document says (absolute, or relative to the document).
    public var url: String
    /// The digest the document promises for it.
    public var integrity: Integrity?

    /// Creates a link.
    public init(name: String, url: String, integrity: Integrity?) {
        self.name = name
        self.url = url
        self.integrity = integrity
    }
}

/// What the index knows of one link of a stored document.
public enum RecordedLink: Sendable, Equatable {
    /// The links of that version of the document were never recorded.
    case notRecorded
    /// They were, and the document lists no artifact of that name.
    case absent
    /// The link.
    case found(ArtifactLink)
}
