/// A track's label relationship (contract §1.3); `unsigned` in the data means `independent`.
public enum LabelStatus: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    case major = 0, licensed, independent, unknown

    public var name: String {
        switch self {
        case .major: return "major"
        case .licensed: return "licensed"
        case .independent: return "independent"
        case .unknown: return "unknown"
        }
    }

    /// Accepts the data spellings, `unsigned` included, case-insensitively (ASCII only, as
    /// the decoders' byte-level parser does).
    public init?(name: String) {
        let folded = String(decoding: name.utf8.map { (65...90).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        switch folded {
        case "major": self = .major
        case "licensed": self = .licensed
        case "independent", "unsigned": self = .independent
        case "unknown": self = .unknown
        default: return nil
        }
    }
}
