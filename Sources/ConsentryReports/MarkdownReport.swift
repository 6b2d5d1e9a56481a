import Foundation
import ConsentryModel
import ConsentryStore

/// Renders a ``RunReport`` as Markdown (CommonMark with GitHub tables) to paste into a ticket.
public enum MarkdownReport {
    /// Heading, rows, headline table, a table per policy by group, rejects by code and, with
    /// several policies, the what-if transitions.
    public static func render(_ report: RunReport) -> String {
        var out = "# consentry run \(report.runID): \(escape(report.status)), \(escape(String(report.startedAt.prefix(10))))\n\n"
        out += "Started \(escape(report.startedAt))"
        if let finished = report.finishedAt { out += ", finished \(escape(finished))" }
        out += ".\n\n"
        if let error = report.error { out += "**Error:** \(escape(error))\n\n" }
        out += "**Rows:** \(ReportRenderer.grouped(report.rowsRead)) read, \(ReportRenderer.grouped(report.rowsScanned)) scanned, "
        out += "\(ReportRenderer.grouped(report.rowsRejected)) rejected (\(String(format: "%.2f%%", report.rejectRate * 100)))\n\n"
        if !report.inputs.isEmpty {
            out += "**Inputs:**\n\n"
            for input in report.inputs {
                out += "- \(escape(input.path)) (\(input.format.rawValue), \(escape(input.compression)), \(ReportRenderer.grouped(input.rowsRead)) rows)\n"
            }
            out += "\n"
        }
        if !report.policies.isEmpty {
            out += "## Independent vs labelled tracks exposed to AI training\n\n"
            out += table(["policy", "independent exposed", "labelled exposed", "gap"], align: [false, true, true, true],
                         report.policies.map { p in
                             [escape(p.id), ReportRenderer.percent(p.independentExposedShare),
                              ReportRenderer.percent(p.labelledExposedShare), ReportRenderer.points(p.exposureGap)]
                         })
            out += "\nLabelled = major + licensed. Exposed = open to `ai_generative_training` or `ai_training` without affirmative consent.\n"
        }
        for policy in report.policies {
            out += "\n## \(escape(policy.id)): \(escape(policy.title))\n\n"
            let header = ["group", "tracks", "exposed", "share"] + AIUse.allCases.map { "`\($0.name)` e / c / b" }
            let rows = ReportGroup.displayOrder.map { group -> [String] in
                let g = policy.group(group)
                return [group.rawValue, ReportRenderer.grouped(g.tracks), ReportRenderer.grouped(g.anyTrainingExposed),
                        ReportRenderer.percent(g.exposedShare)]
                    + AIUse.allCases.map { use in Verdict.allCases.map { ReportRenderer.grouped(g.count(use, $0)) }.joined(separator: " / ") }
            }
            out += table(header, align: [false] + Array(repeating: true, count: header.count - 1), rows)
        }
        if !report.policies.isEmpty {
            out += "\nPer use: exposed / consented / blocked tracks.\n"
        }
        if let declared = report.containsAI {
            out += "\n## Declared AI content (DDEX `ContainsAI`)\n\n"
            let keys = ReportRenderer.containsAICounts(declared, .all).map(\.0)
            out += table(["group"] + keys, align: [false] + keys.map { _ in true },
                         ReportGroup.displayOrder.map { group in
                             [group.rawValue] + ReportRenderer.containsAICounts(declared, group).map { ReportRenderer.grouped($0.1) }
                         })
        }
        if !report.rejectsByCode.isEmpty {
            out += "\n## Rejects by code\n\n"
            let codes = RejectCode.allCases.filter { report.rejectsByCode[$0] != nil }
            out += table(["code", "rejects"], align: [false, true],
                         codes.map { ["`\($0.rawValue)`", ReportRenderer.grouped(report.rejectsByCode[$0]!)] })
            out += "\n`consentry rejects --run \(report.runID)` lists them.\n"
        }
        out += transitions(report)
        return out
    }

    /// One table per pair of policies: the tracks whose verdict changes, by group and use.
    static func transitions(_ report: RunReport) -> String {
        guard report.policies.count > 1 else { return "" }
        guard !report.transitions.isEmpty else { return "\n## What-if\n\nNo track's verdict differs between the policies.\n" }
        var out = ""
        for pair in report.transitionsByPair {
            let first = pair[pair.startIndex]
            out += "\n## What-if: \(escape(first.fromPolicy)) → \(escape(first.toPolicy))\n\n"
            out += table(["group", "use", "change", "tracks"], align: [false, false, false, true],
                         pair.map { t in
                             [t.group.rawValue, "`\(t.use.name)`", "\(t.from.name) → \(t.to.name)", ReportRenderer.grouped(t.tracks)]
                         })
        }
        return out
    }

    /// A GitHub-flavoured table; cells must already be escaped.
    static func table(_ header: [String], align right: [Bool], _ rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |\n" }
        return line(header) + line(right.map { $0 ? "---:" : "---" }) + rows.map(line).joined()
    }

    /// User data (titles, paths, ids) as literal text: characters Markdown or a table could read
    /// as syntax get a backslash (a list or heading marker only at the start), HTML is
    /// neutralised, and line breaks, which would end a table row, become spaces.
    public static func escape(_ text: String) -> String {
        var out = ""
        var leadingDigits = true
        for (index, scalar) in text.unicodeScalars.enumerated() {
            let syntax = "\\`*_[]<>|#~&$".unicodeScalars.contains(scalar)
            let marker = (index == 0 && "-+=".unicodeScalars.contains(scalar))
                || (index > 0 && leadingDigits && (scalar == "." || scalar == ")"))
            if syntax || marker {
                out += "\\"
                out.unicodeScalars.append(scalar)
            } else if scalar == "\n" || scalar == "\r" || scalar == "\t" {
                out += " "
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            leadingDigits = leadingDigits && (48...57).contains(scalar.value)
        }
        return out
    }
}
