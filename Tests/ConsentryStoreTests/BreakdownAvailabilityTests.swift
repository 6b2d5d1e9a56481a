import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("Which runs have breakdowns: labels from the statistics, artists only from stored verdicts (contract §3, §4.1)")
struct BreakdownAvailabilityTests {
    static let csv = """
        track_id,label_status,label,artist_id,genai_opt_in
        a,independent,Tiny,ann,
        b,major,Sony,bob,
        c,independent,tiny,ann,yes
        d,unknown,,,
        e,licensed,Orchard,bob,

        """

    static let policies = ["soundcloud-2025-05", "soundcloud-opt-out"]

    /// The error `breakdown(runID:by:)` throws, as a store error.
    static func refusal(_ db: String, run: Int64, by field: Breakdown.Field) throws -> StoreError? {
        let database = try ResultsDatabase(path: db, create: false)
        return thrownError { try database.breakdown(runID: run, by: field) } as? StoreError
    }

    /// Under soundcloud-2025-05 independent and unknown tracks are open to ai_training.
    static let expectedLabels = ["Tiny 2/2", " 1/1", "Orchard 1/0", "Sony 1/0"]

    @Test("--store all: both breakdowns; --store exposed and none: labels only, the artist breakdown refused with runNotFound")
    func storeModes() throws {
        let dir = try TempDir("availability")
        let input = try dir.write("n.csv", Self.csv)
        let policies = try Self.policies.map(BuiltInPolicies.policy)
        let all = try scanTestScan(dir.db, inputs: [input], policies: policies, store: .all)
        let exposed = try scanTestScan(dir.db, inputs: [input], policies: policies, store: .exposed)
        let none = try scanTestScan(dir.db, inputs: [input], policies: policies, store: StoreMode.none)
        let database = try ResultsDatabase(path: dir.db, create: false)
        for run in [all.runID, exposed.runID, none.runID] {
            let labels = try database.breakdown(runID: run, by: .label)
            #expect(storedBreakdownLines(labels, policy: Self.policies[0]) == Self.expectedLabels, "run \(run)")
        }
        let artists = try database.breakdown(runID: all.runID, by: .artist)
        #expect(storedBreakdownLines(artists, policy: Self.policies[0]) == ["ann 2/2", "bob 2/0", " 1/1"])
        // The opt-out policy decides the same tracks.
        #expect(artists.breakdown.rows(policy: 1).map(\.tracks).reduce(0, +) == 5)

        let exposedError = try #require(try Self.refusal(dir.db, run: exposed.runID, by: .artist))
        #expect(exposedError.kind == .runNotFound)
        #expect(exposedError.message.contains("--store exposed"), "\(exposedError.message)")
        let noneError = try #require(try Self.refusal(dir.db, run: none.runID, by: .artist))
        #expect(noneError.kind == .runNotFound)
        #expect(noneError.message.contains("--store none"), "\(noneError.message)")
        // The latest completed run (nil) is the --store none one.
        #expect((thrownError { try database.breakdown(runID: nil, by: .artist) } as? StoreError)?.kind == .runNotFound)
        // Still, the first run's artists read as before.
        #expect(try database.breakdown(runID: all.runID, by: .artist) == artists)
    }

    @Test("a pruned run keeps its label breakdown; its artist breakdown is refused with runNotFound; a failed run has neither")
    func prunedAndFailed() throws {
        let dir = try TempDir("availability")
        let input = try dir.write("n.csv", Self.csv)
        let policies = try Self.policies.map(BuiltInPolicies.policy)
        let first = try scanTestScan(dir.db, inputs: [input], policies: policies)
        _ = thrownError { try scanTestScan(dir.db, inputs: [dir.file("missing.csv")], policies: policies) }
        let last = try scanTestScan(dir.db, inputs: [input], policies: policies)
        let database = try ResultsDatabase(path: dir.db, create: false)
        let artistsBefore = try database.breakdown(runID: first.runID, by: .artist)
        #expect(try Pruner.prune(databasePath: dir.db, keep: 1).prunedRuns == [first.runID])

        #expect(storedBreakdownLines(try database.breakdown(runID: first.runID, by: .label), policy: Self.policies[1]).count == 4)
        let pruned = try #require(try Self.refusal(dir.db, run: first.runID, by: .artist))
        #expect(pruned.kind == .runNotFound)
        #expect(pruned.message.contains("prune"), "\(pruned.message)")
        #expect(try database.breakdown(runID: last.runID, by: .artist).breakdown == artistsBefore.breakdown)

        let failedRun = first.runID + 1
        #expect(try SQLite(dir.db, readOnly: true).run(failedRun)["status"]?.string == "failed")
        for field in Breakdown.Field.allCases {
            #expect(try Self.refusal(dir.db, run: failedRun, by: field)?.kind == .runNotFound, "\(field)")
        }
        #expect(try Self.refusal(dir.db, run: 99, by: .label)?.kind == .runNotFound)
    }
}
