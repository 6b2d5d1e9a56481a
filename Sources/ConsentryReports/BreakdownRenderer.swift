import Foundation
import ConsentryModel
import ConsentryStore

/// Renders a ``RunBreakdown`` — a run's tracks by label or by artist under each policy — in
/// every report format (`consentry report --by`), and the tables the HTML report's "most
/// exposed" section is made of.
public enum BreakdownRenderer {
    /// How the empty key (tracks without a label or artist) is shown to people.
    static func name(_ key: String, _ field: Breakdown.Field) -> String {
        key.isEmpty ? (field == .label ? "(no label)" : "(no artist)") : VisibleText.of(key)
    }

    static func noun(_ field: Breakdown.Field) -> String { field == .label ? "label" : "artist" }

    static func heading(_ b: RunBreakdown, top: Int?, policy: Int) -> String {
        let total = b.breakdown.rowCount(policy: policy)
        let shown = top.map { min($0, total) } ?? total
        let count = shown < total ? "the \(ReportRenderer.grouped(shown)) largest of \(ReportRenderer.grouped(total))"
            : "\(ReportRenderer.grouped(total))"
        return "\(count) \(noun(b.field))\(total == 1 ? "" : "s")"
    }

    // MARK: Text

    public static func text(_ b: RunBreakdown, top: Int?) -> String {
        var out = "Run \(b.runID): tracks by \(b.field == .label ? "label" : "artist_id"), largest first\n"
        for (p, policy) in b.policyIDs.enumerated() {
            let rows = b.breakdown.rows(policy: p, top: top)
            out += "\nPolicy \(policy) — \(heading(b, top: top, policy: p))\n"
            let width = min(max(rows.map { name($0.key, b.field).count }.max() ?? 0, noun(b.field).count), 48)
            out += "  " + ReportRenderer.pad(noun(b.field), width) + " " + ReportRenderer.pad("tracks", 12, right: true) + " "
                + ReportRenderer.pad("exposed", 12, right: true) + " " + ReportRenderer.pad("share", 7, right: true) + "\n"
            for row in rows {
                var shown = name(row.key, b.field)
                if shown.count > width { shown = String(shown.prefix(width - 1)) + "…" }
                out += "  " + ReportRenderer.pad(shown, width) + " " + ReportRenderer.pad(ReportRenderer.grouped(row.tracks), 12, right: true)
                    + " " + ReportRenderer.pad(ReportRenderer.grouped(row.anyTrainingExposed), 12, right: true) + " "
                    + ReportRenderer.pad(ReportRenderer.percent(row.exposedShare), 7, right: true) + "\n"
            }
        }
        out += "\n  exposed = tracks open to ai_generative_training or ai_training without affirmative consent.\n"
        return out
    }

    // MARK: JSON

    /// `{"run_id", "by", "policies": {id: {"groups_total", "groups": [{key, tracks,
    /// any_training_exposed, exposed_share}]}}}`, groups largest first.
    public static func json(_ b: RunBreakdown, top: Int?) -> String {
        let w = JSONWriter()
        w.object {
            w.key("run_id"); w.int(Int(b.runID))
            w.key("by"); w.string(b.field.recordField.name)
            w.key("policies")
            w.object {
                for (p, policy) in b.policyIDs.enumerated() {
                    w.key(policy)
                    w.object {
                        w.key("groups_total"); w.int(b.breakdown.rowCount(policy: p))
                        w.key("groups")
                        w.array {
                            for row in b.breakdown.rows(policy: p, top: top) {
                                w.object {
                                    w.key(b.field.recordField.name); w.string(row.key)
                                    w.key("tracks"); w.int(row.tracks)
                                    w.key("any_training_exposed"); w.int(row.anyTrainingExposed)
                                    w.key("exposed_share"); w.number(row.exposedShare)
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.text + "\n"
    }

    // MARK: CSV

    public static func csv(_ b: RunBreakdown, top: Int?) -> String {
        var out = "run_id,policy_id,\(b.field.recordField.name),tracks,any_training_exposed,exposed_share\n"
        for (p, policy) in b.policyIDs.enumerated() {
            for row in b.breakdown.rows(policy: p, top: top) {
                out += [String(b.runID), CSVCell.escape(policy), CSVCell.escape(row.key), String(row.tracks),
                        String(row.anyTrainingExposed), row.exposedShare.map { "\($0)" } ?? ""].joined(separator: ",") + "\n"
            }
        }
        return out
    }

    // MARK: Markdown

    public static func markdown(_ b: RunBreakdown, top: Int?) -> String {
        var out = "# consentry run \(b.runID): tracks by \(noun(b.field))\n"
        for (p, policy) in b.policyIDs.enumerated() {
            out += "\n## \(MarkdownReport.escape(policy)): \(heading(b, top: top, policy: p))\n\n"
            out += MarkdownReport.table(
                [noun(b.field), "tracks", "exposed", "share"], align: [false, true, true, true],
                b.breakdown.rows(policy: p, top: top).map { row in
                    [MarkdownReport.escape(name(row.key, b.field)), ReportRenderer.grouped(row.tracks),
                     ReportRenderer.grouped(row.anyTrainingExposed), ReportRenderer.percent(row.exposedShare)]
                })
        }
        out += "\nExposed = open to `ai_generative_training` or `ai_training` without affirmative consent.\n"
        return out
    }

    // MARK: HTML

    /// One self-contained page with a table per policy.
    public static func html(_ b: RunBreakdown, top: Int?) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>consentry run \(b.runID): tracks by \(noun(b.field))</title>
            <style>\(HTMLReport.stylesheet)</style>
            </head>
            <body>
            <main>
            <p class="kicker">consentry · AI-training exposure by \(noun(b.field))</p>
            <h1>Run \(b.runID): tracks by \(noun(b.field))</h1>

            """
        for (p, policy) in b.policyIDs.enumerated() {
            out += table(b.breakdown.rows(policy: p, top: top), field: b.field,
                         caption: "\(policy): \(heading(b, top: top, policy: p)), largest first")
        }
        out += """
            <footer>
            <p><strong>Exposed</strong>: the platform's terms allow <code>ai_generative_training</code> or <code>ai_training</code> \
            without the artist's affirmative consent.</p>
            </footer>
            </main>
            </body>
            </html>

            """
        return out
    }

    /// A table of `rows` with a bar for each share.
    static func table(_ rows: [Breakdown.Row], field: Breakdown.Field, caption: String) -> String {
        let e = HTMLReport.escape
        var out = "<table class=\"breakdown\">\n<caption>\(e(caption))</caption>\n<thead><tr>"
        out += "<th scope=\"col\">\(noun(field))</th><th class=\"n\" scope=\"col\">exposed</th>"
        out += "<th class=\"n\" scope=\"col\">tracks</th><th class=\"n\" scope=\"col\">share</th><th scope=\"col\"><span class=\"hidden\">share bar</span></th></tr></thead>\n<tbody>\n"
        if rows.isEmpty { out += "<tr><td colspan=\"5\" class=\"empty\">No tracks.</td></tr>\n" }
        for row in rows {
            let share = row.exposedShare ?? 0
            out += "<tr><th scope=\"row\" class=\"key\(row.key.isEmpty ? " none" : "")\">\(e(name(row.key, field)))</th>"
            out += "<td class=\"n\">\(ReportRenderer.grouped(row.anyTrainingExposed))</td>"
            out += "<td class=\"n\">\(ReportRenderer.grouped(row.tracks))</td>"
            out += "<td class=\"n\">\(ReportRenderer.percent(row.exposedShare))</td>"
            out += "<td class=\"bar\"><span class=\"share-bar\"><span style=\"width: \(String(format: "%.1f", share * 100))%\"></span></span></td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }
}
