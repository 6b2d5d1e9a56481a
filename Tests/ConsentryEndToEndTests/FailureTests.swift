import Foundation
import Testing
import TestSupport

/// A policy file whose rule on line 16 has an unknown verdict.
let invalidPolicyYAML = """
    id: broken-test
    title: A policy with an unknown verdict
    uses:
      ai_generative_training:
        - id: licensed-excluded
          when: { label_status: [major, licensed] }
          verdict: blocked
        - id: default
          verdict: blocked
      ai_training:
        - id: default
          verdict: exposed
      ai_inference:
        - id: licensed-excluded
          when: { label_status: major }
          verdict: maybe
        - id: default
          verdict: exposed
      data_mining:
        - id: default
          verdict: blocked

    """
let invalidPolicyLine = 16

extension EndToEnd {
    /// fatal errors (exit 2) and usage errors (exit 64).
    @Suite struct FatalErrors {
        /// A catalogue with rejects and scanned rows all through it, so a failure mid-way
        /// would leave partial rows if the run were not rolled back.
        static let catalogue: String = {
            var text = generatedCSV(count: 4000, prefix: "f")
            text += "f-bad,a,t,notalabel,no,no,0,2024-01-01\nf-1,a,t,major,no,no,0,2024-01-01\n"
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            var out: [Substring] = []
            for (i, line) in lines.enumerated() {
                out.append(line)
                if i > 0 && i % 50 == 0 { out.append(Substring("bad-\(i),a,t,nolabel,no,no,0,2024-01-01")) }
            }
            return out.joined(separator: "\n")
        }()

        /// Scans dirty.csv into `db` and returns the completed run's id and a snapshot of its rows.
        func completedRun(_ tmp: TempDir) throws -> (run: Int, counts: [String: Int], row: [String: JSON]) {
            let (r, json) = try scanJSON([Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300"])
            #expect(r.exitCode == 0, "\(r)")
            let run = try #require(json?["run_id"]?.int)
            let db = SQLite(tmp.db)
            let counts = try db.rowCounts(run: run)
            #expect(counts["verdicts_readable"] ?? 0 > 0)
            #expect(counts["rejects"] ?? 0 > 0)
            return (run, counts, try db.run(run))
        }

        /// Checks the failed run `failed` (the latest) and that `earlier` is untouched.
        func checkFailedRun(_ tmp: TempDir, result r: ProcessResult, earlier: (run: Int, counts: [String: Int], row: [String: JSON]),
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
            let db = SQLite(tmp.db)
            let runs = try db.rows("SELECT id, status, error, finished_at FROM runs ORDER BY id")
            #expect(runs.count == 2, "runs: \(runs)", sourceLocation: sourceLocation)
            guard runs.count == 2, let failed = runs.last, let id = failed["id"]?.int else { return }
            #expect(failed["status"]?.string == "failed", sourceLocation: sourceLocation)
            let error = failed["error"]?.string ?? ""
            #expect(!error.isEmpty, "the failed run has no error text", sourceLocation: sourceLocation)
            #expect(r.stderr.contains(error), "the stored error '\(error)' is not what was printed:\n\(r.stderr)",
                    sourceLocation: sourceLocation)
            #expect(failed["finished_at"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
            let counts = try db.rowCounts(run: id)
            for (table, n) in counts where table != "run_inputs" && table != "run_policies" {
                #expect(n == 0, "the failed run left \(n) rows in \(table)", sourceLocation: sourceLocation)
            }
            #expect(try db.rowCounts(run: earlier.run) == earlier.counts, "the earlier run's rows changed",
                    sourceLocation: sourceLocation)
            #expect(try db.run(earlier.run) == earlier.row, "the earlier run's runs row changed", sourceLocation: sourceLocation)
            #expect(try db.int("SELECT count(*) AS n FROM group_stats WHERE run_id <> \(earlier.run)") == 0,
                    sourceLocation: sourceLocation)
        }

        static let truncations = ["half", "without-isize", "last-byte", "header-only", "mid-header"]

        @Test(arguments: truncations)
        func truncatedGzipFailsTheRunAndLeavesNoRows(truncation: String) throws {
            let tmp = try TempDir()
            let earlier = try completedRun(tmp)
            let full = try gzip(Self.catalogue)
            let kept: Int
            switch truncation {
            case "half": kept = full.count / 2
            case "without-isize": kept = full.count - 4
            case "last-byte": kept = full.count - 1
            case "header-only": kept = 10
            default: kept = 5
            }
            let path = try tmp.write("truncated-\(truncation).csv.gz", full.prefix(kept))
            let r = try consentry(["scan", path, "--db", tmp.db, "--chunk-bytes", "4096", "--jobs", "2"])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.hasPrefix("consentry: error: \(path)"), "stderr must name the file: \(r.stderr)")
            #expect(r.stdout.isEmpty || !r.stdout.contains("completed"), "\(r)")
            try checkFailedRun(tmp, result: r, earlier: earlier)
        }

        static let corruptions = ["invalid-block-type", "crc-mismatch", "size-mismatch", "garbage-in-body"]

        @Test(arguments: corruptions)
        func corruptGzipFailsTheRun(corruption: String) throws {
            let tmp = try TempDir()
            let earlier = try completedRun(tmp)
            var data = try gzip(Self.catalogue)
            switch corruption {
            case "invalid-block-type":
                // A valid header, then a final block of the reserved type 3.
                data = data.prefix(10) + Data(repeating: 0xFF, count: 64)
            case "crc-mismatch":
                data[data.count - 8] ^= 0xFF
            case "size-mismatch":
                data[data.count - 4] ^= 0x01
            default:
                let middle = data.count / 2
                for i in middle..<(middle + 64) { data[i] = 0xFF }
            }
            let path = try tmp.write("corrupt-\(corruption).csv.gz", data)
            let r = try consentry(["scan", path, "--db", tmp.db, "--chunk-bytes", "4096"])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.hasPrefix("consentry: error: \(path)"), "stderr must name the file: \(r.stderr)")
            try checkFailedRun(tmp, result: r, earlier: earlier)
        }

        @Test(arguments: ["label_status", "track_id"])
        func aMissingRequiredColumnIsFatal(column: String) throws {
            let tmp = try TempDir()
            let earlier = try completedRun(tmp)
            let header = ["track_id", "title", "label_status"].filter { $0 != column }
            let path = try tmp.write("no-\(column).csv", header.joined(separator: ",") + "\nx,y\nz,w\n")
            let r = try consentry(["scan", path, "--db", tmp.db])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains(path), "\(r)")
            #expect(r.stderr.contains(column), "the message must name the missing column: \(r)")
            try checkFailedRun(tmp, result: r, earlier: earlier)
        }

        @Test func aColumnMappingSatisfiesTheHeader() throws {
            let tmp = try TempDir()
            let path = try tmp.write("mapped.csv", "isrc;Status;optin\nm1;independent;yes\nm2;major;no\n")
            let (r, json) = try scanJSON([path, "--db", tmp.db, "--delimiter", ";", "--column", "track_id=isrc",
                                          "--column", "label_status=status", "--column", "genai_opt_in=OptIn"])
            #expect(r.exitCode == 0, "\(r)")
            #expect(json?["rows"] == (try JSON.parse(#"{"read": 2, "scanned": 2, "rejected": 0}"#)))
            let gen = json?["policies"]?[Spec.defaultPolicy]?["groups"]?["independent"]?["uses"]?["ai_generative_training"]
            #expect(gen?["consented"]?.int == 1, "\(String(describing: gen))")
        }

        @Test func aMissingInputFileIsFatal() throws {
            let tmp = try TempDir()
            let missing = tmp.file("no-such-export.csv.gz")
            let r = try consentry(["scan", missing, "--db", tmp.db])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains(missing), "\(r)")
        }

        @Test func anUnknownPolicyIsAUsageError() throws {
            let tmp = try TempDir()
            let r = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", tmp.db, "--policy", "soundcloud-1999-01"])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.contains("soundcloud-1999-01"), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: tmp.db), "a usage error must not create the database")
        }

        @Test func anInvalidPolicyFileIsAUsageErrorWithFileAndLine() throws {
            let tmp = try TempDir()
            let policy = try tmp.write("broken.yaml", invalidPolicyYAML)
            let r = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", tmp.db, "--policy", policy])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.contains("\(policy):\(invalidPolicyLine)"), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: tmp.db), "a usage error must not create the database")
        }

        static let badOptions: [[String]] = [
            ["--jobs", "0"], ["--jobs", "-3"], ["--delimiter", "ab"], ["--delimiter", ""], ["--column", "bogus=x"],
            ["--column", "track_id"], ["--column", "track_id="], ["--format", "xml"], ["--store", "some"],
            ["--input-format", "xml"], ["--max-reject-rate", "1.5"], ["--max-exposed-share", "-0.1"],
            ["--max-record-bytes", "0"], ["--wait-lock", "-1"], ["--no-such-option"],
        ]

        @Test(arguments: badOptions)
        func aBadOptionIsAUsageError(option: [String]) throws {
            let tmp = try TempDir()
            let r = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", tmp.db] + option)
            #expect(r.exitCode == 64, "\(option): \(r)")
            #expect(!r.stderr.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: tmp.db), "a usage error must not create the database")
        }

        @Test func noInputIsAUsageError() throws {
            let tmp = try TempDir()
            let r = try consentry(["scan", "--db", tmp.db])
            #expect(r.exitCode == 64, "\(r)")
            #expect(!FileManager.default.fileExists(atPath: tmp.db))
        }
    }

    /// thresholds turn a completed run into exit 1.
    @Suite struct Thresholds {
        @Test func aRejectRateAboveTheLimitExits1AndTheRunIsCompleted() throws {
            let tmp = try TempDir()
            let (r, json) = try scanJSON([Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300",
                                          "--max-reject-rate", "0.01"])
            #expect(r.exitCode == 1, "\(r)")
            #expect(r.stderr.contains("reject"), "\(r)")
            let run = try #require(json?["run_id"]?.int, "the JSON report is still printed")
            let row = try SQLite(tmp.db).run(run)
            #expect(row["status"]?.string == "completed")
            #expect(row["rows_rejected"]?.int == 48)
            #expect(try SQLite(tmp.db).int("SELECT count(*) AS n FROM group_stats WHERE run_id = \(run)") == 20)
        }

        @Test func anExposedShareAboveTheLimitExits1() throws {
            let tmp = try TempDir()
            let path = try tmp.write("independent.csv", "track_id,label_status\ni1,independent\ni2,unsigned\nm1,major\n")
            let (r, json) = try scanJSON([path, "--db", tmp.db, "--max-exposed-share", "0.5"])
            #expect(r.exitCode == 1, "\(r)")
            #expect(json?["policies"]?[Spec.defaultPolicy]?["independent_exposed_share"]?.double == 1.0)
            #expect(r.stderr.contains(Spec.defaultPolicy), "the message should say which policy: \(r)")
            let run = try #require(json?["run_id"]?.int)
            #expect(try SQLite(tmp.db).run(run)["status"]?.string == "completed")

            // Any policy over the limit counts; with opt-outs the share is lower.
            let optOut = try tmp.write("opted-out.csv", "track_id,label_status,ai_opt_out\ni1,independent,yes\ni2,independent,no\n")
            let below = try consentry(["scan", optOut, "--db", tmp.db, "--max-exposed-share", "0.5", "--policy", "soundcloud-opt-out"])
            #expect(below.exitCode == 0, "share 0.5 is not above 0.5: \(below)")
            let both = try consentry(["scan", optOut, "--db", tmp.db, "--max-exposed-share", "0.5",
                                      "--policy", "soundcloud-opt-out", "--policy", "soundcloud-2025-05"])
            #expect(both.exitCode == 1, "\(both)")
        }

        @Test func generousThresholdsExit0() throws {
            let tmp = try TempDir()
            let r = try consentry(["scan", Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300",
                                   "--max-reject-rate", "0.9", "--max-exposed-share", "1.0"])
            #expect(r.exitCode == 0, "\(r)")
        }
    }

    /// databases consentry must not write.
    @Suite struct ForeignDatabases {
        @Test func aDatabaseFromANewerVersionIsRefused() throws {
            let tmp = try TempDir()
            let first = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", tmp.db])
            #expect(first.exitCode == 0, "\(first)")
            let db = SQLite(tmp.db)
            try db.execute("INSERT INTO grdb_migrations VALUES ('v999')")
            let r = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", tmp.db])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains("newer consentry"), "\(r)")
            #expect(r.stderr.contains(tmp.db), "\(r)")
            #expect(try db.int("SELECT count(*) AS n FROM runs") == 1, "no run may be added to a newer database")
            #expect(try db.lines("SELECT identifier FROM grdb_migrations ORDER BY identifier").contains("v999"))
        }

        @Test func aFileThatIsNotSQLiteIsLeftAlone() throws {
            let tmp = try TempDir()
            let text = String(repeating: "These are notes, not a results database. Do not overwrite.\n", count: 40)
            let path = try tmp.write("notes.sqlite", text)
            let r = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", path])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains(path), "\(r)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(text.utf8), "the file was changed")
            for suffix in ["-wal", "-journal"] {
                let side = path + suffix
                let size = (try? FileManager.default.attributesOfItem(atPath: side)[.size] as? Int) ?? 0
                #expect(size == 0, "\(side) was written")
            }
        }
    }
}
