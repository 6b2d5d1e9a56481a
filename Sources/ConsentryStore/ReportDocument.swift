import Foundation
import GRDB
import ConsentryModel
import ConsentryEngine

/// Everything the rich report formats show about one run, loaded in one call.
public struct ReportDocument: Sendable, Equatable {
    /// How many completed runs the trend charts look back over.
    public static let defaultTrendRuns = 30
    /// How many example lines are shown per reject code.
    public static let defaultExamplesPerCode = 3

    public var report: RunReport
    /// How many runs `trends` looked back over, and how many rejects per code were loaded.
    public var trendRuns: Int
    public var examplesPerCode: Int
    /// Per policy id of the report: the last completed runs that applied it, up to and including
    /// this run (a report of an old run does not show later runs), oldest first.
    public var trends: [String: [TrendPoint]]
    /// Per reject code: the first few rejects of the run in input order. Empty when the run's
    /// reject rows were pruned although its counts remain.
    public var rejectExamples: [RejectCode: [StoredReject]]
    /// The run's tracks by label and by artist, when loaded (``ResultsDatabase/breakdown(runID:by:)``).
    public var labels: RunBreakdown?
    public var artists: RunBreakdown?
    /// Why `artists` is missing although asked for (a run that stored no verdicts).
    public var artistsUnavailable: String?

    public init(report: RunReport, trends: [String: [TrendPoint]] = [:], rejectExamples: [RejectCode: [StoredReject]] = [:],
                trendRuns: Int = defaultTrendRuns, examplesPerCode: Int = defaultExamplesPerCode) {
        self.report = report
        self.trendRuns = trendRuns
        self.examplesPerCode = examplesPerCode
        self.trends = trends
        self.rejectExamples = rejectExamples
    }

    /// The trend of one policy; empty when none was loaded.
    public func trend(_ policyID: String) -> [TrendPoint] { trends[policyID] ?? [] }
}

extension ResultsDatabase {
    /// The report of a run (nil: the latest completed) with each policy's trend and example rejects.
    ///
    /// With `breakdowns`, also the run's tracks by label and by artist (the artists are counted
    /// from the stored verdicts: seconds for millions of tracks).
    public func reportDocument(runID: Int64?, trendRuns: Int = ReportDocument.defaultTrendRuns,
                               examplesPerCode: Int = ReportDocument.defaultExamplesPerCode,
                               breakdowns: Bool = false) throws -> ReportDocument {
        let report = try report(runID: runID)
        var document = try reportDocument(report, trendRuns: trendRuns, examplesPerCode: examplesPerCode)
        guard breakdowns, report.status == "completed" else { return document }
        document.labels = try breakdown(runID: report.runID, by: .label)
        do {
            document.artists = try breakdown(runID: report.runID, by: .artist)
        } catch let error as StoreError where error.kind == .runNotFound {
            document.artistsUnavailable = error.message
        }
        return document
    }

    private func reportDocument(_ report: RunReport, trendRuns: Int, examplesPerCode: Int) throws -> ReportDocument {
        // A second read transaction agrees with the first: a completed run's statistics never
        // change (prune drops only verdict and reject rows), and `through` leaves newer runs out.
        return try read { db in
            var trends: [String: [TrendPoint]] = [:]
            for policy in report.policies {
                trends[policy.id] = try ResultsDatabase.trend(db, policyID: policy.id, last: trendRuns, through: report.runID)
            }
            let examples = try ResultsDatabase.rejectExamples(db, runID: report.runID, perCode: examplesPerCode)
            return ReportDocument(report: report, trends: trends, rejectExamples: examples, trendRuns: trendRuns,
                                  examplesPerCode: examplesPerCode)
        }
    }

    /// The first `perCode` rejects of each code of a run, in input order.
    public func rejectExamples(runID: Int64?, perCode: Int) throws -> [RejectCode: [StoredReject]] {
        try read { db in try ResultsDatabase.rejectExamples(db, runID: try resolveRun(db, runID), perCode: perCode) }
    }

    /// One `LIMIT` seek per known code on the `rejects_by_run (run_id, code)` index: a run with
    /// millions of rejects costs a few dozen row reads, where a window function over the run's
    /// rejects would number every one of them.
    static func rejectExamples(_ db: Database, runID: Int64, perCode: Int) throws -> [RejectCode: [StoredReject]] {
        var examples: [RejectCode: [StoredReject]] = [:]
        guard perCode > 0 else { return examples }
        let statement = try db.cachedStatement(sql: """
            SELECT input, line, byte_offset, code, "column", message, excerpt
            FROM rejects WHERE run_id = ? AND code = ? ORDER BY input_index, byte_offset, rowid LIMIT ?
            """)
        for code in RejectCode.allCases {
            let rows = try Row.fetchAll(statement, arguments: [runID, code.rawValue, perCode]).map(StoredReject.init(row:))
            if !rows.isEmpty { examples[code] = rows }
        }
        return examples
    }

    /// The last `last` completed runs up to and including `through` that applied `policyID`,
    /// oldest first.
    static func trend(_ db: Database, policyID: String, last: Int, through runID: Int64) throws -> [TrendPoint] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.id, r.started_at, r.rows_scanned, p.independent_exposed_share, p.labelled_exposed_share,
                   p.exposure_gap
            FROM runs r JOIN run_policies p ON p.run_id = r.id
            WHERE r.status = 'completed' AND p.policy_id = ? AND r.id <= ?
            ORDER BY r.id DESC LIMIT ?
            """, arguments: [policyID, runID, last])
        return rows.reversed().map { row in
            TrendPoint(runID: row[0], startedAt: row[1], tracks: row[2] ?? 0, independentExposedShare: row[3],
                       labelledExposedShare: row[4], exposureGap: row[5])
        }
    }
}
