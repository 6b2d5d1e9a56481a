import Foundation
import ConsentryModel
import ConsentryStore

/// Renders `consentry diff` output: text for people, JSON for programs, CSV for spreadsheets.
public enum DiffRenderer {
    static func transitionLines(_ diff: RunDiff) -> [(use: AIUse, from: Verdict, to: Verdict, tracks: Int)] {
        AIUse.allCases.flatMap { use in
            Verdict.allCases.flatMap { from in
                Verdict.allCases.compactMap { to in
                    let n = diff.transitionCount(use, from: from, to: to)
                    return from != to && n > 0 ? (use, from, to, n) : nil
                }
            }
        }
    }

    static func describe(_ change: TrackChange) -> String {
        switch change.kind {
        case .added:
            let b = change.b!
            return "+ \(VisibleText.of(change.trackID)) [\(b.labelStatus.name)] " + AIUse.allCases.map { "\($0.name)=\(b.verdicts[$0.rawValue].name)" }.joined(separator: " ")
        case .removed:
            let a = change.a!
            return "- \(VisibleText.of(change.trackID)) [\(a.labelStatus.name)] " + AIUse.allCases.map { "\($0.name)=\(a.verdicts[$0.rawValue].name)" }.joined(separator: " ")
        case .changed:
            let a = change.a!, b = change.b!
            var parts: [String] = []
            if a.labelStatus != b.labelStatus { parts.append("label_status: \(a.labelStatus.name) → \(b.labelStatus.name)") }
            for use in change.changedUses {
                let u = use.rawValue
                parts.append("\(use.name): \(a.verdicts[u].name) (\(a.rules[u])) → \(b.verdicts[u].name) (\(b.rules[u]))")
            }
            return "~ \(VisibleText.of(change.trackID)) [\(b.labelStatus.name)] " + parts.joined(separator: "; ")
        }
    }

    /// Counts first, then the transitions per use, then the first changes.
    public static func text(_ diff: RunDiff) -> String {
        let g = ReportRenderer.grouped
        var out = "Diff of run \(diff.runA) → run \(diff.runB) under \(diff.policyID)\n"
        if diff.policyChanged {
            out += "Note: the policy's text differs between the two runs; some changes come from the policy, not the catalogue.\n"
        }
        out += "Tracks: \(g(diff.tracksA)) → \(g(diff.tracksB)); \(g(diff.added)) added, \(g(diff.removed)) removed, "
        out += "\(g(diff.changed)) with a changed verdict, \(g(diff.labelChanged)) with a changed label status, \(g(diff.unchanged)) unchanged\n"
        let lines = transitionLines(diff)
        if lines.isEmpty {
            out += "\nNo verdict changed for the tracks in both runs.\n"
        } else {
            out += "\n  " + [ReportRenderer.pad("use", 23), ReportRenderer.pad("change", 22), ReportRenderer.pad("tracks", 10, right: true)]
                .joined(separator: " ") + "\n"
            for l in lines {
                out += "  " + [ReportRenderer.pad(l.use.name, 23), ReportRenderer.pad("\(l.from.name) → \(l.to.name)", 22),
                               ReportRenderer.pad(g(l.tracks), 10, right: true)].joined(separator: " ") + "\n"
            }
        }
        if !diff.examples.isEmpty {
            out += "\nFirst \(diff.examples.count) of \(g(diff.reported)) changed, added or removed tracks (in history order; --limit N for more, --format csv for all):\n"
            for change in diff.examples { out += "  " + describe(change) + "\n" }
        }
        return out
    }

    static func side(_ w: JSONWriter, _ side: TrackChange.Side?) {
        guard let side else { w.null(); return }
        w.object {
            w.key("label_status"); w.string(side.labelStatus.name)
            w.key("uses")
            w.object {
                for use in AIUse.allCases {
                    w.key(use.name)
                    w.object {
                        w.key("verdict"); w.string(side.verdicts[use.rawValue].name)
                        w.key("rule"); w.string(side.rules[use.rawValue])
                    }
                }
            }
        }
    }

    /// One JSON object: counts, `transitions` (every use × from × to, the diagonal included)
    /// and `tracks` (the first changes).
    public static func json(_ diff: RunDiff) -> String {
        let w = JSONWriter()
        w.object {
            w.key("run_a"); w.int(Int(diff.runA))
            w.key("run_b"); w.int(Int(diff.runB))
            w.key("policy_id"); w.string(diff.policyID)
            w.key("policy_changed"); w.bool(diff.policyChanged)
            w.key("tracks_a"); w.int(diff.tracksA)
            w.key("tracks_b"); w.int(diff.tracksB)
            w.key("added"); w.int(diff.added)
            w.key("removed"); w.int(diff.removed)
            w.key("changed"); w.int(diff.changed)
            w.key("label_changed"); w.int(diff.labelChanged)
            w.key("unchanged"); w.int(diff.unchanged)
            w.key("transitions")
            w.object {
                for use in AIUse.allCases {
                    w.key(use.name)
                    w.object {
                        for from in Verdict.allCases {
                            for to in Verdict.allCases {
                                w.key("\(from.name)_to_\(to.name)"); w.int(diff.transitionCount(use, from: from, to: to))
                            }
                        }
                    }
                }
            }
            w.key("tracks")
            w.array {
                for change in diff.examples {
                    w.object {
                        w.key("track_id"); w.string(change.trackID)
                        w.key("change"); w.string(change.kind.rawValue)
                        w.key("a"); side(w, change.a)
                        w.key("b"); side(w, change.b)
                    }
                }
            }
        }
        return w.text
    }

    public static let csvHeader = "track_id,change,use,label_status_a,label_status_b,verdict_a,verdict_b,rule_a,rule_b\n"

    /// CSV rows of one change: one per use that differs (every use of an added or removed
    /// track; a label-only change gets one row with an empty use).
    public static func csvRows(_ change: TrackChange) -> String {
        var uses = change.changedUses.map(Optional.some)
        if uses.isEmpty { uses = [nil] }
        var out = ""
        for use in uses {
            let u = use?.rawValue
            out += [CSVCell.escape(change.trackID), change.kind.rawValue, use?.name ?? "",
                    change.a?.labelStatus.name ?? "", change.b?.labelStatus.name ?? "",
                    u.flatMap { change.a?.verdicts[$0].name } ?? "", u.flatMap { change.b?.verdicts[$0].name } ?? "",
                    CSVCell.escape(u.flatMap { change.a?.rules[$0] } ?? ""), CSVCell.escape(u.flatMap { change.b?.rules[$0] } ?? "")]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}
