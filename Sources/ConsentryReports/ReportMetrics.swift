import Foundation
import ConsentryModel
import ConsentryStore

/// Renders a run as Prometheus text exposition (format 0.0.4) for node_exporter's textfile
/// collector.
public enum ReportMetrics {
    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ d: Double?) -> String {
        guard let d, d.isFinite else { return "NaN" }
        return "\(d)"
    }

    private final class Builder {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
            text += name
            if !labels.isEmpty {
                text += "{" + labels.map { "\($0.0)=\"\(ReportMetrics.escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(value)\n"
        }
    }

    private static func header(_ b: Builder, started: Date, finished: Date, success: Bool) {
        b.family("consentry_last_run_start_timestamp_seconds", "gauge", "Start time of the last scan, in seconds since 1970.")
        b.sample("consentry_last_run_start_timestamp_seconds", [], "\(started.timeIntervalSince1970)")
        b.family("consentry_last_run_success", "gauge", "1 when the last scan completed, 0 when it failed.")
        b.sample("consentry_last_run_success", [], success ? "1" : "0")
        b.family("consentry_last_run_duration_seconds", "gauge", "Wall-clock duration of the last scan.")
        b.sample("consentry_last_run_duration_seconds", [], "\(finished.timeIntervalSince(started))")
    }

    /// Metrics of a failed scan: only start, success 0 and duration.
    public static func failure(started: Date, finished: Date) -> String {
        let b = Builder()
        header(b, started: started, finished: finished, success: false)
        return b.text
    }

    /// Metrics of a completed run.
    public static func text(_ report: RunReport, started: Date, finished: Date) -> String {
        let b = Builder()
        header(b, started: started, finished: finished, success: true)
        b.family("consentry_last_run_id", "gauge", "Id of the last run in the results database.")
        b.sample("consentry_last_run_id", [], "\(report.runID)")
        b.family("consentry_rows", "gauge", "Rows of the last run by state (read, scanned, rejected).")
        b.sample("consentry_rows", [("state", "read")], "\(report.rowsRead)")
        b.sample("consentry_rows", [("state", "scanned")], "\(report.rowsScanned)")
        b.sample("consentry_rows", [("state", "rejected")], "\(report.rowsRejected)")
        b.family("consentry_rejects", "gauge", "Rejected rows of the last run by reject code.")
        for code in RejectCode.allCases {
            b.sample("consentry_rejects", [("code", code.rawValue)], "\(report.rejectsByCode[code] ?? 0)")
        }
        b.family("consentry_tracks", "gauge", "Scanned tracks by policy and label-status group.")
        for p in report.policies {
            for g in ReportGroup.displayOrder {
                b.sample("consentry_tracks", [("policy", p.id), ("group", g.rawValue)], "\(p.group(g).tracks)")
            }
        }
        b.family("consentry_verdicts", "gauge", "Tracks by policy, group, AI use and verdict.")
        for p in report.policies {
            for g in ReportGroup.displayOrder {
                for use in AIUse.allCases {
                    for verdict in Verdict.allCases {
                        b.sample("consentry_verdicts", [("policy", p.id), ("group", g.rawValue), ("use", use.name), ("verdict", verdict.name)],
                                 "\(p.group(g).count(use, verdict))")
                    }
                }
            }
        }
        let headlines: [(String, String, (PolicyReport) -> Double?)] = [
            ("consentry_independent_exposed_share", "Share of independent tracks exposed to AI training.", { $0.independentExposedShare }),
            ("consentry_labelled_exposed_share", "Share of major and licensed tracks exposed to AI training.", { $0.labelledExposedShare }),
            ("consentry_exposure_gap", "Independent minus labelled exposed share.", { $0.exposureGap }),
        ]
        for (name, help, value) in headlines {
            b.family(name, "gauge", help)
            for p in report.policies { b.sample(name, [("policy", p.id)], number(value(p))) }
        }
        return b.text
    }
}
