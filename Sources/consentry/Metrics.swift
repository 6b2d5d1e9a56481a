import ConsentryCore
import Foundation

/// Writes Prometheus text-format metrics for node_exporter's textfile collector.
///
/// Written through ``OutputFile`` (temporary file + rename), so the collector never reads
/// half a file; the results database itself is refused as a target.
enum Metrics {
    static func write(_ report: RunReport, to path: String, database: String, started: Date, finished: Date) throws {
        try replace(path, database: database, with: ReportMetrics.text(report, started: started, finished: finished))
    }

    static func writeFailure(to path: String, database: String, started: Date) throws {
        try replace(path, database: database, with: ReportMetrics.failure(started: started, finished: Date()))
    }

    /// Replaces `path` with `text` all at once.
    static func replace(_ path: String, database: String, with text: String) throws {
        let file = try OutputFile(replacing: path, protecting: database)
        do {
            try file.write(text)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }
}
