import Foundation
import ConsentryModel
import ConsentryStore

/// Renders a ``RunReport`` for people (text) and programs (JSON, contract §5).
public enum ReportRenderer {
    /// Groups in the order the JSON and tables show them.

    // MARK: JSON

    /// The JSON summary exactly in the contract §5 shape (keys in that order).
    public static func json(_ report: RunReport) -> String {
        let w = JSONWriter()
        w.object {
            w.key("run_id"); w.int(Int(report.runID))
            w.key("status"); w.string(report.status)
            if let error = report.error { w.key("error"); w.string(error) }
            w.key("rows")
            w.object {
                w.key("read"); w.int(report.rowsRead)
                w.key("scanned"); w.int(report.rowsScanned)
                w.key("rejected"); w.int(report.rowsRejected)
            }
            w.key("rejects_by_code")
            w.object {
                for code in RejectCode.allCases {
                    if let n = report.rejectsByCode[code] { w.key(code.rawValue); w.int(n) }
                }
            }
            w.key("policies")
            w.object {
                for policy in report.policies {
                    w.key(policy.id)
                    w.object {
                        w.key("independent_exposed_share"); w.number(policy.independentExposedShare)
                        w.key("labelled_exposed_share"); w.number(policy.labelledExposedShare)
                        w.key("exposure_gap"); w.number(policy.exposureGap)
                        w.key("groups")
                        w.object {
                            for group in ReportGroup.displayOrder {
                                let g = policy.group(group)
                                w.key(group.rawValue)
                                w.object {
                                    w.key("tracks"); w.int(g.tracks)
                                    w.key("any_training_exposed"); w.int(g.anyTrainingExposed)
                                    w.key("exposed_share"); w.number(g.exposedShare)
                                    w.key("uses")
                                    w.object {
                                        for use in AIUse.allCases {
                                            w.key(use.name)
                                            w.object {
                                                for verdict in Verdict.allCases {
                                                    w.key(verdict.name); w.int(g.count(use, verdict))
                                                }
                                            }
                                        }
                                    }
                                    if let declared = report.containsAI {
                                        w.key("contains_ai")
                                        w.object {
                                            for (key, value) in containsAICounts(declared, group) {
                                                w.key(key); w.int(value)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            w.key("transitions")
            w.array {
                for t in report.transitions {
                    w.object {
                        w.key("from_policy"); w.string(t.fromPolicy)
                        w.key("to_policy"); w.string(t.toPolicy)
                        w.key("group"); w.string(t.group.rawValue)
                        w.key("use"); w.string(t.use.name)
                        w.key("from"); w.string(t.from.name)
                        w.key("to"); w.string(t.to.name)
                        w.key("tracks"); w.int(t.tracks)
                    }
                }
            }
            // Beyond the contract's keys: rejects counted but not stored (--keep-rejects).
            w.key("rejects_not_kept"); w.int(report.rejectsNotKept)
        }
        return w.text
    }

    /// A group's tracks by declared `ContainsAI`, keyed as the JSON and CSV show them.
    static func containsAICounts(_ counts: ContainsAICounts, _ group: ReportGroup) -> [(String, Int)] {
        ContainsAI.allCases.map { ($0.key, counts.count(label: group.labelStatus, declared: $0)) }
            + [(ContainsAICounts.undeclaredKey, counts.count(label: group.labelStatus, declared: nil))]
    }

    // MARK: Text

    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func percent(_ share: Double?) -> String {
        guard let share else { return "n/a" }
        return String(format: "%.1f%%", share * 100)
    }

    static func points(_ gap: Double?) -> String {
        guard let gap else { return "n/a" }
        return String(format: "%+.1f pts", gap * 100)
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        guard n < width else { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }

    /// A summary a person reads at a glance: totals, rejects, and per policy the headline
    /// figures and a table by label status.
    public static func text(_ report: RunReport) -> String {
        var out = "Run \(report.runID) \(report.status)"
        if let finished = report.finishedAt { out += " at \(finished)" }
        out += "\n"
        // A run that failed recorded no rows and no statistics: its error is what it has.
        if let error = report.error { return out + "Error: \(VisibleText.of(error))\n" }
        out += "Rows: \(grouped(report.rowsRead)) read, \(grouped(report.rowsScanned)) scanned, \(grouped(report.rowsRejected)) rejected (\(String(format: "%.2f%%", report.rejectRate * 100)))\n"
        if !report.rejectsByCode.isEmpty {
            let parts = RejectCode.allCases.compactMap { code in report.rejectsByCode[code].map { "\(code.rawValue) \(grouped($0))" } }
            out += "Rejects: \(parts.joined(separator: ", ")) — `consentry rejects --run \(report.runID)` lists them\n"
            if report.rejectsNotKept > 0 {
                out += "Rejects not stored: \(grouped(report.rejectsNotKept)) counted beyond --keep-rejects (the counts above are exact)\n"
            }
        }
        for input in report.inputs {
            out += "Input: \(input.path) (\(input.format.rawValue), \(input.compression), \(grouped(input.rowsRead)) rows)\n"
        }
        if let labelMap = report.labelMap { out += "Label map: \(labelMap)\n" }
        if let declared = report.containsAI {
            let parts = containsAICounts(declared, .all).map { "\($0.0) \(grouped($0.1))" }
            out += "Declared AI content (DDEX ContainsAI): \(parts.joined(separator: ", "))\n"
        }
        for policy in report.policies {
            out += "\nPolicy \(policy.id) — \(policy.title)\n"
            out += "  Independent tracks exposed to AI training: \(percent(policy.independentExposedShare))"
            out += "   labelled (major + licensed): \(percent(policy.labelledExposedShare))"
            out += "   gap: \(points(policy.exposureGap))\n\n"
            let header = [pad("group", 12), pad("tracks", 10, right: true), pad("exposed", 10, right: true),
                          pad("share", 7, right: true)] + AIUse.allCases.map { pad(shortName($0), 18, right: true) }
            out += "  " + header.joined(separator: " ") + "\n"
            for group in ReportGroup.displayOrder {
                let g = policy.group(group)
                var cells = [pad(group.rawValue, 12), pad(grouped(g.tracks), 10, right: true),
                             pad(grouped(g.anyTrainingExposed), 10, right: true), pad(percent(g.exposedShare), 7, right: true)]
                for use in AIUse.allCases {
                    let triple = Verdict.allCases.map { grouped(g.count(use, $0)) }.joined(separator: "/")
                    cells.append(pad(triple, 18, right: true))
                }
                out += "  " + cells.joined(separator: " ") + "\n"
            }
        }
        out += transitionsText(report)
        if !report.policies.isEmpty {
            out += "\n  exposed = tracks open to ai_generative_training or ai_training without affirmative consent;\n"
            out += "  per use: exposed/consented/blocked.\n"
        }
        return out
    }

    /// Per pair of policies, the tracks whose verdict changes, by group and use.
    static func transitionsText(_ report: RunReport) -> String {
        var out = ""
        for pair in report.transitionsByPair {
            let first = pair[pair.startIndex]
            out += "\nWhat-if \(first.fromPolicy) → \(first.toPolicy): tracks whose verdict changes\n"
            out += "  " + [pad("group", 12), pad("use", 23), pad("change", 22), pad("tracks", 10, right: true)]
                .joined(separator: " ") + "\n"
            for t in pair {
                out += "  " + [pad(t.group.rawValue, 12), pad(t.use.name, 23), pad("\(t.from.name) → \(t.to.name)", 22),
                               pad(grouped(t.tracks), 10, right: true)].joined(separator: " ") + "\n"
            }
        }
        if report.policies.count > 1 && report.transitions.isEmpty {
            out += "\nWhat-if: no track's verdict differs between the policies.\n"
        }
        return out
    }

    static func shortName(_ use: AIUse) -> String {
        switch use {
        case .aiGenerativeTraining: return "gen-training e/c/b"
        case .aiTraining: return "training e/c/b"
        case .aiInference: return "inference e/c/b"
        case .dataMining: return "mining e/c/b"
        }
    }

    /// The `consentry runs` table; `rows` says which per-track rows a completed run still has
    /// (`all`, `exposed`, `none` as scanned with `--store`, or `pruned`).
    public static func runs(_ runs: [RunInfo]) -> String {
        guard !runs.isEmpty else { return "No runs yet.\n" }
        var out = [pad("id", 5, right: true), pad("started", 24), pad("duration", 9, right: true), pad("status", 10),
                   pad("read", 12, right: true), pad("scanned", 12, right: true), pad("rejected", 10, right: true),
                   pad("not kept", 9, right: true), pad("rows", 7), "inputs"]
            .joined(separator: " ") + "\n"
        for run in runs {
            var duration = ""
            if let finished = run.finishedAt, let a = parseISO(run.startedAt), let b = parseISO(finished) {
                duration = String(format: "%.1fs", b.timeIntervalSince(a))
            }
            // An error may quote the input (a header's names).
            let inputs = run.inputs.isEmpty ? VisibleText.of(run.error ?? "") : run.inputs.joined(separator: ", ")
            out += [pad(String(run.id), 5, right: true), pad(run.startedAt, 24), pad(duration, 9, right: true),
                    pad(run.status, 10), pad(run.rowsRead.map(grouped) ?? "-", 12, right: true),
                    pad(run.rowsScanned.map(grouped) ?? "-", 12, right: true),
                    pad(run.rowsRejected.map(grouped) ?? "-", 10, right: true),
                    pad(run.status == "completed" ? grouped(run.rejectsNotKept) : "-", 9, right: true),
                    pad(run.status != "completed" ? "-" : run.prunedAt != nil ? "pruned" : run.storeMode, 7), inputs]
                .joined(separator: " ") + "\n"
        }
        return out
    }

    static func parseISO(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// A minimal JSON writer that keeps keys in the order they are written.
final class JSONWriter {
    private(set) var text = ""
    private var hasElement: [Bool] = []
    private var afterKey = false

    private func comma() {
        guard let last = hasElement.last else { return }
        if last { text += "," }
        hasElement[hasElement.count - 1] = true
    }

    private func beginValue() {
        if afterKey { afterKey = false } else { comma() }
    }

    func object(_ body: () -> Void) {
        beginValue()
        text += "{"
        hasElement.append(false)
        body()
        hasElement.removeLast()
        text += "}"
    }

    func array(_ body: () -> Void) {
        beginValue()
        text += "["
        hasElement.append(false)
        body()
        hasElement.removeLast()
        text += "]"
    }

    func key(_ k: String) {
        comma()
        JSONWriter.escape(k, into: &text)
        text += ":"
        afterKey = true
    }

    func int(_ n: Int) {
        beginValue()
        text += String(n)
    }

    /// A plain JSON number, unrounded, or `null`.
    func number(_ d: Double?) {
        beginValue()
        guard let d, d.isFinite else { text += "null"; return }
        text += "\(d)"
    }

    func bool(_ b: Bool) {
        beginValue()
        text += b ? "true" : "false"
    }

    func null() {
        beginValue()
        text += "null"
    }

    func string(_ s: String) {
        beginValue()
        JSONWriter.escape(s, into: &text)
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
