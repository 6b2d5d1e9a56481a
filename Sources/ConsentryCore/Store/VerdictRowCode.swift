/// How a `verdicts` row (schema v3) packs a track's outcome under one policy into its one
/// integer column, `packed`.
///
/// - bits 0–31: the four uses' decisions as ``PolicyEvaluator`` makes them, use *i* at bits
///   8*i*…8*i*+7: the verdict in the low 2 bits (0 exposed, 1 consented, 2 blocked), the
///   deciding rule's index in the high 6 (`policy_rules.rule_index`);
/// - bits 32–33: the label status (0 major, 1 licensed, 2 independent, 3 unknown);
/// - bits 34 and up: the policy's position in the scan (`run_policies.policy_index`).
///
/// Version 2 kept the label status and policy index in columns of their own. One column
/// instead of three makes the bulk insert of a `--store all` scan about a fifth cheaper
/// (two values to bind, copy, check and encode per row instead of four), and the insert runs
/// in the merge, the one serial step of such a scan.
enum VerdictRowCode {
    static let labelShift = 32
    static let policyShift = 34

    static func encode(decisions: UInt32, label: LabelStatus, policy: Int) -> Int64 {
        Int64(decisions) | Int64(label.rawValue) << labelShift | Int64(policy) << policyShift
    }

    static func decisions(_ packed: Int64) -> UInt32 { UInt32(truncatingIfNeeded: packed) }

    static func label(_ packed: Int64) -> LabelStatus {
        // Two bits: every value is a status.
        LabelStatus(rawValue: UInt8(truncatingIfNeeded: packed >> labelShift) & 3)!
    }

    /// SQL for a `verdicts` row's policy index.
    static let policySQL = "(packed >> \(policyShift))"
}
