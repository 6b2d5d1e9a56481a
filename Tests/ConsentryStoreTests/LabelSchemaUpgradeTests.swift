import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("Schema v5: older databases gain labels and artists in place (contract §4)")
struct LabelSchemaUpgradeTests {
    /// The policy the v1 rows below were scanned with: one rule per use.
    static let policyYAML = """
        id: p
        title: P
        source: unit test
        uses:
          ai_generative_training:
            - id: r0
              verdict: exposed
          ai_training:
            - id: r1
              verdict: blocked
          ai_inference:
            - id: r2
              verdict: consented
          data_mining:
            - id: r3
              verdict: blocked
        """

    @Test("a v1 run upgraded through history to v5 has no labels and every track under no artist; the next scan's artists begin periods")
    func upgradeThenScanWithArtists() throws {
        let dir = try TempDir("dbv5")
        try scanTestDatabase(dir, schema: "v1")
        try SQLite(dir.db).execute("""
            INSERT INTO runs (id, started_at, finished_at, status, rows_read, rows_scanned, rows_rejected, tool_version, store_mode, command_line)
                VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'completed', 2, 2, 0, '0.1.0', 'all', 'consentry scan');
            INSERT INTO run_policies VALUES (1, 0, 'p', 'sha', 'yaml', 'P', 'p.yaml', 1.0, NULL, NULL);
            INSERT INTO policy_rules VALUES (1, 0, 0, 0, 'r0', 'exposed'), (1, 0, 1, 0, 'r1', 'blocked'),
                (1, 0, 2, 0, 'r2', 'consented'), (1, 0, 3, 0, 'r3', 'blocked');
            INSERT INTO verdicts (rowid, run_id, policy_index, track_id, label_status, verdicts)
                VALUES (7, 1, 0, 't1', 2, \(0x02_01_02_00)), (9, 1, 0, 't2', 0, \(0x02_01_02_00));
            """)
        let database = try ResultsDatabase(path: dir.db, create: false)
        let known = try SQLite(dir.db, readOnly: true).lines("SELECT identifier FROM grdb_migrations")
        #expect(known == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        let columns = try SQLite(dir.db, readOnly: true).lines("SELECT name FROM pragma_table_info('runs')")
        #expect(Set(["label_map", "label_map_sha256", "work_dir"]).isSubset(of: Set(columns)))

        // The old run: no label rows, both tracks under the empty artist.
        #expect(try database.breakdown(runID: 1, by: .label).breakdown.count == 0)
        let oldArtists = try database.breakdown(runID: 1, by: .artist)
        #expect(storedBreakdownLines(oldArtists, policy: "p") == [" 2/2"])

        // The next scan, same verdicts, t1 now with an artist and a label.
        let input = try dir.write("n.csv", "track_id,label_status,label,artist_id\nt1,independent,Tiny,Ann\nt2,major,,\n")
        let next = try scanTestScan(dir.db, inputs: [input], policies: [try PolicyLoader.load(yaml: Self.policyYAML, origin: "p.yaml")])
        #expect(next.status == "completed")
        #expect(storedBreakdownLines(try database.breakdown(runID: next.runID, by: .artist), policy: "p") == [" 1/1", "Ann 1/1"])
        #expect(storedBreakdownLines(try database.breakdown(runID: next.runID, by: .label), policy: "p") == [" 1/1", "Tiny 1/1"])
        #expect(try database.breakdown(runID: 1, by: .artist) == oldArtists, "the old run reads as before")
        // Only t1 changed (its artist); t2 cost nothing.
        #expect(try SQLite(dir.db, readOnly: true).lines("SELECT track_id FROM history_ends WHERE to_run = \(next.runID)") == ["t1"])
        #expect(try SQLite(dir.db, readOnly: true).lines("SELECT entries FROM history_packs WHERE from_run = \(next.runID)")
                .joined().contains("\"Ann\""))
        let history = try database.trackHistory("t1", policy: "p")
        let changes = history.policies.first?.changes ?? []
        #expect(changes.map(\.runID) == [1, next.runID])
        #expect(changes.last?.before?.artist == "" && changes.last?.after?.artist == "Ann")
        #expect(changes.last?.before?.verdicts == changes.last?.after?.verdicts)
    }
}
