import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `consentry export`: CAWG, IPTC and CSV lines checked against `verdicts_readable`.
    @Suite struct Export {
        static let sample = Paths.sample("nightly-2026-11-20.csv.gz")
        static let cawgEntries: Set<String> = ["cawg.ai_generative_training", "cawg.ai_training", "cawg.ai_inference", "cawg.data_mining"]
        static let plusValues: Set<String> = Set([
            "DMI-UNSPECIFIED", "DMI-ALLOWED", "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING",
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "DMI-PROHIBITED", "DMI-PROHIBITED-SEECONSTRAINT",
            "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
        ].map { "http://ns.useplus.org/ldf/vocab/" + $0 })

        /// Scans the sample with the three built-in policies; returns the run id and rows scanned.
        func scanSample(_ tmp: TempDir, store: String = "all") throws -> (run: Int, scanned: Int) {
            let (r, json) = try scanJSON([Export.sample, "--db", tmp.db, "--store", store] + Spec.policyArguments(Spec.builtInPolicies))
            #expect(r.exitCode == 0, "\(r)")
            return (try #require(json?["run_id"]?.int), try #require(json?["rows"]?["scanned"]?.int))
        }

        func lines(_ r: ProcessResult) -> [Substring] {
            var lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.last == "", "output ends with a newline")
            lines.removeLast()
            return lines
        }

        func object(_ line: Substring) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }

        /// `verdicts_readable` for every 500th track of the run: track → use → (verdict, rule).
        func readable(_ tmp: TempDir, run: Int, policy: String) throws -> [String: [String: (verdict: String, rule: String)]] {
            let all = try SQLite(tmp.db).lines("""
                SELECT DISTINCT track_id FROM verdicts_readable WHERE run_id = \(run) AND policy_id = '\(policy)' ORDER BY track_id
                """)
            let ids = all.enumerated().filter { $0.offset % 500 == 0 }.map(\.element)
            #expect(ids.count > 10)
            let list = ids.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ",")
            var out: [String: [String: (verdict: String, rule: String)]] = [:]
            for line in try SQLite(tmp.db).lines("""
                SELECT track_id, use, verdict, rule_id FROM verdicts_readable
                WHERE run_id = \(run) AND policy_id = '\(policy)' AND track_id IN (\(list))
                """) {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                out[f[0], default: [:]][f[1]] = (f[2], f[3])
            }
            #expect(out.count == ids.count)
            return out
        }

        @Test func cawgLinesHaveTheAssertionShapeAndTheStoredVerdicts() throws {
            let tmp = try TempDir()
            let (run, scanned) = try scanSample(tmp)
            var order: [String]? = nil
            for policy in Spec.builtInPolicies {
                let r = try consentry(["export", "--db", tmp.db, "--run", String(run), "--policy", policy, "--format", "cawg"])
                #expect(r.exitCode == 0 && r.stderr.isEmpty, "\(r)")
                let lines = lines(r)
                #expect(lines.count == scanned)
                let expected = try readable(tmp, run: run, policy: policy)
                var trackIDs: [String] = []
                for line in lines {
                    let o = try object(line)
                    #expect(Set(o.keys) == ["track_id", "label_status", "policy_id", "assertion", "artist_id"], "\(line)")
                    #expect((o["artist_id"] as? String)?.hasPrefix("user-") == true, "the sample gives every track an artist: \(line)")
                    #expect(o["policy_id"] as? String == policy)
                    #expect(Spec.labelGroups.contains(o["label_status"] as? String ?? ""), "\(line)")
                    let assertion = try #require(o["assertion"] as? [String: Any])
                    #expect(assertion["label"] as? String == "cawg.training-mining")
                    let entries = try #require((assertion["data"] as? [String: Any])?["entries"] as? [String: [String: String]], "\(line)")
                    #expect(Set(entries.keys) == Export.cawgEntries)
                    for (name, entry) in entries {
                        #expect(Set(entry.keys) == ["use", "constraint_info"])
                        #expect(["allowed", "notAllowed"].contains(entry["use"] ?? ""), "\(line)")
                        #expect(entry["constraint_info"]?.hasPrefix("policy \(policy), rule ") == true)
                        let trackID = try #require(o["track_id"] as? String)
                        if let stored = expected[trackID]?[String(name.dropFirst("cawg.".count))] {
                            #expect(entry["use"] == (stored.verdict == "blocked" ? "notAllowed" : "allowed"), "\(trackID) \(name)")
                            #expect(entry["constraint_info"] == "policy \(policy), rule \(stored.rule) (\(stored.verdict))")
                        }
                    }
                    trackIDs.append(o["track_id"] as? String ?? "")
                }
                // Every track once, in history order: the same under every policy.
                #expect(Set(trackIDs).count == scanned)
                if let order { #expect(trackIDs == order, "the same order under every policy") } else { order = trackIDs }
                #expect(expected.keys.allSatisfy(Set(trackIDs).contains))
            }
        }

        @Test func iptcLinesUseThePlusVocabularyTruthfully() throws {
            let tmp = try TempDir()
            let (run, scanned) = try scanSample(tmp)
            let policy = "soundcloud-2024-02"
            let r = try consentry(["export", "--db", tmp.db, "--policy", policy, "--format", "iptc"])
            #expect(r.exitCode == 0 && r.stderr.isEmpty, "\(r)")
            let lines = lines(r)
            #expect(lines.count == scanned)
            let expected = try readable(tmp, run: run, policy: policy)
            var checked = 0
            for line in lines {
                let o = try object(line)
                #expect(Set(o.keys) == ["track_id", "label_status", "policy_id", "plus:DataMining", "plus:OtherConstraints", "artist_id"], "\(line)")
                let value = try #require(o["plus:DataMining"] as? String)
                #expect(Export.plusValues.contains(value), "\(line)")
                let constraint = o["plus:OtherConstraints"] as? String
                #expect((constraint != nil) == value.hasSuffix("DMI-PROHIBITED-SEECONSTRAINT"), "\(line)")
                guard let stored = expected[o["track_id"] as? String ?? ""] else { continue }
                let allowed = Set(Spec.uses.filter { stored[$0]?.verdict != "blocked" })
                switch value.split(separator: "/").last! {
                case "DMI-ALLOWED": #expect(allowed.count == 4, "\(line)")
                case "DMI-PROHIBITED": #expect(allowed.isEmpty, "\(line)")
                case "DMI-PROHIBITED-GENAIMLTRAINING": #expect(allowed == ["ai_training", "ai_inference", "data_mining"], "\(line)")
                case "DMI-PROHIBITED-AIMLTRAINING": #expect(allowed == ["ai_inference", "data_mining"], "\(line)")
                default: #expect(constraint?.hasPrefix("Allowed: ") == true, "\(line)")
                }
                checked += 1
            }
            #expect(checked == expected.count)
        }

        /// track_id → artist_id (trimmed) of every record of a CSV sample, read by Python's csv
        /// module: an independent reading of the input the export's artists come from.
        func sampleArtists(_ path: String) throws -> [String: String] {
            let script = """
                import csv, gzip, io, json, sys
                out = {}
                with gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="") as f:
                    for row in csv.DictReader(f):
                        out.setdefault(row["track_id"].strip(" \\t"), (row.get("artist_id") or "").strip(" \\t"))
                json.dump(out, sys.stdout)
                """
            let data = try runTool("/usr/bin/env", ["python3", "-c", script, path], timeout: 120)
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        }

        @Test func csvHasOneRowPerTrackAndUse() throws {
            let tmp = try TempDir()
            let (run, scanned) = try scanSample(tmp)
            let policy = "soundcloud-opt-out"
            let r = try consentry(["export", "--db", tmp.db, "--policy", policy, "--format", "csv", "--run", "latest"])
            #expect(r.exitCode == 0 && r.stderr.isEmpty, "\(r)")
            let lines = lines(r)
            #expect(lines.first == "track_id,policy_id,label_status,use,verdict,rule_id,artist_id")
            #expect(lines.count == 1 + 4 * scanned)
            let expected = try readable(tmp, run: run, policy: policy)
            let artists = try sampleArtists(Export.sample)
            #expect(artists.count == scanned)
            var checked = 0
            var artistsChecked = 0
            for (index, line) in lines.dropFirst().enumerated() {
                // The sample's track ids and artists (user-N) need no quoting; the cells
                // between them never do.
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                #expect(cells.count == 7, "\(line)")
                #expect(cells[1] == policy && cells[3] == Spec.uses[index % 4], "\(line)")
                if let stored = expected[cells[0]]?[cells[3]] {
                    #expect(cells[4] == stored.verdict && cells[5] == stored.rule, "\(line)")
                    checked += 1
                }
                if cells.count == 7 {
                    #expect(cells[6] == artists[cells[0]], "\(line): the input says \(artists[cells[0]] ?? "nothing")")
                    artistsChecked += 1
                }
            }
            #expect(checked == 4 * expected.count)
            #expect(artistsChecked == 4 * scanned)
        }

        @Test func hostileTrackIDsAreEscaped() throws {
            let tmp = try TempDir()
            // Control characters are rejected by the scan (invalid_track_id); the unit tests cover them.
            let ids = ["q\"uote", #"back\slash"#, "Ünïcødé 🎵", "=cmd()", "a,b", "+1", "'single'"]
            // Each track's artist is its id spelt backwards, so that the artists are as hostile.
            let jsonl = ids.map { id -> String in
                let data = try! JSONSerialization.data(withJSONObject: ["track_id": id, "label_status": "independent",
                                                                        "artist_id": String(id.reversed())])
                return String(decoding: data, as: UTF8.self)
            }.joined(separator: "\n") + "\n"
            let input = try tmp.write("hostile.jsonl", jsonl)
            let scan = try consentry(["scan", input, "--db", tmp.db, "--quiet"])
            #expect(scan.exitCode == 0, "\(scan)")
            for format in ["cawg", "iptc"] {
                let r = try consentry(["export", "--db", tmp.db, "--format", format])
                #expect(r.exitCode == 0, "\(r)")
                #expect(try lines(r).compactMap { try object($0)["track_id"] as? String }.sorted() == ids.sorted())
                for line in lines(r) {
                    let o = try object(line)
                    #expect((o["artist_id"] as? String).map { String($0.reversed()) } == o["track_id"] as? String, "\(line)")
                }
            }
            let csv = try consentry(["export", "--db", tmp.db, "--format", "csv"])
            #expect(csv.stdout.contains("\n\"q\"\"uote\",soundcloud-2025-05,independent,ai_training,exposed,default-open,\"etou\"\"q\"\n"), "\(csv)")
            #expect(csv.stdout.contains("\n'=cmd(),soundcloud-2025-05,"), "formula guard: \(csv)")
            #expect(csv.stdout.contains("\n\"a,b\",soundcloud-2025-05,"), "\(csv)")
            #expect(csv.stdout.contains("\nÜnïcødé 🎵,soundcloud-2025-05,"), "\(csv)")
            #expect(csv.stdout.contains(",default-open,\"b,a\"\n") && csv.stdout.contains(",default-open,1+\n"), "\(csv)")
            #expect(csv.stdout.contains(",default-open,🎵 édøcïnÜ\n") && csv.stdout.contains(",default-open,)(dmc=\n"), "\(csv)")
        }

        @Test func outputFileMatchesStandardOutputAndIsReplacedWhole() throws {
            let tmp = try TempDir()
            _ = try scanSample(tmp)
            let out = tmp.file("verdicts.jsonl")
            try tmp.write("verdicts.jsonl", "previous contents\n")
            let toFile = try consentry(["export", "--db", tmp.db, "--format", "iptc", "--output", out])
            #expect(toFile.exitCode == 0 && toFile.stdout.isEmpty && toFile.stderr.isEmpty, "\(toFile)")
            let toStdout = try consentry(["export", "--db", tmp.db, "--format", "iptc"])
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == toStdout.stdoutData)

            // A failing export leaves the previous file as it was, and no temporary file.
            let failed = try consentry(["export", "--db", tmp.db, "--format", "iptc", "--policy", "acme", "--output", out])
            #expect(failed.exitCode == 2, "\(failed)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == toStdout.stdoutData)
            let files = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { !$0.hasPrefix("results.sqlite") }
            #expect(files == ["verdicts.jsonl"], "\(files)")
        }

        @Test func storeNoneRunIsAnErrorThatSaysToRescan() throws {
            let tmp = try TempDir()
            let (run, _) = try scanSample(tmp, store: "none")
            let r = try consentry(["export", "--db", tmp.db, "--run", String(run), "--format", "cawg"])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix("consentry: error: \(tmp.db): run \(run) was scanned with --store none"), "\(r)")
            #expect(r.stderr.contains("rescan with --store all"), "\(r)")
        }

        @Test func storeExposedRunWarnsThatTracksAreMissing() throws {
            let tmp = try TempDir()
            let (run, scanned) = try scanSample(tmp, store: "exposed")
            let r = try consentry(["export", "--db", tmp.db, "--format", "cawg"])
            #expect(r.exitCode == 0, "\(r)")
            let stored = try SQLite(tmp.db).int("""
                SELECT count(DISTINCT track_id) AS n FROM verdicts_readable WHERE run_id = \(run) AND policy_id = 'soundcloud-2025-05'
                """)
            #expect(lines(r).count == stored)
            #expect(r.stderr.contains("consentry: warning: run \(run) was scanned with --store exposed"), "\(r)")
            #expect(r.stderr.contains("\(stored) of \(scanned) scanned tracks"), "\(r)")
        }

        @Test func badRunsAndPoliciesAreClearErrors() throws {
            let tmp = try TempDir()
            let none = try consentry(["export", "--db", tmp.db, "--format", "csv"])
            #expect(none.exitCode == 2 && none.stderr.contains("no results database"), "\(none)")
            _ = try scanSample(tmp)
            let missing = try consentry(["export", "--db", tmp.db, "--run", "42", "--format", "csv"])
            #expect(missing.exitCode == 2 && missing.stderr.contains("there is no run 42"), "\(missing)")
            let policy = try consentry(["export", "--db", tmp.db, "--policy", "acme", "--format", "csv"])
            #expect(policy.exitCode == 2, "\(policy)")
            #expect(policy.stderr.contains("did not apply policy 'acme'; it applied \(Spec.builtInPolicies.joined(separator: ", "))"), "\(policy)")
            let usage = try consentry(["export", "--db", tmp.db, "--run", "yesterday", "--format", "csv"])
            #expect(usage.exitCode == 64, "\(usage)")
            let format = try consentry(["export", "--db", tmp.db, "--format", "xml"])
            #expect(format.exitCode == 64, "\(format)")
        }
    }
}
