import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `report --format markdown|csv|html` and `--output`.
    @Suite struct ReportFormats {
        /// A database with two runs of dirty.csv under two policies.
        static func database(_ tmp: TempDir) throws {
            for _ in 0..<2 {
                let r = try consentry(["scan", Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300",
                                       "--policy", "soundcloud-2024-02", "--policy", "soundcloud-opt-out"])
                #expect(r.exitCode == 0, "\(r)")
            }
        }

        @Test func markdownCsvAndHtmlToStandardOutput() throws {
            let tmp = try TempDir()
            try Self.database(tmp)

            let markdown = try consentry(["report", "--db", tmp.db, "--format", "markdown"])
            #expect(markdown.exitCode == 0, "\(markdown)")
            #expect(markdown.stdout.hasPrefix("# consentry run 2: completed, "), "\(markdown.stdout.prefix(200))")
            for heading in ["## Independent vs labelled tracks exposed to AI training", "## soundcloud-2024-02: ",
                            "## soundcloud-opt-out: ", "## Rejects by code", "## What-if: soundcloud-2024-02 → soundcloud-opt-out"] {
                #expect(markdown.stdout.contains(heading), "\(heading)")
            }
            #expect(markdown.stdout.contains("| `invalid_timestamp` | 12 |"))

            let csv = try consentry(["report", "--db", tmp.db, "--run", "1", "--format", "csv"])
            #expect(csv.exitCode == 0, "\(csv)")
            let lines = csv.stdout.split(separator: "\n")
            #expect(lines.first == "run_id,started_at,policy_id,group,use,tracks,exposed,consented,blocked,any_training_exposed,exposed_share,to_policy_id,from_verdict,to_verdict,moved,contains_ai_all,contains_ai_partly,contains_ai_none,contains_ai_undeclared")
            let moves = try #require(try JSON.parse(try consentry(["report", "--db", tmp.db, "--run", "1", "--format", "json"]).stdout)["transitions"]?.array)
            #expect(lines.count == 1 + 2 * 5 * 4 + moves.count)
            #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("1,") && $0.split(separator: ",", omittingEmptySubsequences: false).count == 19 })
            let allRow = lines.first { $0.contains(",soundcloud-2024-02,all,ai_inference,") }
            #expect(allRow?.contains(",24,24,0,0,") == true, "24 scanned tracks, all exposed to inference: \(allRow ?? "")")

            let html = try consentry(["report", "--db", tmp.db, "--format", "html"])
            #expect(html.exitCode == 0, "\(html)")
            #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
            #expect(html.stdout.hasSuffix("</html>\n"))
            for id in ["run", "headline", "exposure", "trend", "groups", "what-if", "rejects"] {
                #expect(html.stdout.contains("<section id=\"\(id)\">") || html.stdout.contains("<header id=\"\(id)\">"), "\(id)")
            }
            #expect(html.stdout.components(separatedBy: "class=\"point point-independent\"").count - 1 == 2 * 2,
                    "two runs, two policies")
            #expect(html.stdout.range(of: "<script", options: .caseInsensitive) == nil)
        }

        @Test func outputWritesTheFileAtomicallyAndPrintsNothing() throws {
            let tmp = try TempDir()
            try Self.database(tmp)
            let path = tmp.file("report.html")
            try "old report".write(toFile: path, atomically: false, encoding: .utf8)

            let r = try consentry(["report", "--db", tmp.db, "--format", "html", "--output", path])
            #expect(r.exitCode == 0, "\(r)")
            #expect(r.stdout.isEmpty && r.stderr.isEmpty, "\(r)")
            let written = try String(contentsOfFile: path, encoding: .utf8)
            let printed = try consentry(["report", "--db", tmp.db, "--format", "html"])
            #expect(written == printed.stdout, "the file holds exactly what stdout would")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains(".tmp.") }
            #expect(leftovers.isEmpty, "\(leftovers)")

            for format in ["text", "json", "markdown", "csv"] {
                let file = tmp.file("report.\(format)")
                let toFile = try consentry(["report", "--db", tmp.db, "--format", format, "--output", file])
                let toStdout = try consentry(["report", "--db", tmp.db, "--format", format])
                #expect(toFile.exitCode == 0 && toFile.stdout.isEmpty, "\(toFile)")
                #expect(try String(contentsOfFile: file, encoding: .utf8) == toStdout.stdout, "\(format)")
            }
        }

        @Test func anUnwritableOutputFailsWithExit2AndLeavesNothing() throws {
            let tmp = try TempDir()
            try Self.database(tmp)
            let path = tmp.file("missing-dir/report.html")
            let r = try consentry(["report", "--db", tmp.db, "--format", "html", "--output", path])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.hasPrefix("consentry: error: \(path): cannot create a file in"), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: tmp.file("missing-dir")))

            let noRun = try consentry(["report", "--db", tmp.db, "--run", "99", "--format", "html", "--output", tmp.file("r.html")])
            #expect(noRun.exitCode == 2, "\(noRun)")
            #expect(!FileManager.default.fileExists(atPath: tmp.file("r.html")), "no file for a report that could not be made")

            let badFormat = try consentry(["report", "--db", tmp.db, "--format", "pdf"])
            #expect(badFormat.exitCode == 64, "\(badFormat)")

            // The results database (or its WAL) is never the output: that would lose every run.
            for target in [tmp.db, tmp.db + "-wal"] where FileManager.default.fileExists(atPath: target) {
                let clobber = try consentry(["report", "--db", tmp.db, "--format", "html", "--output", target])
                #expect(clobber.exitCode == 2 && clobber.stderr.contains("this is the results database"), "\(clobber)")
            }
            let metrics = try consentry(["scan", Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300",
                                         "--quiet", "--metrics-file", tmp.db])
            #expect(metrics.exitCode == 0 && metrics.stderr.contains("this is the results database"), "\(metrics)")
            #expect(try consentry(["runs", "--db", tmp.db]).exitCode == 0, "the database is intact")
            let previous = try consentry(["report", "--db", tmp.db, "--run", "previous", "--format", "json"])
            #expect(try JSON.parse(previous.stdout)["run_id"]?.int == 2, "\(previous)")
            #expect(try consentry(["report", "--db", tmp.db, "--run", "0"]).exitCode == 64)
        }
    }
}
