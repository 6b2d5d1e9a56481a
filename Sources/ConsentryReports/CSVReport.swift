import Foundation
import ConsentryModel
import ConsentryStore

/// Renders a ``RunReport``'s statistics as long-format CSV for spreadsheets and data frames.
///
/// One row per policy × group × use, so a pivot table or `group_by` needs no reshaping; the
/// per-group columns (`tracks`, `any_training_exposed`, `exposed_share`) repeat on the group's
/// four rows. `started_at` lets the CSVs of several nightly reports be appended and charted
/// over time without the database. The what-if transitions follow, one row per pair × group ×
/// use × change, in columns 12–15 (empty on the statistics rows); rejects stay in the JSON
/// report and `consentry rejects`. The last four columns count the group's tracks by declared
/// DDEX `ContainsAI` when some track of the run declared it (empty otherwise).
public enum CSVReport {
    public static let header = "run_id,started_at,policy_id,group,use,tracks,exposed,consented,blocked,any_training_exposed,exposed_share,to_policy_id,from_verdict,to_verdict,moved,contains_ai_all,contains_ai_partly,contains_ai_none,contains_ai_undeclared"

    /// A header row, then groups in report order and uses in contract order, then the transitions;
    /// an unknown share (no tracks) is an empty cell, a known one is unrounded.
    public static func render(_ report: RunReport) -> String {
        func declared(_ group: ReportGroup) -> [String] {
            guard let counts = report.containsAI else { return ["", "", "", ""] }
            return ReportRenderer.containsAICounts(counts, group).map { String($0.1) }
        }
        var out = header + "\n"
        for policy in report.policies {
            for group in ReportGroup.displayOrder {
                let g = policy.group(group)
                for use in AIUse.allCases {
                    let cells = [
                        String(report.runID), CSVCell.escape(report.startedAt), CSVCell.escape(policy.id), group.rawValue, use.name,
                        String(g.tracks), String(g.count(use, .exposed)), String(g.count(use, .consented)),
                        String(g.count(use, .blocked)), String(g.anyTrainingExposed), g.exposedShare.map { "\($0)" } ?? "",
                        "", "", "", "",
                    ] + declared(group)
                    out += cells.joined(separator: ",") + "\n"
                }
            }
        }
        // A transition row: `policy_id` is the pair's first policy; the group's counts are on
        // the statistics rows.
        for t in report.transitions {
            let cells = [
                String(report.runID), CSVCell.escape(report.startedAt), CSVCell.escape(t.fromPolicy), t.group.rawValue, t.use.name,
                "", "", "", "", "", "", CSVCell.escape(t.toPolicy), t.from.name, t.to.name, String(t.tracks),
                "", "", "", "",
            ]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }
}
