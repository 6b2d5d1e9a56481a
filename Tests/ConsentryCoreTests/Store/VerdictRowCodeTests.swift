import Testing
@testable import ConsentryCore

@Suite("VerdictRowCode packs a verdicts row into one integer (schema v3)")
struct VerdictRowCodeTests {
    @Test("decisions, label status and policy index come back as they went in, and the policy SQL selects by index",
          arguments: [0, 1, 2, 63, 1 << 20])
    func roundTrip(policy: Int) throws {
        for label in LabelStatus.allCases {
            for decisions: UInt32 in [0, 1, 0x02_01_02_00, 0xFE_01_02_00, .max] {
                let packed = VerdictRowCode.encode(decisions: decisions, label: label, policy: policy)
                #expect(packed >= 0)
                #expect(VerdictRowCode.decisions(packed) == decisions)
                #expect(VerdictRowCode.label(packed) == label)
                #expect(packed >> VerdictRowCode.policyShift == policy)
            }
        }
        #expect(VerdictRowCode.policySQL == "(packed >> 34)")
    }
}
