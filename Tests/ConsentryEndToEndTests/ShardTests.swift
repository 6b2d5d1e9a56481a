import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `scan --shard` and `merge`: a set of shards records exactly the run one scan of the
    /// same inputs records.
    @Suite struct Shards {
        static let policies = ["--policy", "soundcloud-2025-05", "--policy", "soundcloud-opt-out"]

        /// A directory of parts of uneven sizes, with tracks repeated across parts (so that
        /// duplicates cross shards), dirty records, and both formats.
        static func parts(_ tmp: TempDir, night: Int = 1) throws -> String {
            let dir = try tmp.makeDirectory("parts-\(night)")
            let sample = try gunzip(try Data(contentsOf: URL(fileURLWithPath: Paths.sample(
                night == 1 ? "nightly-2026-11-20.csv.gz" : "nightly-2026-11-21.csv.gz"))))
            let lines = String(decoding: sample, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let header = String(lines[0])
            func part(_ range: ClosedRange<Int>) -> String {
                ([header] + lines[range].map(String.init)).joined(separator: "\n") + "\n"
            }
            try gzip(part(1...9000)).write(to: URL(fileURLWithPath: dir + "/a.csv.gz"))
            try gzip(part(8000...12000)).write(to: URL(fileURLWithPath: dir + "/b.csv.gz"))
            try part(11000...(lines.count - 2)).write(toFile: dir + "/c.csv", atomically: true, encoding: .utf8)
            try Data(contentsOf: URL(fileURLWithPath: Paths.sample("dirty.csv"))).write(to: URL(fileURLWithPath: dir + "/d.csv"))
            try Data(contentsOf: URL(fileURLWithPath: Paths.sample("dirty.jsonl"))).write(to: URL(fileURLWithPath: dir + "/e.jsonl"))
            return dir
        }

        /// Everything a run shows: its JSON summary without the run id, its rejects, and every
        /// policy's export.
        static func everything(_ db: String, run: Int, json: String) throws -> [String] {
            var parsed = try JSON.parse(json).removing("run_id")
            parsed = parsed.removing("run_id")
            var out = ["\(parsed)"]
            out.append(try consentry(["rejects", "--db", db, "--run", String(run)]).stdout)
            for policy in ["soundcloud-2025-05", "soundcloud-opt-out"] {
                out.append(try consentry(["export", "--db", db, "--run", String(run), "--policy", policy, "--format", "csv"]).stdout)
            }
            out.append(try SQLite(db).lines("SELECT * FROM verdicts_readable WHERE run_id = \(run) ORDER BY policy_id, track_id, use").joined(separator: "\n"))
            return out
        }

        static func shard(_ inputs: String, _ spec: String, dir: String, environment: [String: String] = [:],
                          extra: [String] = []) throws -> ProcessResult {
            try consentry(["scan", inputs, "--shard", spec, "--shard-dir", dir, "--max-record-bytes", "300", "--quiet"]
                          + policies + extra, environment: environment)
        }

        @Test func shardsAndMergeEqualOneScanOverTwoNights() throws {
            let tmp = try TempDir()
            for night in [1, 2] {
                let inputs = try Self.parts(tmp, night: night)
                let shards = tmp.file("shards-\(night)")
                for k in 0..<3 {
                    let r = try Self.shard(inputs, "\(k)/3", dir: shards)
                    #expect(r.exitCode == 0 && r.stdout.isEmpty, "\(r)")
                }
                let merged = try consentry(["merge", shards, "--db", tmp.file("merged.sqlite"), "--format", "json"])
                #expect(merged.exitCode == 0, "\(merged)")
                let one = try consentry(["scan", inputs, "--db", tmp.file("one.sqlite"), "--format", "json", "--max-record-bytes", "300"]
                                        + Self.policies)
                #expect(one.exitCode == 0, "\(one)")
                let a = try Self.everything(tmp.file("merged.sqlite"), run: night, json: merged.stdout)
                let b = try Self.everything(tmp.file("one.sqlite"), run: night, json: one.stdout)
                #expect(a == b, "night \(night): the merged run differs from the one-process scan")
                let json = try JSON.parse(one.stdout)
                #expect(json["rejects_by_code"]?["duplicate_track_id"]?.int ?? 0 > 1000, "duplicates cross the parts")
            }
            let diffs = try ["merged", "one"].map {
                try consentry(["diff", "1", "2", "--db", tmp.file("\($0).sqlite"), "--format", "csv"]).stdout
            }
            #expect(diffs[0] == diffs[1] && diffs[0].split(separator: "\n").count > 100)
        }

        @Test func anIncompleteExtraOrInconsistentSetRecordsNothing() throws {
            let tmp = try TempDir()
            let inputs = try Self.parts(tmp)
            let shards = tmp.file("shards")
            for k in [0, 2] { #expect(try Self.shard(inputs, "\(k)/3", dir: shards).exitCode == 0) }
            let missing = try consentry(["merge", shards, "--db", tmp.db])
            #expect(missing.exitCode == 2, "\(missing)")
            #expect(missing.stderr.contains("shard-1-of-3") && missing.stderr.contains("missing"), "\(missing)")
            #expect(try Self.shard(inputs, "1/3", dir: shards).exitCode == 0)
            #expect(try Self.shard(inputs, "0/2", dir: shards).exitCode == 0)
            let extra = try consentry(["merge", shards, "--db", tmp.db])
            #expect(extra.exitCode == 2 && extra.stderr.contains("shard-0-of-2"), "\(extra)")
            try FileManager.default.removeItem(atPath: shards + "/shard-0-of-2")
            // Shard 1 again, with another option: inconsistent; run again as before, it replaces its own.
            #expect(try Self.shard(inputs, "1/3", dir: shards, extra: ["--keep-rejects", "5"]).exitCode == 0)
            let inconsistent = try consentry(["merge", shards, "--db", tmp.db])
            #expect(inconsistent.exitCode == 2 && inconsistent.stderr.contains("shard-1-of-3"), "\(inconsistent)")
            let runs = FileManager.default.fileExists(atPath: tmp.db) ? try SQLite(tmp.db).int("SELECT count(*) FROM runs") : 0
            #expect(runs == 0, "nothing was recorded")
            #expect(try Self.shard(inputs, "1/3", dir: shards).exitCode == 0)
            let ok = try consentry(["merge", shards, "--db", tmp.db])
            #expect(ok.exitCode == 0, "\(ok)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: shards).sorted()
            #expect(leftovers == ["shard-0-of-3", "shard-1-of-3", "shard-2-of-3"], "a retried shard left nothing beside its result")
        }

        @Test func anInputChangedInPlaceAfterTheShardsRecordsNothing() throws {
            let tmp = try TempDir()
            let inputs = try Self.parts(tmp)
            let shards = tmp.file("shards")
            for k in 0..<2 { #expect(try Self.shard(inputs, "\(k)/2", dir: shards).exitCode == 0) }
            // The same size, one byte changed (the first id, d-001, becomes x-001), and a later
            // modification time (set: a rewrite within the file system's clock tick could keep
            // the old one).
            let path = inputs + "/d.csv"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let at = try #require(bytes.firstRange(of: Data("d-001".utf8)))
            bytes[at.lowerBound] = UInt8(ascii: "X")
            let modified = try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
            try bytes.write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: modified.addingTimeInterval(2)], ofItemAtPath: path)
            let merge = try consentry(["merge", shards, "--db", tmp.db])
            #expect(merge.exitCode == 2, "\(merge)")
            #expect(merge.stderr.contains("d.csv: the input changed or is gone since the shards read it"), "\(merge)")
            let runs = FileManager.default.fileExists(atPath: tmp.db) ? try SQLite(tmp.db).int("SELECT count(*) FROM runs") : 0
            #expect(runs == 0, "nothing was recorded")
        }

        @Test func everyEnginesVariablesPickTheShard() throws {
            let tmp = try TempDir()
            let inputs = try Self.parts(tmp)
            let engines: [(String, (Int) -> [String: String], [String])] = [
                ("slurm", { ["SLURM_ARRAY_TASK_ID": String($0 + 1), "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"] }, []),
                ("kubernetes", { ["JOB_COMPLETION_INDEX": String($0)] }, ["--shard-count", "3"]),
                ("aws", { ["AWS_BATCH_JOB_ARRAY_INDEX": String($0), "AWS_BATCH_JOB_ARRAY_SIZE": "3"] }, []),
                ("cloudrun", { ["CLOUD_RUN_TASK_INDEX": String($0), "CLOUD_RUN_TASK_COUNT": "3"] }, []),
            ]
            var summaries: [String] = []
            for (name, environment, extra) in engines {
                let shards = tmp.file("shards-\(name)")
                for k in 0..<3 {
                    let r = try Self.shard(inputs, "auto", dir: shards, environment: environment(k), extra: extra)
                    #expect(r.exitCode == 0, "\(name) task \(k): \(r)")
                }
                #expect(FileManager.default.fileExists(atPath: shards + "/shard-2-of-3/manifest.json"), "\(name)")
                let merged = try consentry(["merge", shards, "--db", tmp.file("\(name).sqlite"), "--format", "json"])
                #expect(merged.exitCode == 0, "\(name): \(merged)")
                summaries.append("\(try JSON.parse(merged.stdout).removing("run_id"))")
            }
            #expect(Set(summaries).count == 1, "every engine's set merges to the same run")
            let none = try Self.shard(inputs, "auto", dir: tmp.file("none"))
            #expect(none.exitCode == 64 && none.stderr.contains("SLURM_ARRAY_TASK_ID"), "\(none)")
        }

        @Test func mergeTakesTheLockAndItsThresholds() throws {
            let tmp = try TempDir()
            let inputs = try Self.parts(tmp)
            let shards = tmp.file("shards")
            for k in 0..<2 { #expect(try Self.shard(inputs, "\(k)/2", dir: shards).exitCode == 0) }
            let over = try consentry(["merge", shards, "--db", tmp.db, "--max-reject-rate", "0.01", "--quiet"])
            #expect(over.exitCode == 1 && over.stderr.contains("consentry: threshold: reject rate"), "\(over)")
            let stdin = try consentry(["scan", "-", "--shard", "0/2", "--shard-dir", shards])
            #expect(stdin.exitCode == 64, "\(stdin)")
        }
    }
}
