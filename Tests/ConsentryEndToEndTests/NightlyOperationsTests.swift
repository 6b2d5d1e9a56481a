import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// diff, prune, what-if transitions and logging over scans of the two nightly samples,
    /// with the counts recomputed from the stored per-track verdicts.
    @Suite struct NightlyOperations {
        static let policies = ["soundcloud-2025-05", "soundcloud-opt-out"]

        /// A run's stored verdicts from `verdicts_readable`: policy → track id → (label status,
        /// use → verdict). Computing from the view is independent of diff's merge join and of
        /// the scan's transition counters; SampleScan checks the stored verdicts against the oracle.
        static func storedVerdicts(_ db: String, run: Int) throws -> [String: [String: (label: String, uses: [String: String])]] {
            var result: [String: [String: (label: String, uses: [String: String])]] = [:]
            for line in try SQLite(db).lines("SELECT policy_id, track_id, label_status, use, verdict FROM verdicts_readable WHERE run_id = \(run)") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                result[f[0], default: [:]][f[1], default: (f[2], [:])].uses[f[3]] = f[4]
            }
            return result
        }

        static func scanNights(_ tmp: TempDir, store: String = "all") throws {
            for file in ["nightly-2026-11-20.csv.gz", "nightly-2026-11-21.csv.gz"] {
                let r = try consentry(["scan", Paths.sample(file), "--db", tmp.db, "--store", store, "--quiet"] + Spec.policyArguments(policies))
                #expect(r.exitCode == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "\(r)")
            }
        }

        @Test func diffOfTheTwoNightliesAgreesWithTheOracle() throws {
            let tmp = try TempDir()
            try Self.scanNights(tmp)
            let night1 = try Self.storedVerdicts(tmp.db, run: 1)
            let night2 = try Self.storedVerdicts(tmp.db, run: 2)
            for policy in Self.policies {
                let a = try #require(night1[policy]), b = try #require(night2[policy])
                let both = Set(a.keys).intersection(b.keys)
                var transitions: [String: Int] = [:]
                var changed = 0, labelChanged = 0
                for id in both {
                    let x = a[id]!, y = b[id]!
                    if x.uses != y.uses { changed += 1 }
                    if x.label != y.label { labelChanged += 1 }
                    for use in Spec.uses { transitions["\(use).\(x.uses[use]!)_to_\(y.uses[use]!)", default: 0] += 1 }
                }
                let r = try consentry(["diff", "1", "2", "--db", tmp.db, "--policy", policy, "--format", "json", "--limit", "5"])
                #expect(r.exitCode == 0, "\(r)")
                let diff = try JSON.parse(r.stdout)
                #expect(diff["policy_id"]?.string == policy)
                #expect(diff["tracks_a"]?.int == a.count && diff["tracks_b"]?.int == b.count)
                #expect(diff["added"]?.int == b.count - both.count)
                #expect(diff["removed"]?.int == a.count - both.count)
                #expect(diff["changed"]?.int == changed)
                #expect(diff["label_changed"]?.int == labelChanged)
                #expect(diff["unchanged"]?.int == both.count - changed)
                #expect(changed > 0 && diff["added"]?.int ?? 0 > 0 && diff["removed"]?.int ?? 0 > 0, "the samples differ in every way")
                for use in Spec.uses {
                    for f in Spec.verdicts {
                        for t in Spec.verdicts {
                            #expect(diff["transitions"]?[use]?["\(f)_to_\(t)"]?.int == transitions["\(use).\(f)_to_\(t)"] ?? 0, "\(policy) \(use) \(f)→\(t)")
                        }
                    }
                }
                let tracks = try #require(diff["tracks"]?.array)
                #expect(tracks.count == 5)
                let ids = tracks.compactMap { $0["track_id"]?.string }
                #expect(Set(ids).count == 5, "five distinct changes")

                // csv lists every change: one row per changed use of a track in both runs, four
                // per added or removed track, one for a label-only change.
                let csv = try consentry(["diff", "previous", "latest", "--db", tmp.db, "--policy", policy, "--format", "csv"])
                #expect(csv.exitCode == 0, "\(csv)")
                let rows = csv.stdout.split(separator: "\n").dropFirst()
                var expectedRows = 4 * (a.count - both.count) + 4 * (b.count - both.count)
                for id in both {
                    let x = a[id]!, y = b[id]!
                    let uses = Spec.uses.filter { x.uses[$0] != y.uses[$0] }.count
                    expectedRows += uses > 0 ? uses : (x.label != y.label ? 1 : 0)
                }
                #expect(rows.count == expectedRows)
            }
            let text = try consentry(["diff", "previous", "latest", "--db", tmp.db])
            #expect(text.exitCode == 0 && text.stdout.hasPrefix("Diff of run 1 → run 2 under soundcloud-2025-05"), "\(text)")
            #expect(text.stdout.contains("exposed → blocked"))
            #expect(try consentry(["diff", "1", "7", "--db", tmp.db]).exitCode == 2)
            #expect(try consentry(["diff", "1", "yesterday", "--db", tmp.db]).exitCode == 64)
        }

        @Test func diffRefusesRunsWithoutVerdictRows() throws {
            let tmp = try TempDir()
            try Self.scanNights(tmp, store: "none")
            let r = try consentry(["diff", "1", "2", "--db", tmp.db])
            #expect(r.exitCode == 2)
            #expect(r.stderr.contains("--store none") && r.stderr.contains("rescan with --store all"), "\(r)")
            #expect(r.stderr.hasPrefix("consentry: error: \(tmp.db): "), "\(r)")
        }

        @Test func whatIfTransitionsAgreeWithTheOracle() throws {
            let tmp = try TempDir()
            let policies = Spec.builtInPolicies
            let r = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", tmp.db, "--format", "json"]
                                  + Spec.policyArguments(policies))
            #expect(r.exitCode == 0, "\(r)")
            let json = try JSON.parse(r.stdout)
            Spec.checkReportShape(json, policies: policies)
            // SampleScan compares these transitions with the oracle's; here they are recounted
            // from the stored per-track verdicts.
            let oracle = try Self.storedVerdicts(tmp.db, run: 1)
            var expected: [String: Int] = [:]
            for (i, p) in policies.enumerated() {
                for q in policies[(i + 1)...] {
                    for (id, x) in oracle[p]! {
                        let y = oracle[q]![id]!
                        for use in Spec.uses where x.uses[use] != y.uses[use] {
                            for group in [x.label, "all"] {
                                expected["\(p) \(q) \(group) \(use) \(x.uses[use]!) \(y.uses[use]!)", default: 0] += 1
                            }
                        }
                    }
                }
            }
            var actual: [String: Int] = [:]
            for t in try #require(json["transitions"]?.array) {
                let key = ["from_policy", "to_policy", "group", "use", "from", "to"].compactMap { t[$0]?.string }.joined(separator: " ")
                actual[key] = t["tracks"]?.int
            }
            #expect(actual == expected)
            #expect(actual["soundcloud-2025-05 soundcloud-opt-out independent ai_training exposed blocked"] ?? 0 > 0,
                    "opting out moves independent tracks from exposed to blocked")
            // Stored, and shown by report in JSON and text.
            let report = try JSON.parse(try consentry(["report", "--db", tmp.db, "--format", "json"]).stdout)
            #expect(report["transitions"] == json["transitions"])
            #expect(try SQLite(tmp.db).int("SELECT count(*) FROM policy_transitions WHERE from_verdict <> to_verdict") == actual.count)
            let text = try consentry(["report", "--db", tmp.db])
            #expect(text.stdout.contains("What-if soundcloud-2025-05 → soundcloud-opt-out"), "\(text)")
        }

        @Test func pruneKeepsStatisticsAndRefusesPerTrackQueries() throws {
            let tmp = try TempDir()
            try Self.scanNights(tmp)
            let dirty = try consentry(["scan", Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300", "--quiet"])
            #expect(dirty.exitCode == 0, "\(dirty)")
            let reportBefore = try consentry(["report", "--db", tmp.db, "--run", "1", "--format", "json"]).stdout
            let trendBefore = try consentry(["trend", "--db", tmp.db, "--format", "json"]).stdout

            // Run 3 (another catalogue) ended every night-2 period: they and night 1's ended
            // ones are what only runs 1 and 2 need.
            let db = SQLite(tmp.db)
            let ended = try db.int("SELECT count(*) FROM history_ends WHERE to_run <= 3")
            #expect(ended > 25_000)
            let view3 = try db.int("SELECT count(*) FROM verdicts_readable WHERE run_id = 3")
            let dry = try consentry(["prune", "--db", tmp.db, "--keep", "1", "--dry-run"])
            #expect(dry.exitCode == 0 && dry.stdout.hasPrefix("Would prune 2 run(s) (1, 2): \(ended) history periods"), "\(dry)")
            let r = try consentry(["prune", "--db", tmp.db, "--keep", "1"])
            #expect(r.exitCode == 0 && r.stdout.hasPrefix("Pruned 2 run(s) (1, 2): deleted \(ended) history periods and 0 reject rows"), "\(r)")
            #expect(try db.int("SELECT count(*) FROM verdicts_readable WHERE run_id IN (1, 2)") == 0)
            #expect(try db.int("SELECT count(*) FROM verdicts_readable WHERE run_id = 3") == view3)
            #expect(try db.int("SELECT count(*) FROM rejects WHERE run_id = 3") == 48)
            #expect((try db.rows("PRAGMA integrity_check")).first?["integrity_check"]?.string == "ok")

            #expect(try consentry(["report", "--db", tmp.db, "--run", "1", "--format", "json"]).stdout == reportBefore)
            #expect(try consentry(["trend", "--db", tmp.db, "--format", "json"]).stdout == trendBefore)
            let runs = try consentry(["runs", "--db", tmp.db]).stdout
            #expect(runs.split(separator: "\n").filter { $0.contains(" pruned ") }.count == 2, "\(runs)")
            let diff = try consentry(["diff", "1", "2", "--db", tmp.db])
            #expect(diff.exitCode == 2 && diff.stderr.contains("consentry prune"), "\(diff)")
            let rejects = try consentry(["rejects", "--db", tmp.db, "--run", "1"])
            #expect(rejects.exitCode == 2 && rejects.stderr.contains("consentry prune"), "\(rejects)")
            #expect(try consentry(["prune", "--db", tmp.db, "--keep", "-1"]).exitCode == 64)
        }

        /// Whether python3 can import prometheus_client (.ci/run installs it).
        static let prometheusParser: Bool = {
            (try? runProgram("/usr/bin/env", ["python3", "-c", "import prometheus_client"]))?.status == 0
        }()

        /// Required under CI (`.ci/run` installs the parser); elsewhere it needs it installed.
        @Test(.enabled(if: prometheusParser || ProcessInfo.processInfo.environment["CI"] != nil,
                       "needs python3 -m pip install prometheus_client"))
        func metricsFileIsAcceptedByThePrometheusParser() throws {
            let tmp = try TempDir()
            let metrics = tmp.file("consentry.prom")
            let r = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), Paths.sample("dirty.csv"), "--db", tmp.db,
                                   "--max-record-bytes", "300", "--metrics-file", metrics, "--format", "json"]
                                  + Spec.policyArguments(Self.policies))
            #expect(r.exitCode == 0, "\(r)")
            let json = try JSON.parse(r.stdout)
            // The official client's parser reads every family; print name{labels} value lines.
            let script = """
                import sys
                from prometheus_client.parser import text_string_to_metric_families
                for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                    for s in family.samples:
                        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                        print(f"{s.name}{{{labels}}} {s.value!r}")
                """
            let parsed = try runProgram("/usr/bin/env", ["python3", "-c", script, metrics])
            #expect(parsed.status == 0, "\(parsed)")
            let samples = Dictionary(parsed.stdout.split(separator: "\n").map { line -> (String, Double) in
                let parts = line.split(separator: " ")
                return (String(parts[0]), Double(parts[1]) ?? .nan)
            }, uniquingKeysWith: { a, _ in a })
            #expect(samples["consentry_last_run_success{}"] == 1)
            #expect(samples["consentry_rows{state=read}"].map(Int.init) == json["rows"]?["read"]?.int)
            #expect(samples["consentry_rows{state=rejected}"].map(Int.init) == json["rows"]?["rejected"]?.int)
            for policy in Self.policies {
                #expect(samples["consentry_independent_exposed_share{policy=\(policy)}"]
                        == json["policies"]?[policy]?["independent_exposed_share"]?.double, "\(policy)")
            }
            #expect(samples.count > 100, "every family parsed: \(samples.count) samples")
        }

        @Test func logLevelInfoTellsTheRunsLifecycleAndTheDefaultIsQuiet() throws {
            let tmp = try TempDir()
            let quiet = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", tmp.db, "--quiet"])
            #expect(quiet.exitCode == 0 && quiet.stderr.isEmpty, "\(quiet)")
            let info = try consentry(["scan", Paths.sample("nightly-2026-11-21.csv.gz"), "--db", tmp.db, "--quiet", "--log-level", "info"])
            #expect(info.exitCode == 0, "\(info)")
            let lines = info.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(info.stderr)")
            #expect(lines.allSatisfy { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z consentry info: "#, options: .regularExpression) != nil })
            #expect(lines.first?.contains("run 2 started") == true)
            #expect(lines.contains { $0.contains("input scanned") && $0.contains("rows=25004") })
            #expect(lines.last?.contains("run 2 completed") == true && lines.last?.contains("scanned=25004") == true)
            #expect(try consentry(["scan", Paths.sample("dirty.csv"), "--db", tmp.db, "--log-level", "loud"]).exitCode == 64)
        }

        @Test func logLevelDebugTimesEachStageAfterReading() throws {
            let tmp = try TempDir()
            let debug = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", tmp.db, "--quiet",
                                       "--log-level", "debug"])
            #expect(debug.exitCode == 0, "\(debug)")
            let stages = debug.stderr.split(separator: "\n").compactMap { line -> String? in
                guard let match = line.firstMatch(of: #/consentry debug: (\w+) done seconds=\d+\.\d{3}$/#) else { return nil }
                return String(match.1)
            }
            // A --store all scan (the default) goes through every stage, in this order.
            #expect(stages == ["resolving", "history", "duplicates", "statistics"], "\(debug.stderr)")
        }
    }
}
