import Foundation
import ConsentryModel
import ConsentryStore

/// Renders `consentry trend` and `consentry rejects` output.
public enum TrendRenderer {
    static func change(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b else { return nil }
        return b - a
    }

    /// One row per run: date, tracks, the three headline figures and their change from the
    /// previous run.
    public static func text(_ points: [TrendPoint], policyID: String) -> String {
        guard !points.isEmpty else { return "No completed run applied \(policyID).\n" }
        var out = "Trend of \(policyID) (independent and labelled shares exposed to AI training)\n"
        out += ["run", "started", "tracks", "independent", "Δ", "labelled", "Δ", "gap", "Δ"].enumerated().map { i, h in
            ReportRenderer.pad(h, [5, 24, 11, 12, 10, 10, 10, 10, 10][i], right: i != 1)
        }.joined(separator: " ") + "\n"
        var previous: TrendPoint? = nil
        for p in points {
            let cells = [
                ReportRenderer.pad(String(p.runID), 5, right: true),
                ReportRenderer.pad(p.startedAt, 24),
                ReportRenderer.pad(ReportRenderer.grouped(p.tracks), 11, right: true),
                ReportRenderer.pad(ReportRenderer.percent(p.independentExposedShare), 12, right: true),
                ReportRenderer.pad(previous.map { ReportRenderer.points(change($0.independentExposedShare, p.independentExposedShare)) } ?? "", 10, right: true),
                ReportRenderer.pad(ReportRenderer.percent(p.labelledExposedShare), 10, right: true),
                ReportRenderer.pad(previous.map { ReportRenderer.points(change($0.labelledExposedShare, p.labelledExposedShare)) } ?? "", 10, right: true),
                ReportRenderer.pad(ReportRenderer.points(p.exposureGap), 10, right: true),
                ReportRenderer.pad(previous.map { ReportRenderer.points(change($0.exposureGap, p.exposureGap)) } ?? "", 10, right: true),
            ]
            out += cells.joined(separator: " ") + "\n"
            previous = p
        }
        return out
    }

    /// A JSON array of runs with the figures and their changes (null for the first run).
    public static func json(_ points: [TrendPoint], policyID: String) -> String {
        let w = JSONWriter()
        w.object {
            w.key("policy_id"); w.string(policyID)
            w.key("runs")
            w.array {
                var previous: TrendPoint? = nil
                for p in points {
                    w.object {
                        w.key("run_id"); w.int(Int(p.runID))
                        w.key("started_at"); w.string(p.startedAt)
                        w.key("tracks"); w.int(p.tracks)
                        w.key("independent_exposed_share"); w.number(p.independentExposedShare)
                        w.key("labelled_exposed_share"); w.number(p.labelledExposedShare)
                        w.key("exposure_gap"); w.number(p.exposureGap)
                        w.key("independent_change"); w.number(change(previous?.independentExposedShare, p.independentExposedShare))
                        w.key("labelled_change"); w.number(change(previous?.labelledExposedShare, p.labelledExposedShare))
                        w.key("gap_change"); w.number(change(previous?.exposureGap, p.exposureGap))
                    }
                    previous = p
                }
            }
        }
        return w.text
    }

    /// CSV with a header row; empty cells for unknown values.
    public static func csv(_ points: [TrendPoint], policyID: String) -> String {
        func cell(_ d: Double?) -> String { d.map { "\($0)" } ?? "" }
        var out = "run_id,started_at,policy_id,tracks,independent_exposed_share,labelled_exposed_share,exposure_gap,independent_change,labelled_change,gap_change\n"
        var previous: TrendPoint? = nil
        for p in points {
            out += [String(p.runID), p.startedAt, CSVCell.escape(policyID), String(p.tracks), cell(p.independentExposedShare),
                    cell(p.labelledExposedShare), cell(p.exposureGap),
                    cell(change(previous?.independentExposedShare, p.independentExposedShare)),
                    cell(change(previous?.labelledExposedShare, p.labelledExposedShare)),
                    cell(change(previous?.exposureGap, p.exposureGap))].joined(separator: ",") + "\n"
            previous = p
        }
        return out
    }

    /// `input:line: code [column]: message` and the excerpt on one line, newlines shown as ⏎
    /// (``VisibleText``: both may quote the record).
    public static func rejects(_ rejects: [StoredReject]) -> String {
        var out = ""
        for r in rejects {
            let column = r.column.map { " [\(VisibleText.of($0))]" } ?? ""
            out += "\(r.input):\(r.line): \(r.code)\(column): \(VisibleText.of(r.message)) | \(VisibleText.of(r.excerpt))\n"
        }
        return out
    }
}

/// CSV cell quoting, with spreadsheet formula injection neutralised.
public enum CSVCell {
    /// Quotes when needed; a cell starting with `=`, `+`, `-` or `@` gets a leading `'` so a
    /// spreadsheet shows it as text instead of running it.
    public static func escape(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        // By byte: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
