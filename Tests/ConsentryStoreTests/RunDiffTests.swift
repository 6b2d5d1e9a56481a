import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("diff: a streaming merge join of two runs' verdicts")
struct RunDiffTests {
    static let night1 = """
        track_id,label_status,genai_opt_in,ai_opt_out
        a,independent,,
        b,independent,,
        c,major,,
        d,independent,,
        gone,unknown,,
        ab,independent,,

        """
    // b opts in to generative training, c loses its label, d opts out (no change under
    // 2025-05), gone is removed, new and "a b" are added; ab stays. "a" < "a b" < "ab" in bytes.
    static let night2 = """
        track_id,label_status,genai_opt_in,ai_opt_out
        ab,independent,,
        d,independent,,yes
        c,independent,,
        b,independent,yes,
        new,licensed,,
        a,independent,,
        a b,independent,,

        """

    static func twoRuns(_ dir: TempDir, policies: [String] = ["soundcloud-2025-05", "soundcloud-opt-out"],
                        store: StoreMode = .all) throws {
        try scanTestScan(dir.db, inputs: [try dir.write("n1.csv", night1)], policies: try policies.map(BuiltInPolicies.policy), store: store)
        try scanTestScan(dir.db, inputs: [try dir.write("n2.csv", night2)], policies: try policies.map(BuiltInPolicies.policy), store: store)
    }

    /// Track ids in history order: by their hash, then their bytes.
    static func historyOrder(_ ids: [String]) -> [String] {
        ids.sorted { a, b in
            let ha = TrackHash.of(a), hb = TrackHash.of(b)
            return ha != hb ? ha < hb : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
    }

    @Test("counts, per-use transitions and the changes in history order")
    func counts() throws {
        let dir = try TempDir("diff")
        try Self.twoRuns(dir)
        let db = try ResultsDatabase(path: dir.db, create: false)
        var visited: [String] = []
        let diff = try db.diff(runA: 1, runB: 2, policy: nil, limit: 2) { visited.append("\($0.kind.rawValue) \($0.trackID)") }
        #expect(diff.policyID == "soundcloud-2025-05", "the first policy both runs applied")
        #expect(diff.tracksA == 6 && diff.tracksB == 7)
        #expect(diff.added == 2 && diff.removed == 1)
        #expect(diff.changed == 2, "b (consent) and c (label)")
        #expect(diff.labelChanged == 1)
        #expect(diff.unchanged == 3, "a, d, ab")
        #expect(diff.transitionCount(.aiGenerativeTraining, from: .blocked, to: .consented) == 1)
        #expect(diff.transitionCount(.aiTraining, from: .blocked, to: .exposed) == 1)
        #expect(diff.transitionCount(.aiInference, from: .exposed, to: .exposed) == 5)
        // Every track in both runs is on the diagonal or off it, once per use.
        for use in AIUse.allCases {
            let total = Verdict.allCases.flatMap { f in Verdict.allCases.map { diff.transitionCount(use, from: f, to: $0) } }.reduce(0, +)
            #expect(total == 5)
        }
        let kinds = ["a b": "added", "b": "changed", "c": "changed", "gone": "removed", "new": "added"]
        let order = Self.historyOrder(Array(kinds.keys))
        #expect(visited == order.map { "\(kinds[$0]!) \($0)" })
        #expect(diff.reported == 5)
        #expect(diff.examples.map(\.trackID) == Array(order.prefix(2)), "limit 2")
        let c = try #require(try db.diff(runA: 1, runB: 2, policy: nil, limit: 10).examples.first { $0.trackID == "c" })
        #expect(c.a?.labelStatus == .major && c.b?.labelStatus == .independent)
        #expect(c.changedUses == [.aiTraining])
        #expect(c.a?.rules[AIUse.aiTraining.rawValue] == "licensed-excluded")
        #expect(diff.policyChanged == false)
    }

    @Test("--policy picks another policy; under opt-out d's opt-out is a change")
    func otherPolicy() throws {
        let dir = try TempDir("diffpolicy")
        try Self.twoRuns(dir)
        let db = try ResultsDatabase(path: dir.db, create: false)
        let diff = try db.diff(runA: 1, runB: 2, policy: "soundcloud-opt-out", limit: 10)
        #expect(diff.changed == 3)
        #expect(diff.transitionCount(.aiTraining, from: .exposed, to: .blocked) == 1)
        let d = try #require(diff.examples.first { $0.trackID == "d" })
        #expect(d.b?.rules[AIUse.aiTraining.rawValue] == "opted-out")
    }

    @Test("runs without full verdict rows, unknown runs and policies are refused with what to do")
    func refusals() throws {
        let none = try TempDir("diffnone")
        try Self.twoRuns(none, store: .none)
        let db = try ResultsDatabase(path: none.db, create: false)
        let e1 = thrownError { try db.diff(runA: 1, runB: 2, policy: nil, limit: 1) } as? StoreError
        #expect(e1?.message.contains("--store none") == true && e1?.description.contains("--store all") == true)

        let exposed = try TempDir("diffexposed")
        try Self.twoRuns(exposed, store: .exposed)
        let e2 = thrownError { try ResultsDatabase(path: exposed.db, create: false).diff(runA: 1, runB: 2, policy: nil, limit: 1) } as? StoreError
        #expect(e2?.message.contains("--store exposed") == true)

        let full = try TempDir("diffmissing")
        try Self.twoRuns(full)
        let fdb = try ResultsDatabase(path: full.db, create: false)
        #expect((thrownError { try fdb.diff(runA: 1, runB: 9, policy: nil, limit: 1) } as? StoreError)?.kind == .runNotFound)
        let e3 = thrownError { try fdb.diff(runA: 1, runB: 2, policy: "soundcloud-2024-02", limit: 1) } as? StoreError
        #expect(e3?.message.contains("did not apply policy 'soundcloud-2024-02'") == true)

        let disjoint = try TempDir("diffdisjoint")
        try scanTestScan(disjoint.db, inputs: [try disjoint.write("n1.csv", Self.night1)], policies: try ["soundcloud-2024-02"].map(BuiltInPolicies.policy))
        try scanTestScan(disjoint.db, inputs: [try disjoint.write("n2.csv", Self.night2)], policies: try ["soundcloud-opt-out"].map(BuiltInPolicies.policy))
        let e4 = thrownError { try ResultsDatabase(path: disjoint.db, create: false).diff(runA: 1, runB: 2, policy: nil, limit: 1) } as? StoreError
        #expect(e4?.message.contains("no policy in common") == true)
    }

    @Test("a run diffed with itself has no changes; a changed policy text is flagged")
    func identityAndPolicyChange() throws {
        let dir = try TempDir("diffself")
        try Self.twoRuns(dir)
        let db = try ResultsDatabase(path: dir.db, create: false)
        let same = try db.diff(runA: 2, runB: 2, policy: nil, limit: 10)
        #expect(same.reported == 0 && same.unchanged == 7 && same.examples.isEmpty)

        let edited = try TempDir("diffedited")
        let yaml = try BuiltInPolicies.yaml("soundcloud-2025-05")
        let open = try PolicyLoader.load(yaml: yaml.replacingOccurrences(of: "verdict: blocked", with: "verdict: exposed"), origin: "open.yaml")
        try scanTestScan(edited.db, inputs: [try edited.write("n1.csv", Self.night1)], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        try scanTestScan(edited.db, inputs: [try edited.write("n1.csv", Self.night1)], policies: [open])
        let diff = try ResultsDatabase(path: edited.db, create: false).diff(runA: 1, runB: 2, policy: nil, limit: 0)
        #expect(diff.policyChanged)
        #expect(diff.changed > 0 && diff.examples.isEmpty)
    }

    @Test("history's id order matches SQLite's BINARY collation: unsigned bytes, a prefix first")
    func byteOrder() {
        func cmp(_ a: String, _ b: String) -> Int {
            Array(a.utf8).withUnsafeBytes { x in Array(b.utf8).withUnsafeBytes { y in TrackOrder.compareIDs(x, y) } }
        }
        #expect(cmp("a", "ab") < 0)
        #expect(cmp("ab", "a") > 0)
        #expect(cmp("a", "a") == 0)
        #expect(cmp("", "a") < 0)
        #expect(cmp("Z", "a") < 0)
        #expect(cmp("é", "z") > 0, "0xC3 sorts after 0x7A")
    }
}
