import ConsentryModel

/// One track's label status and decisions under one policy, in the form history keeps:
/// rule numbers that stay the same across runs and policy revisions instead of the run's
/// rule indexes.
///
/// Bits 0–1: ``LabelStatus``. Use `u` at bits `2 + 15u`: the verdict in 2 bits, then the
/// rule number in 13 (``ruleNumberLimit`` rule ids per policy id and use, over all time).
public enum StableDecisions {
    public static let ruleNumberLimit = 1 << 13
    /// The rule number of a rule index the run's policy does not have (only a damaged
    /// database has one); no rule id carries it.
    public static let unknownRule: UInt16 = UInt16(ruleNumberLimit - 1)

    @inline(__always)
    public static func encode(label: LabelStatus, packed: UInt32, ruleNumbers: [[UInt16]]) -> UInt64 {
        var state = UInt64(label.rawValue)
        for use in 0..<4 {
            let byte = (packed >> (8 * UInt32(use))) & 0xFF
            let verdict = UInt64(byte & 3)
            let index = Int(byte >> 2)
            let rule = UInt64(index < ruleNumbers[use].count ? ruleNumbers[use][index] : unknownRule)
            state |= (verdict | rule << 2) << (2 + 15 * UInt64(use))
        }
        return state
    }

    public static func label(_ state: UInt64) -> LabelStatus { LabelStatus(rawValue: UInt8(state & 3))! }

    /// The verdict of `use`; nil for the code 3, which only a damaged database holds.
    public static func verdict(_ state: UInt64, _ use: AIUse) -> Verdict? {
        Verdict(rawValue: verdictCode(state, use))
    }

    public static func verdictCode(_ state: UInt64, _ use: AIUse) -> UInt8 {
        UInt8((state >> (2 + 15 * UInt64(use.rawValue))) & 3)
    }

    public static func ruleNumber(_ state: UInt64, _ use: AIUse) -> Int {
        Int((state >> (4 + 15 * UInt64(use.rawValue))) & UInt64(ruleNumberLimit - 1))
    }
}
