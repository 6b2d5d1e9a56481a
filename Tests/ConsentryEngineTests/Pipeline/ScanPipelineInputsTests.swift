import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import PipelineTestSupport
import TestSupport

@Suite("ScanPipeline: many inputs, progress and cancellation")
struct ScanPipelineInputsTests {
    /// More inputs than the read-ahead window (jobs + 1), mixed formats and compression,
    /// empty and header-only inputs, a BOM before JSONL, and ids repeated across inputs.
    func writeManyInputs(_ dir: TempDir) throws -> [String] {
        var paths: [String] = []
        for n in 0..<7 {
            var csv = "track_id,label_status,genai_opt_in,ai_opt_out,title\n"
            for i in 0..<(15 + 7 * n) {
                let id = "m\((i * 7 + n * 5) % 60)"
                let title = i % 4 == 0 ? "\"t\(n)-\(i)\nsecond line\"" : "t\(n)-\(i)"
                let label = i % 11 == 10 ? "bogus" : ScanTestInputs.labels[(i + n) % ScanTestInputs.labels.count]
                csv += "\(id),\(label),\(ScanTestInputs.flags[i % ScanTestInputs.flags.count]),\(ScanTestInputs.flags[(i + n) % ScanTestInputs.flags.count]),\(title)\(i % 3 == 0 ? "\r\n" : "\n")"
            }
            let bytes = Array(csv.utf8)
            let name = String(format: "in%02d.csv", n * 2)
            paths.append(n % 3 == 1 ? try dir.write(name + ".gz", try gzip(bytes)) : try dir.write(name, bytes))
            if n == 2 { paths.append(try dir.write("in05-empty.jsonl", "")) }
            if n == 3 { paths.append(try dir.write("in07-header-only.csv", "track_id,label_status\r\n")) }
            if n == 4 {
                var jsonl = "\u{FEFF}"
                for i in 0..<20 {
                    jsonl += "{\"track_id\":\"m\(i * 3)\",\"label_status\":\"\(ScanTestInputs.labels[i % 4])\",\"genai_opt_in\":\(i % 2 == 0)}\n"
                }
                paths.append(try dir.write("in09-bom.jsonl", jsonl))
            }
        }
        return paths
    }

    @Test("ten inputs (more than the read-ahead window): invariant across jobs × chunk sizes and equal to the oracle")
    func manyInputs() throws {
        let dir = try TempDir()
        let paths = try writeManyInputs(dir)
        let policies = try ["soundcloud-2024-02", "soundcloud-opt-out"].map(BuiltInPolicies.policy)
        let outcome = try scanTestMatrix(paths, policies: policies, chunkSizes: [16, 31, 100, 1 << 20])
        #expect(outcome.inputs.map(\.path) == paths)
        #expect(outcome.inputs.map(\.rowsRead).reduce(0, +) == outcome.rowsRead)
        let oracle = try referenceScan(paths + ["--policy", "soundcloud-2024-02", "--policy", "soundcloud-opt-out", "--verdicts"])
        let ours = scanTestOutcomeRejects(outcome)
        let theirs = scanTestOracleRejects(oracle)
        #expect(ours == theirs, "first difference: \(zip(ours, theirs).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "lengths \(ours.count) vs \(theirs.count)")")
        #expect(scanTestOutcomeVerdicts(outcome, policies: policies) == scanTestOracleVerdicts(oracle))
        scanTestCheckStatistics(outcome, policies: policies, against: oracle)
        // Every one of the 60 ids that occurs in a valid record is scanned exactly once.
        #expect(Set(outcome.tracks.map(\.id)).count == outcome.tracks.count)
        #expect(outcome.rejectsByCode[.duplicateTrackID, default: 0] > 50)
    }

    @Test("ScanProgress ends with every raw byte and the outcome's row counts")
    func progress() throws {
        let dir = try TempDir()
        let paths = try writeManyInputs(dir)
        let total = try paths.map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int ?? -1 }.reduce(0, +)
        for (jobs, chunk) in [(1, 16), (3, 64), (2, 1 << 20)] {
            var options = InputOptions()
            options.chunkBytes = chunk
            let progress = ScanProgress()
            let outcome = try scanTestRunPipeline(paths, policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy),
                                                  jobs: jobs, options: options, progress: progress)
            let snapshot = progress.snapshot()
            #expect(snapshot.bytesTotal == total)
            #expect(snapshot.bytesRead == total, "jobs \(jobs) chunk \(chunk)")
            #expect(snapshot.rowsRead == outcome.rowsRead)
            #expect(snapshot.rowsRejected == outcome.rowsRejected)
            #expect(outcome.inputs.map(\.bytes).reduce(0, +) == total)
        }
    }

    struct Stop: Error, Equatable {}

    @Test("a cancelled scan throws the cancellation reason", arguments: [1, 4])
    func cancelled(jobs: Int) throws {
        let dir = try TempDir()
        let paths = try writeManyInputs(dir)
        let cancellation = Cancellation()
        cancellation.cancel(Stop())
        cancellation.cancel(ScanTestTimeout()) // the first reason stays
        var options = InputOptions()
        options.chunkBytes = 16
        let started = Date()
        let error = thrownError {
            try scanTestRunPipeline(paths, policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy), jobs: jobs,
                                    options: options, cancellation: cancellation)
        }
        #expect(error is Stop, "\(String(describing: error))")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("a sink that throws stops the scan with its error")
    func sinkError() throws {
        final class FailingSink: RejectSink {
            var count = 0
            func rejected(input: Int, path: String, _ reject: RejectedRecord) throws {
                count += 1
                if count == 5 { throw Stop() }
            }
        }
        let dir = try TempDir()
        let paths = try writeManyInputs(dir)
        for jobs in [1, 3] {
            var options = InputOptions()
            options.chunkBytes = 31
            let work = try dir.makeDirectory("work-\(jobs)")
            let scan = CatalogueScan(paths: paths, policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy),
                                     options: options, jobs: jobs, keepRejects: nil, workDirectory: work,
                                     cancellation: Cancellation())
            let sink = FailingSink()
            let error = thrownError { try scan.read(rejects: sink) }
            #expect(error is Stop)
            #expect(sink.count == 5)
        }
    }
}
