import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// the generated nightly sample, against the contract §5 shape, the Python oracle and
    /// the database tables of contract §4.
    @Suite struct SampleScan {
        static let sample = Paths.sample("nightly-2026-11-20.csv.gz")
        static let tracks = 25000

        @Test func textSummaryShowsTheHeadline() throws {
            let tmp = try TempDir()
            let r = try consentry(["scan", Self.sample, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            let headline = r.stdout.split(separator: "\n").first {
                $0.contains("Independent tracks exposed to AI training") && $0.contains("100.0%")
            }
            #expect(headline != nil, "no headline line with the independent share in:\n\(r.stdout)")
            #expect(r.stdout.contains("25,000 read"), "\(r.stdout)")
            #expect(r.stdout.contains(Spec.defaultPolicy), "\(r.stdout)")
        }

        @Test func jsonMatchesTheSpecShapeTheOracleAndTheDatabase() throws {
            let tmp = try TempDir()
            let policies = Spec.builtInPolicies
            let r = try consentry(["scan", Self.sample, "--db", tmp.db, "--format", "json"] + Spec.policyArguments(policies))
            #expect(r.exitCode == 0, "\(r)")
            let json = try JSON.parse(r.stdoutData)
            Spec.checkReportShape(json, policies: policies)
            #expect(json["rows"]?["read"]?.int == Self.tracks)

            // The same numbers as the independent Python implementation.
            let reference = try referenceScan([Self.sample, "--no-rejects"] + Spec.policyArguments(policies))
            let differences = jsonDifferences(json.removing("run_id", "status"), reference)
            #expect(differences.isEmpty, "consentry vs reference-scan:\n\(differences.prefix(40).joined(separator: "\n"))")

            let runID = try #require(json["run_id"]?.int)
            let db = SQLite(tmp.db)

            // runs
            let run = try db.run(runID)
            #expect(run["status"]?.string == "completed")
            #expect(run["rows_read"]?.int == json["rows"]?["read"]?.int)
            #expect(run["rows_scanned"]?.int == json["rows"]?["scanned"]?.int)
            #expect(run["rows_rejected"]?.int == json["rows"]?["rejected"]?.int)
            #expect(run["error"]?.isNull ?? true)
            #expect(run["started_at"]?.string?.isEmpty == false)
            #expect(run["finished_at"]?.string?.isEmpty == false)
            #expect(run["tool_version"]?.string?.isEmpty == false)
            for key in ["started_at", "finished_at"] {
                let text = run[key]?.string ?? ""
                #expect(text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$"#, options: .regularExpression) != nil,
                        "runs.\(key) '\(text)' is not ISO 8601 UTC")
            }

            // run_inputs: the raw (compressed) file's size and digest.
            let inputs = try db.rows("SELECT path, format, compression, bytes, sha256 FROM run_inputs WHERE run_id = \(runID)")
            #expect(inputs.count == 1)
            let size = try Data(contentsOf: URL(fileURLWithPath: Self.sample)).count
            #expect(inputs.first?["path"]?.string == Self.sample)
            #expect(inputs.first?["format"]?.string == "csv")
            #expect(inputs.first?["compression"]?.string == "gzip")
            #expect(inputs.first?["bytes"]?.int == size)
            #expect(inputs.first?["sha256"]?.string?.lowercased() == (try sha256sum(Self.sample)))

            // run_policies: one row per policy, with the digest of the policy YAML.
            let policyRows = try db.rows("SELECT policy_id, policy_sha256, policy_source FROM run_policies WHERE run_id = \(runID)")
            #expect(policyRows.count == 3)
            #expect(Set(policyRows.compactMap { $0["policy_id"]?.string }) == Set(policies))
            for row in policyRows {
                let id = row["policy_id"]?.string ?? "?"
                #expect(row["policy_sha256"]?.string?.lowercased() == (try sha256sum(Paths.builtInPolicy(id))),
                        "policy_sha256 of \(id) is not the sha256 of its YAML")
                #expect(row["policy_source"]?.string?.isEmpty == false)
            }

            // group_stats: 3 policies × 5 groups × 4 uses, equal to the JSON.
            let stats = try db.rows("SELECT policy_id, label_status, use, tracks, exposed, consented, blocked FROM group_stats WHERE run_id = \(runID)")
            #expect(stats.count == 3 * 5 * 4)
            var statsByKey: [String: JSON] = [:]
            for row in stats {
                let p = row["policy_id"]?.string ?? "", g = row["label_status"]?.string ?? "", u = row["use"]?.string ?? ""
                statsByKey["\(p)|\(g)|\(u)"] = row
                let group = json["policies"]?[p]?["groups"]?[g]
                #expect(row["tracks"]?.int == group?["tracks"]?.int, "group_stats \(p)/\(g)/\(u) tracks")
                for v in Spec.verdicts {
                    #expect(row[v]?.int == group?["uses"]?[u]?[v]?.int, "group_stats \(p)/\(g)/\(u) \(v)")
                }
            }

            // verdicts_readable: every track × policy × use, and its counts are group_stats'.
            #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(runID)") == Self.tracks * 3 * 4)
            #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(runID) AND (rule_id IS NULL OR rule_id = '' OR verdict NOT IN ('exposed', 'consented', 'blocked'))") == 0)
            var counted: [String: Int] = [:]
            for line in try db.lines("SELECT policy_id, label_status, use, verdict, count(*) FROM verdicts_readable WHERE run_id = \(runID) GROUP BY 1, 2, 3, 4") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 5, let n = Int(f[4]) else { Issue.record("bad line \(line)"); continue }
                counted["\(f[0])|\(f[1])|\(f[2])|\(f[3])", default: 0] += n
                counted["\(f[0])|all|\(f[2])|\(f[3])", default: 0] += n
            }
            for p in policies {
                for g in Spec.groups {
                    for u in Spec.uses {
                        for v in Spec.verdicts {
                            #expect(counted["\(p)|\(g)|\(u)|\(v)", default: 0] == statsByKey["\(p)|\(g)|\(u)"]?[v]?.int,
                                    "verdicts_readable count for \(p)/\(g)/\(u)/\(v)")
                        }
                    }
                }
            }
        }

        @Test(arguments: ["nightly-2026-11-20.jsonl.gz", "nightly-2026-11-21.csv.gz"])
        func otherSamplesMatchTheOracle(name: String) throws {
            let tmp = try TempDir()
            let path = Paths.sample(name)
            let policies = Spec.builtInPolicies
            let (r, json) = try scanJSON([path, "--db", tmp.db, "--store", "none"] + Spec.policyArguments(policies))
            #expect(r.exitCode == 0, "\(r)")
            let report = try #require(json)
            Spec.checkReportShape(report, policies: policies)
            let reference = try referenceScan([path, "--no-rejects"] + Spec.policyArguments(policies))
            let differences = jsonDifferences(report.removing("run_id", "status"), reference)
            #expect(differences.isEmpty, "consentry vs reference-scan:\n\(differences.prefix(40).joined(separator: "\n"))")
            let run = try #require(report["run_id"]?.int)
            let format = name.contains(".jsonl") ? "jsonl" : "csv"
            #expect(try SQLite(tmp.db).lines("SELECT format, compression FROM run_inputs WHERE run_id = \(run)") == ["\(format)\tgzip"])
        }

        @Test func storeModesKeepTheRightVerdictRows() throws {
            let tmp = try TempDir()
            let db = SQLite(tmp.db)
            var runs: [String: Int] = [:]
            for mode in ["all", "exposed", "none"] {
                let r = try consentry(["scan", Self.sample, "--db", tmp.db, "--format", "json", "--store", mode,
                                       "--policy", "soundcloud-2025-05", "--policy", "soundcloud-opt-out"])
                #expect(r.exitCode == 0, "\(r)")
                runs[mode] = try #require(try JSON.parse(r.stdoutData)["run_id"]?.int)
            }
            let all = try #require(runs["all"]), exposed = try #require(runs["exposed"]), none = try #require(runs["none"])
            #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(all)") == Self.tracks * 2 * 4)

            // exposed: exactly the tracks with an exposed verdict under some policy, with every policy's row.
            let wanted = try db.int("SELECT count(DISTINCT track_id) AS n FROM verdicts_readable WHERE run_id = \(all) AND verdict = 'exposed'")
            let kept = try db.int("SELECT count(DISTINCT track_id) AS n FROM verdicts_readable WHERE run_id = \(exposed)")
            #expect(kept == wanted)
            #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(exposed)") == kept * 2 * 4)
            #expect(try db.int("""
                SELECT count(*) AS n FROM (
                    SELECT policy_id, track_id, label_status, use, verdict, rule_id FROM verdicts_readable WHERE run_id = \(exposed)
                    EXCEPT
                    SELECT policy_id, track_id, label_status, use, verdict, rule_id FROM verdicts_readable WHERE run_id = \(all))
                """) == 0)

            // none: no verdict rows, but the same statistics.
            #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(none)") == 0)
            for run in [exposed, none] {
                #expect(try db.int("SELECT count(*) AS n FROM group_stats WHERE run_id = \(run)") == 2 * 5 * 4)
                #expect(try db.int("""
                    SELECT count(*) AS n FROM (
                        SELECT policy_id, label_status, use, tracks, exposed, consented, blocked FROM group_stats WHERE run_id = \(run)
                        EXCEPT
                        SELECT policy_id, label_status, use, tracks, exposed, consented, blocked FROM group_stats WHERE run_id = \(all))
                    """) == 0, "group_stats of the --store run \(run) differ from --store all")
                #expect(try db.run(run)["status"]?.string == "completed")
            }
        }

        /// With built-in policies every track is exposed to ai_inference, so `--store exposed`
        /// keeps everything; a stricter policy shows that it really filters.
        @Test func storeExposedFiltersUnderAStrictPolicy() throws {
            let tmp = try TempDir()
            let strict = try tmp.write("strict.yaml", """
                id: strict-test
                title: Only independent tracks are open to training
                uses:
                  ai_generative_training:
                    - id: closed
                      verdict: blocked
                  ai_training:
                    - id: independent-open
                      when: { label_status: independent }
                      verdict: exposed
                    - id: closed
                      verdict: blocked
                  ai_inference:
                    - id: opted-in
                      when: { genai_opt_in: true }
                      verdict: consented
                    - id: closed
                      verdict: blocked
                  data_mining:
                    - id: closed
                      verdict: blocked

                """)
            let unknownOpen = try tmp.write("unknown-open.yaml", """
                id: unknown-open-test
                uses:
                  ai_generative_training:
                    - id: closed
                      verdict: blocked
                  ai_training:
                    - id: closed
                      verdict: blocked
                  ai_inference:
                    - id: unknown-open
                      when: { label_status: [unknown] }
                      verdict: exposed
                    - id: closed
                      verdict: blocked
                  data_mining:
                    - id: closed
                      verdict: blocked

                """)
            let csv = try tmp.write("tracks.csv", """
                track_id,label_status,genai_opt_in
                i1,independent,no
                m1,major,yes
                l1,licensed,no
                u1,,no
                i2,unsigned,yes
                u2,unknown,yes

                """)
            let db = SQLite(tmp.db)
            let r = try consentry(["scan", csv, "--db", tmp.db, "--format", "json", "--store", "exposed",
                                   "--policy", strict, "--policy", unknownOpen])
            #expect(r.exitCode == 0, "\(r)")
            let runID = try #require(try JSON.parse(r.stdoutData)["run_id"]?.int)
            let kept = try db.lines("SELECT DISTINCT track_id FROM verdicts_readable WHERE run_id = \(runID) ORDER BY track_id")
            #expect(kept == ["i1", "i2", "u1", "u2"])
            #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(runID)") == 4 * 2 * 4)
            let u2 = try db.lines("SELECT policy_id, use, verdict, rule_id FROM verdicts_readable WHERE run_id = \(runID) AND track_id = 'u2' ORDER BY policy_id, use")
            #expect(u2 == [
                "strict-test\tai_generative_training\tblocked\tclosed",
                "strict-test\tai_inference\tconsented\topted-in",
                "strict-test\tai_training\tblocked\tclosed",
                "strict-test\tdata_mining\tblocked\tclosed",
                "unknown-open-test\tai_generative_training\tblocked\tclosed",
                "unknown-open-test\tai_inference\texposed\tunknown-open",
                "unknown-open-test\tai_training\tblocked\tclosed",
                "unknown-open-test\tdata_mining\tblocked\tclosed",
            ])
            // Statistics still cover every track.
            #expect(try db.int("SELECT tracks AS n FROM group_stats WHERE run_id = \(runID) AND policy_id = 'strict-test' AND label_status = 'all' AND use = 'ai_training'") == 6)
        }
    }
}
