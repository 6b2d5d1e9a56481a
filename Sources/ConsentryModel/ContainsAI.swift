/// What a recording declares about AI in its making: DDEX ERN 4.3.2's `ContainsAI`
/// (contract §1.5), counted in the statistics as `contains_ai`.
public enum ContainsAI: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    case all = 1
    case partly = 2
    /// `None` (named so that it is never mistaken for `Optional.none`).
    case noAI = 3

    /// The schema's spelling: `All`, `Partly`, `None`.
    public var name: String {
        switch self {
        case .all: return "All"
        case .partly: return "Partly"
        case .noAI: return "None"
        }
    }

    /// The key in reports and the database: `all`, `partly`, `none`.
    public var key: String { name.lowercased() }

    /// The value of a `ContainsAI` element, trimmed; the schema's spelling in any case.
    public init?(text: String) {
        let folded = text.lowercased()
        guard let value = ContainsAI.allCases.first(where: { $0.key == folded }) else { return nil }
        self = value
    }
}

/// How many tracks of each label-status group declare each ``ContainsAI`` value, or
/// nothing (contract §3).
public struct ContainsAICounts: Sendable, Equatable {
    /// `counts[label.rawValue * 4 + declared]`, `declared` 0 for nothing, else the value's raw
    /// value. Flat: the resolver counts every distinct track here.
    public private(set) var counts: [Int]

    /// The key of tracks that declare nothing, beside ``ContainsAI/key``'s.
    public static let undeclaredKey = "undeclared"

    public init() {
        counts = Array(repeating: 0, count: LabelStatus.allCases.count * 4)
    }

    @inline(__always)
    public mutating func add(label: LabelStatus, declared: ContainsAI?, count: Int = 1) {
        counts[Int(label.rawValue) &* 4 &+ Int(declared?.rawValue ?? 0)] &+= count
    }

    public mutating func merge(_ other: ContainsAICounts) {
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Whether any track declared a value: only then are the counts reported.
    public var anyDeclared: Bool { counts.indices.contains { $0 % 4 != 0 && counts[$0] > 0 } }

    /// Tracks of `label` (nil: every group) declaring `declared` (nil: nothing).
    public func count(label: LabelStatus?, declared: ContainsAI?) -> Int {
        let d = Int(declared?.rawValue ?? 0)
        guard let label else { return LabelStatus.allCases.reduce(0) { $0 + counts[Int($1.rawValue) * 4 + d] } }
        return counts[Int(label.rawValue) * 4 + d]
    }
}
