import ConsentryCore
import Foundation

/// Writes Prometheus text-format metrics for node_exporter's textfile collector.
///
/// Written with ``AtomicFile``, so the collector never reads half a file.
enum Metrics {
    static func write(_ report: RunReport, to path: String, started: Date, finished: Date) throws {
        try AtomicFile.write(ReportMetrics.text(report, started: started, finished: finished), to: path)
    }

    static func writeFailure(to path: String, started: Date) throws {
        try AtomicFile.write(ReportMetrics.failure(started: started, finished: Date()), to: path)
    }
}

/// Replaces a file all at once: the text goes to a temporary file beside the target, which is
/// then renamed over it.
///
/// A reader (a metrics collector, a browser, a web server) sees the old file or the new one,
/// never half of one, and a failed write leaves the old file in place. The temporary file is
/// in the same directory because rename is only atomic within one file system.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            unlink(temporary)
            let reason = (error as NSError).localizedDescription
            throw StoreError(.io, "cannot write the file: \(reason); check that its directory exists and is writable", file: path)
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw StoreError(.io, "cannot rename the temporary file into place: \(reason)", file: path)
        }
    }
}
