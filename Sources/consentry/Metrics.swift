import ConsentryCore
import Foundation

/// Writes Prometheus text-format metrics for node_exporter's textfile collector.
///
/// Written to a temporary file beside the target and renamed over it, so the collector
/// never reads half a file.
enum Metrics {
    static func write(_ report: RunReport, to path: String, started: Date, finished: Date) throws {
        try atomicWrite(ReportMetrics.text(report, started: started, finished: finished), to: path)
    }

    static func writeFailure(to path: String, started: Date) throws {
        try atomicWrite(ReportMetrics.failure(started: started, finished: Date()), to: path)
    }

    static func atomicWrite(_ text: String, to path: String) throws {
        let temporary = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw StoreError(.io, "cannot rename the metrics file into place: \(reason)", file: path)
        }
    }
}
