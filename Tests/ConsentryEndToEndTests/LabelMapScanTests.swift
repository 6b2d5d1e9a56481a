import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `scan --label-map FILE` (contract §1.3): an export that names labels but no statuses.
    @Suite struct LabelMapScans {
        /// No label_status column; labels in several spellings; one label the map does not know.
        static let csv = """
            track_id,label,artist_id,genai_opt_in
            t1,Sony Music,ann,
            t2, SONY MUSIC ,ann,
            t3,"Orchard, The",bob,
            t4,Tiny Records,cat,yes
            t5,tiny records,cat,
            t6,Unmapped Label,dan,
            t7,,dan,

            """

        static let map = """
            label,label_status
            sony music,major
            "Orchard, The",Licensed
            Tiny Records,unsigned

            """

        static let expectedStatus = ["t1": "major", "t2": "major", "t3": "licensed", "t4": "independent",
                                     "t5": "independent", "t6": "unknown", "t7": "unknown"]

        @Test func aMapGivesTheStatusesOfAnExportWithoutALabelStatusColumn() throws {
            let tmp = try TempDir()
            let input = try tmp.write("export.csv", Self.csv)
            let map = try tmp.write("labels.csv", Self.map)
            let scan = try consentry(["scan", input, "--label-map", map, "--db", tmp.db, "--format", "json"])
            #expect(scan.exitCode == 0, "\(scan)")
            let run = try #require((try JSON.parse(scan.stdoutData))["run_id"]?.int)

            // The stored report's groups.
            let report = try consentry(["report", "--db", tmp.db, "--format", "json"])
            #expect(report.exitCode == 0, "\(report)")
            let json = try JSON.parse(report.stdoutData)
            Spec.checkReportShape(json, policies: [Spec.defaultPolicy])
            let groups = json["policies"]?[Spec.defaultPolicy]?["groups"]
            #expect(Spec.groups.map { groups?[$0]?["tracks"]?.int } == [2, 1, 2, 2, 7])
            // Major and licensed are blocked from training under the default policy; the others are open.
            #expect(Spec.groups.map { groups?[$0]?["any_training_exposed"]?.int } == [0, 0, 2, 2, 4])

            // By label: spellings folded, the unknown label and the empty key kept.
            let byLabel = try consentry(["report", "--db", tmp.db, "--by", "label", "--format", "json"])
            #expect(byLabel.exitCode == 0, "\(byLabel)")
            let labels = try JSON.parse(byLabel.stdoutData)
            #expect(labels["by"]?.string == "label" && labels["run_id"]?.int == run)
            let rows = (labels["policies"]?[Spec.defaultPolicy]?["groups"]?.array ?? []).map {
                "\($0["label"]?.string ?? "?") \($0["tracks"]?.int ?? -1)/\($0["any_training_exposed"]?.int ?? -1)"
            }
            // Equal counts name a label by its first spelling in byte order: "SONY MUSIC" before "Sony Music".
            #expect(rows == ["Tiny Records 2/2", "SONY MUSIC 2/0", " 1/1", "Unmapped Label 1/1", "Orchard, The 1/0"])

            // The database: per-track statuses, label rows, the map recorded.
            let db = SQLite(tmp.db, readOnly: true)
            var statuses: [String: String] = [:]
            for line in try db.lines("SELECT DISTINCT track_id, label_status FROM verdicts_readable WHERE run_id = \(run)") {
                let f = line.split(separator: "\t").map(String.init)
                statuses[f[0]] = f[1]
            }
            #expect(statuses == Self.expectedStatus)
            #expect(try db.lines("SELECT label, tracks, any_training_exposed FROM label_stats WHERE run_id = \(run) ORDER BY label") == [
                "\t1\t1", "Orchard, The\t1\t0", "SONY MUSIC\t2\t0", "Tiny Records\t2\t2", "Unmapped Label\t1\t1",
            ])
            let row = try db.run(run)
            #expect(normalized(row["label_map"]?.string ?? "") == normalized(map))
            #expect(row["label_map_sha256"]?.string == (try sha256sum(map)))
        }

        @Test func anExplicitLabelStatusWinsOverTheMapAndAYAMLMapWorksLikeCSV() throws {
            let tmp = try TempDir()
            let input = try tmp.write("export.jsonl", """
                {"track_id": "a", "label": "Sony Music", "label_status": "independent"}
                {"track_id": "b", "label": "Sony Music", "label_status": null}
                {"track_id": "c", "label": "sony music"}
                {"track_id": "d", "label": "Sony Music", "label_status": "unknown"}

                """)
            let map = try tmp.write("labels.yaml", "# statuses\nSony Music: major\n")
            let scan = try consentry(["scan", input, "--label-map", map, "--db", tmp.db, "--format", "json"])
            #expect(scan.exitCode == 0, "\(scan)")
            let groups = (try JSON.parse(scan.stdoutData))["policies"]?[Spec.defaultPolicy]?["groups"]
            #expect(Spec.groups.map { groups?[$0]?["tracks"]?.int } == [2, 0, 1, 1, 4])
        }

        @Test func withoutTheMapAnExportWithoutLabelStatusIsAMissingColumn() throws {
            let tmp = try TempDir()
            let input = try tmp.write("export.csv", Self.csv)
            let r = try consentry(["scan", input, "--db", tmp.db])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains("[missing_column]") && r.stderr.contains("label_status"), "\(r.stderr)")
            #expect(r.stderr.contains(input), "the message names the file: \(r.stderr)")
            #expect(try SQLite(tmp.db, readOnly: true).lines("SELECT status FROM runs") == ["failed"])
        }

        @Test(arguments: [
            ("labels.csv", "label,label_status\nSony,major\n\nTiny,indie\n", 4),
            ("labels.csv", "label,label_status\nSony,major\nsony ,licensed\n", 3),
            ("labels.csv", "name,status\nSony,major\n", 1),
            ("labels.csv", "label,label_status\nSony,major\n\"Tiny,independent\n", 3),
            ("labels.yaml", "Sony: major\nTiny: sometimes\n", 2),
            ("labels.yaml", "- Sony\n- Tiny\n", 1),
        ])
        func aBadMapIsAUsageErrorNamingFileAndLine(name: String, text: String, line: Int) throws {
            let tmp = try TempDir()
            let input = try tmp.write("export.csv", Self.csv)
            let map = try tmp.write(name, text)
            let r = try consentry(["scan", input, "--label-map", map, "--db", tmp.db])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.contains("\(map):\(line): "), "stderr must name \(map):\(line): \(r.stderr)")
            #expect(r.stderr.contains("[label_map_invalid]"), "\(r.stderr)")
            if FileManager.default.fileExists(atPath: tmp.db) {
                #expect(try SQLite(tmp.db, readOnly: true).int("SELECT count(*) FROM runs") == 0, "a usage error records no run")
            }
        }

        @Test func aMissingMapIsAUsageError() throws {
            let tmp = try TempDir()
            let input = try tmp.write("export.csv", Self.csv)
            let r = try consentry(["scan", input, "--label-map", tmp.file("nope.csv"), "--db", tmp.db])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.contains(tmp.file("nope.csv")), "\(r.stderr)")
        }
    }
}
