import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports
import Foundation

/// Writes Prometheus text-format metrics for node_exporter's textfile collector.
///
/// Written through ``OutputFile`` (temporary file + rename), so the collector never reads
/// half a file; the results database itself is refused as a target.
enum Metrics {
    static func write(_ report: RunReport, to path: String, database: String, started: Date, finished: Date) throws {
        try OutputFile.write(ReportMetrics.text(report, started: started, finished: finished), to: path, protecting: database)
    }

    static func writeFailure(to path: String, database: String, started: Date) throws {
        try OutputFile.write(ReportMetrics.failure(started: started, finished: Date()), to: path, protecting: database)
    }
}
