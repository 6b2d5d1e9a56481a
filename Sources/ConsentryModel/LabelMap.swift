import Foundation

/// Label statuses by label name, for exports that name a track's label but not its status
/// (`--label-map`, contract §1.3).
///
/// Names match after trimming spaces and tabs and folding case (ASCII letters byte by byte,
/// other letters by Unicode's full case folding), so `Sony Music ` and `sony music` are one
/// label, and so are `STRASSE` and `Straße`, `ΟΔΟΣ` and `οδος`, which lowercasing keeps
/// apart.
public struct LabelMap: Sendable {
    private var statuses: [String: LabelStatus] = [:]
    /// The file the map was read from, as given (for messages and the run's record).
    public let source: String
    /// The SHA-256 of the file's bytes, so that shards can check they used one map.
    public let sha256: String

    public init(source: String, sha256: String) {
        self.source = source
        self.sha256 = sha256
    }

    public var count: Int { statuses.count }

    /// Adds `label`'s status; returns the status it had if the map already named it.
    @discardableResult
    public mutating func set(_ label: String, _ status: LabelStatus) -> LabelStatus? {
        statuses.updateValue(status, forKey: LabelMap.normalized(Array(label.utf8)))
    }

    /// The status of the label whose trimmed bytes are `label`; nil when the map does not
    /// name it.
    public func status(of label: UnsafeBufferPointer<UInt8>) -> LabelStatus? {
        statuses[LabelMap.normalized(label)]
    }

    /// The key `label` is looked up under: `label` itself, with no copy, when it is already
    /// trimmed lower-case ASCII, as most labels of a catalogue are.
    public static func normalized(_ label: String) -> String {
        let isKey = label.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let first = bytes.first, let last = bytes.last else { return true }
            if first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 { return false }
            for byte in bytes where byte >= 0x80 || (0x41...0x5A).contains(byte) { return false }
            return true
        }
        return isKey == true ? label : normalized(label.utf8)
    }

    /// The key a label name is looked up under.
    public static func normalized(_ bytes: some Collection<UInt8>) -> String {
        var folded: [UInt8] = []
        folded.reserveCapacity(bytes.count)
        var ascii = true
        for byte in bytes.drop(while: { $0 == 0x20 || $0 == 0x09 }) {
            if byte >= 0x80 { ascii = false }
            folded.append((0x41...0x5A).contains(byte) ? byte | 0x20 : byte)
        }
        while let last = folded.last, last == 0x20 || last == 0x09 { folded.removeLast() }
        let text = String(decoding: folded, as: UTF8.self)
        return ascii ? text : text.folding(options: .caseInsensitive, locale: nil)
    }
}
