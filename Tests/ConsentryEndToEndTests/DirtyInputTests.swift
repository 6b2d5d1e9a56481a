import Foundation
import Testing
import TestSupport

/// The rejects of a run as sortable lines: input, line, byte_offset, code, column[, message, excerpt].
func rejectLines(_ db: SQLite, run: Int, withText: Bool) throws -> [String] {
    let text = withText ? ", hex(message), hex(excerpt)" : ""
    return try db.lines("""
        SELECT input, line, byte_offset, code, coalesce("column", '<null>')\(text)
        FROM rejects WHERE run_id = \(run) ORDER BY rowid
        """)
}

/// The verdict rows of a run as lines: policy_id, hex(track_id), label_status, use, verdict, rule_id.
func verdictLines(_ db: SQLite, run: Int) throws -> [String] {
    try db.lines("""
        SELECT policy_id, hex(track_id), label_status, use, verdict, rule_id
        FROM verdicts_readable WHERE run_id = \(run)
        """).sorted()
}

/// The same lines from `reference-scan --verdicts` output.
func referenceVerdictLines(_ reference: JSON) -> [String] {
    var out: [String] = []
    for entry in reference["verdicts"]?.array ?? [] {
        let policy = entry["policy_id"]?.string ?? "?"
        let track = Data8.hexString(Data((entry["track_id"]?.string ?? "?").utf8))
        let label = entry["label_status"]?.string ?? "?"
        for (use, decision) in entry["uses"]?.object ?? [:] {
            out.append([policy, track, label, use, decision["verdict"]?.string ?? "?", decision["rule_id"]?.string ?? "?"]
                .joined(separator: "\t"))
        }
    }
    return out.sorted()
}

/// The rejects of `reference-scan` output as lines like ``rejectLines(_:run:withText:)`` without text.
func referenceRejectLines(_ reference: JSON) -> [String] {
    (reference["rejects"]?.array ?? []).map { r in
        [r["input"]?.string ?? "?", String(r["line"]?.int ?? -1), String(r["byte_offset"]?.int ?? -1),
         r["code"]?.string ?? "?", r["column"]?.string ?? "<null>"].joined(separator: "\t")
    }
}

extension EndToEnd {
    /// Tests 2 and 3: the dirty samples' every reject, and results independent of threads and chunking.
    @Suite struct DirtyInputs {
        static func expectations() throws -> JSON {
            try JSON.parse(Data(contentsOf: URL(fileURLWithPath: Paths.sample("dirty.expected.json"))))
        }

        @Test(arguments: ["dirty.csv", "dirty.jsonl"])
        func everyRejectAndCountAsExpected(name: String) throws {
            let expected = try #require(try Self.expectations()[name])
            let extra = expected["args"]?.array?.compactMap(\.string) ?? []
            let path = Paths.sample(name)
            let tmp = try TempDir()
            let policies = Spec.builtInPolicies
            let r = try consentry(["scan", path, "--db", tmp.db, "--format", "json"] + Spec.policyArguments(policies) + extra)
            #expect(r.exitCode == 0, "\(r)")
            let json = try JSON.parse(r.stdoutData)
            Spec.checkReportShape(json, policies: policies)
            #expect(json["rows"] == expected["rows"], "rows: \(String(describing: json["rows"]))")
            #expect(json["rejects_by_code"] == expected["rejects_by_code"],
                    "\(jsonDifferences(json["rejects_by_code"] ?? .null, expected["rejects_by_code"] ?? .null))")
            for (id, want) in expected["policies"]?.object ?? [:] {
                let got = json["policies"]?[id]
                for key in ["independent_exposed_share", "labelled_exposed_share", "exposure_gap"] {
                    #expect(got?[key] == want[key], "\(id).\(key)")
                }
                for (group, counts) in want["groups"]?.object ?? [:] {
                    #expect(got?["groups"]?[group]?["tracks"] == counts["tracks"], "\(id).\(group).tracks")
                    #expect(got?["groups"]?[group]?["any_training_exposed"] == counts["any_training_exposed"],
                            "\(id).\(group).any_training_exposed")
                }
            }

            // Every number agrees with the oracle, too.
            let reference = try referenceScan([path, "--verdicts"] + Spec.policyArguments(policies) + extra)
            let differences = jsonDifferences(json.removing("run_id", "status"), reference.removing("rejects", "verdicts"))
            #expect(differences.isEmpty, "consentry vs reference-scan:\n\(differences.prefix(40).joined(separator: "\n"))")

            // Every reject row: input, line, byte_offset, code, column.
            let runID = try #require(json["run_id"]?.int)
            let db = SQLite(tmp.db)
            let wanted = (expected["rejects"]?.array ?? []).map { r in
                [path, String(r["line"]?.int ?? -1), String(r["byte_offset"]?.int ?? -1), r["code"]?.string ?? "?",
                 r["column"]?.string ?? "<null>"].joined(separator: "\t")
            }
            let got = try rejectLines(db, run: runID, withText: false)
            #expect(got.sorted() == wanted.sorted(),
                    "rejects differ:\nmissing: \(Set(wanted).subtracting(got).sorted())\nunexpected: \(Set(got).subtracting(wanted).sorted())")

            // Excerpts: at most 200 bytes of the raw record, valid UTF-8; messages are there.
            let raw = try Data(contentsOf: URL(fileURLWithPath: path))
            let rows = try db.rows("""
                SELECT line, byte_offset, code, message, length(CAST(excerpt AS BLOB)) AS excerpt_bytes, hex(excerpt) AS excerpt_hex
                FROM rejects WHERE run_id = \(runID)
                """)
            #expect(rows.count == wanted.count)
            for row in rows {
                let where_ = "reject at line \(row["line"]?.int ?? -1) (\(row["code"]?.string ?? "?"))"
                let excerpt = Data8.hex(row["excerpt_hex"]?.string ?? "")
                #expect((row["excerpt_bytes"]?.int ?? 999) <= 200, "\(where_): excerpt of \(excerpt.count) bytes")
                #expect(excerpt.count <= 200)
                #expect(isValidUTF8(excerpt), "\(where_): excerpt is not valid UTF-8: \(Data8.hexString(excerpt))")
                #expect(!excerpt.isEmpty, "\(where_): empty excerpt")
                #expect(row["message"]?.string?.isEmpty == false, "\(where_): no message")
                if let offset = row["byte_offset"]?.int, offset < raw.count, raw[offset] < 0x80, let first = excerpt.first {
                    #expect(first == raw[offset], "\(where_): the excerpt does not start at byte_offset \(offset)")
                }
            }

            // The stored verdicts are the oracle's, track by track.
            let verdicts = try verdictLines(db, run: runID)
            let referenceVerdicts = referenceVerdictLines(reference)
            #expect(verdicts.count == (json["rows"]?["scanned"]?.int ?? -1) * policies.count * 4)
            #expect(verdicts == referenceVerdicts,
                    "verdicts differ:\nmissing: \(Set(referenceVerdicts).subtracting(verdicts).sorted().prefix(10))\nunexpected: \(Set(verdicts).subtracting(referenceVerdicts).sorted().prefix(10))")
        }

        /// `--jobs` and the hidden `--chunk-bytes` change nothing in the results.
        @Test func resultsDoNotDependOnJobsOrChunking() throws {
            let tmp = try TempDir()
            var generated = generatedCSV(count: 1500, prefix: "p", quotedTitles: true)
            generated += """
                d-001,a-9,"duplicate of dirty.csv",major,no,no,0,2024-01-01
                j-001,a-9,duplicate of dirty.jsonl,major,no,no,0,2024-01-01
                p-5,a-9,duplicate within,major,no,no,0,2024-01-01
                p-bad,a-9,rejected first,notalabel,no,no,0,2024-01-01
                p-bad,a-9,"scanned second
                over two lines",licensed,no,no,0,2024-01-01
                p-late,a-9,bad date,major,no,no,0,2024-02-30

                """
            let gz = try tmp.write("generated.csv.gz", try gzip(generated))
            let inputs = [Paths.sample("dirty.csv"), Paths.sample("dirty.jsonl"), gz]
            let policies = Spec.builtInPolicies
            let common = ["scan"] + inputs + ["--db", tmp.db, "--format", "json", "--max-record-bytes", "300"]
                + Spec.policyArguments(policies)
            let configurations: [[String]] = [
                ["--jobs", "1"], ["--jobs", "2"], ["--jobs", "4"],
                ["--jobs", "1", "--chunk-bytes", "64"], ["--jobs", "4", "--chunk-bytes", "64"],
                ["--jobs", "2", "--chunk-bytes", "4096"], ["--jobs", "4", "--chunk-bytes", "4096"],
            ]
            var runs: [(configuration: [String], run: Int, json: JSON)] = []
            for configuration in configurations {
                let r = try consentry(common + configuration)
                #expect(r.exitCode == 0, "\(configuration): \(r)")
                guard let json = try? JSON.parse(r.stdoutData), let run = json["run_id"]?.int else {
                    Issue.record("\(configuration): no JSON report"); continue
                }
                runs.append((configuration, run, json))
            }
            let base = try #require(runs.first)
            let db = SQLite(tmp.db)

            // The first configuration agrees with the oracle.
            let reference = try referenceScan(inputs + ["--max-record-bytes", "300", "--verdicts"] + Spec.policyArguments(policies))
            let differences = jsonDifferences(base.json.removing("run_id", "status"), reference.removing("rejects", "verdicts"))
            #expect(differences.isEmpty, "consentry vs reference-scan:\n\(differences.prefix(40).joined(separator: "\n"))")
            let baseRejects = try rejectLines(db, run: base.run, withText: false)
            let referenceRejects = referenceRejectLines(reference)
            #expect(baseRejects.sorted() == referenceRejects.sorted(),
                    "rejects vs oracle:\nmissing: \(Set(referenceRejects).subtracting(baseRejects).sorted())\nunexpected: \(Set(baseRejects).subtracting(referenceRejects).sorted())")
            #expect(try verdictLines(db, run: base.run) == referenceVerdictLines(reference))

            // Every other configuration equals the first.
            let baseRejectRows = try rejectLines(db, run: base.run, withText: true).sorted()
            let baseVerdictCount = try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(base.run)")
            for other in runs.dropFirst() {
                let label = "\(other.configuration) vs \(base.configuration)"
                let diff = jsonDifferences(other.json.removing("run_id"), base.json.removing("run_id"))
                #expect(diff.isEmpty, "\(label) JSON:\n\(diff.prefix(20).joined(separator: "\n"))")
                let rejects = try rejectLines(db, run: other.run, withText: true).sorted()
                #expect(rejects == baseRejectRows,
                        "\(label) rejects:\nmissing: \(Set(baseRejectRows).subtracting(rejects).sorted().prefix(10))\nunexpected: \(Set(rejects).subtracting(baseRejectRows).sorted().prefix(10))")
                #expect(try db.int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(other.run)") == baseVerdictCount,
                        "\(label) verdict row count")
                for (a, b) in [(other.run, base.run), (base.run, other.run)] {
                    #expect(try db.int("""
                        SELECT count(*) AS n FROM (
                            SELECT policy_id, track_id, label_status, use, verdict, rule_id FROM verdicts_readable WHERE run_id = \(a)
                            EXCEPT
                            SELECT policy_id, track_id, label_status, use, verdict, rule_id FROM verdicts_readable WHERE run_id = \(b))
                        """) == 0, "\(label): verdict rows of run \(a) missing from run \(b)")
                }
                #expect(try db.int("""
                    SELECT count(*) AS n FROM (
                        SELECT policy_id, label_status, use, tracks, exposed, consented, blocked FROM group_stats WHERE run_id = \(other.run)
                        EXCEPT
                        SELECT policy_id, label_status, use, tracks, exposed, consented, blocked FROM group_stats WHERE run_id = \(base.run))
                    """) == 0, "\(label): group_stats differ")
            }
        }
    }
}
