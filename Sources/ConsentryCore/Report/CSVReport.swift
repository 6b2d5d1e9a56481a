import Foundation

/// Renders a ``RunReport``'s statistics as long-format CSV for spreadsheets and data frames.
///
/// One row per policy × group × use, so a pivot table or `group_by` needs no reshaping; the
/// per-group columns (`tracks`, `any_training_exposed`, `exposed_share`) repeat on the group's
/// four rows. `started_at` lets the CSVs of several nightly reports be appended and charted
/// over time without the database. Rejects and what-if transitions have another shape and stay
/// in the JSON report.
public enum CSVReport {
    public static let header = "run_id,started_at,policy_id,group,use,tracks,exposed,consented,blocked,any_training_exposed,exposed_share"

    /// A header row, then groups in report order and uses in SPEC order; an unknown share
    /// (no tracks) is an empty cell, a known one is unrounded.
    public static func render(_ report: RunReport) -> String {
        var out = header + "\n"
        for policy in report.policies {
            for group in ReportRenderer.groupOrder {
                let g = policy.group(group)
                for use in AIUse.allCases {
                    let cells = [
                        String(report.runID), CSVCell.escape(report.startedAt), CSVCell.escape(policy.id), group.rawValue, use.name,
                        String(g.tracks), String(g.count(use, .exposed)), String(g.count(use, .consented)),
                        String(g.count(use, .blocked)), String(g.anyTrainingExposed), g.exposedShare.map { "\($0)" } ?? "",
                    ]
                    out += cells.joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }
}
