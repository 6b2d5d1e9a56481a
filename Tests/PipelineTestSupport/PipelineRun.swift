import ConsentryEngine
import ConsentryModel
import Foundation
import Testing
import TestSupport

// A whole scan through the engine, recorded for comparison: the pipeline tests run it at
// every jobs × chunk size, the store tests compare a stored run with it.

// MARK: - A recording sink and a comparable outcome

/// Records the rejects a scan hands its sink.
package final class ScanTestSink: RejectSink {
    package struct Reject: Equatable, CustomStringConvertible {
        package var inputIndex: Int
        package var input: String
        package var line: Int
        package var offset: Int
        package var code: RejectCode
        package var column: String?
        package var message: String
        package var excerpt: String
        package var description: String {
            "\((input as NSString).lastPathComponent):\(line)@\(offset) \(code.rawValue) \(column ?? "-") excerpt=\(excerpt.debugDescription)"
        }
    }

    package var rejects: [Reject] = []

    package init() {}

    package func rejected(input: Int, path: String, _ reject: RejectedRecord) throws {
        rejects.append(Reject(inputIndex: input, input: path, line: reject.line, offset: reject.offset, code: reject.code,
                              column: reject.column, message: reject.message, excerpt: reject.excerpt))
    }
}

/// Records the periods a scan's history begins: with no previous state, one per track.
package final class ScanTestHistory: HistoryOutput, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var began: [(id: [UInt8], combo: UInt32, artist: [UInt8])] = []

    package func partition(_ index: Int) throws -> any HistoryPartitionWriter { Writer(self) }

    package final class Writer: HistoryPartitionWriter {
        let owner: ScanTestHistory
        init(_ owner: ScanTestHistory) { self.owner = owner }
        package func began(hash: UInt64, id: UnsafeRawBufferPointer, combo: UInt32, artist: UnsafeRawBufferPointer) throws {
            owner.lock.lock()
            owner.began.append((Array(id), combo, Array(artist)))
            owner.lock.unlock()
        }
        package func ended(hash: UInt64, id: UnsafeRawBufferPointer, fromRun: Int64, combo: UInt32) throws {}
        package func close() throws {}
    }
}

/// A scanned track: its id, label status, one packed decision per policy, and its artist.
package struct ScanTestTrack: Equatable, CustomStringConvertible {
    package var id: String
    package var idBytes: [UInt8]
    package var label: LabelStatus
    package var verdicts: [UInt32]
    package var artist: String
    package var description: String {
        "\(id)[\(label.name)] \(verdicts.map { String($0, radix: 16) })\(artist.isEmpty ? "" : " by \(artist)")"
    }
}

/// Everything a scan produced, comparable as a whole: its tracks in id-byte order (a scan
/// keeps no input order for them), its rejects in input order.
package struct ScanTestOutcome: Equatable {
    package var rowsRead: Int
    package var rowsRejected: Int
    package var rowsScanned: Int
    package var rejectsByCode: [RejectCode: Int]
    package var statistics: RunStatistics
    package var labels: Breakdown
    package var containsAI: ContainsAICounts
    package var inputs: [InputSummary]
    package var tracks: [ScanTestTrack]
    package var rejects: [ScanTestSink.Reject]

    /// A short description of the first difference from `other`, for failure messages.
    package func firstDifference(from other: ScanTestOutcome) -> String {
        if rowsRead != other.rowsRead || rowsRejected != other.rowsRejected {
            return "rows read/rejected \(rowsRead)/\(rowsRejected) vs \(other.rowsRead)/\(other.rowsRejected)"
        }
        if rejectsByCode != other.rejectsByCode { return "rejectsByCode \(rejectsByCode) vs \(other.rejectsByCode)" }
        for i in 0..<max(tracks.count, other.tracks.count) {
            let a = i < tracks.count ? tracks[i].description : "(none)"
            let b = i < other.tracks.count ? other.tracks[i].description : "(none)"
            if a != b || (i < tracks.count && i < other.tracks.count && tracks[i] != other.tracks[i]) {
                return "scanned #\(i): \(a) vs \(b)"
            }
        }
        for i in 0..<max(rejects.count, other.rejects.count) {
            let a = i < rejects.count ? rejects[i] : nil
            let b = i < other.rejects.count ? other.rejects[i] : nil
            if a != b {
                return "reject #\(i): \(a.map { "\($0) msg=\($0.message)" } ?? "(none)") vs \(b.map { "\($0) msg=\($0.message)" } ?? "(none)")"
            }
        }
        if statistics != other.statistics { return "statistics differ" }
        if labels != other.labels { return "label breakdowns differ" }
        if containsAI != other.containsAI { return "contains_ai counts \(containsAI.counts) vs \(other.containsAI.counts)" }
        if inputs != other.inputs { return "inputs \(inputs) vs \(other.inputs)" }
        return "(no difference)"
    }
}

/// An outcome's rejects as comparable lines `input:line@offset code column`.
package func scanTestOutcomeRejects(_ outcome: ScanTestOutcome) -> [String] {
    outcome.rejects.map { "\($0.input):\($0.line)@\($0.offset) \($0.code.rawValue) \($0.column ?? "-")" }
}

/// The reason the watchdog of ``scanTestRunPipeline`` cancels a scan that hangs.
package struct ScanTestTimeout: Error {
    package init() {}
}

package let scanTestWatchdogSeconds = 15.0

/// Runs a whole scan of `paths` — reading, duplicates, history — and records its outcome.
/// Every rejected record is kept (no `--keep-rejects` limit) unless `keepRejects` says so.
package func scanTestRunPipeline(_ paths: [String], policies: [Policy], jobs: Int, options: InputOptions,
                         keepRejects: Int? = nil, progress: ScanProgress? = nil,
                         cancellation: Cancellation = Cancellation()) throws -> ScanTestOutcome {
    // A watchdog turns a hung scan into a failure instead of a test run that never ends.
    let watchdog = DispatchWorkItem { cancellation.cancel(ScanTestTimeout()) }
    DispatchQueue.global().asyncAfter(deadline: .now() + scanTestWatchdogSeconds, execute: watchdog)
    defer { watchdog.cancel() }
    let work = try TempDir("pipeline")
    let scan = CatalogueScan(paths: paths, policies: policies, options: options, jobs: jobs, keepRejects: keepRejects,
                             workDirectory: work.path, cancellation: cancellation, progress: progress)
    let sink = ScanTestSink()
    let history = ScanTestHistory()
    do {
        try scan.read(rejects: sink)
        // Rule numbers equal to the rule indexes, so that states read back as the scan's decisions.
        let identity = (0..<4).map { _ in (0..<64).map { UInt16($0) } }
        let plan = HistoryPlan(
            runID: 1, policyNumbers: policies.indices.map { Int32($0 + 1) }, ruleNumbers: policies.map { _ in identity },
            exposedOnly: false, combos: ComboTable(), previousState: nil,
            newStateDirectory: try work.makeDirectory("state"), output: history)
        try scan.resolve(plan: plan)
        try scan.emitDuplicates(to: sink)
        var tracks: [ScanTestTrack] = []
        for (id, combo, artist) in history.began {
            let entries = plan.combos.entries(combo)
            var verdicts: [UInt32] = []
            var label = LabelStatus.unknown
            for p in policies.indices {
                let state = entries.first { $0.policy == Int32(p + 1) }!.state
                label = StableDecisions.label(state)
                var packed: UInt32 = 0
                for use in AIUse.allCases {
                    packed |= PackedDecisions.pack(use, verdict: StableDecisions.verdict(state, use)!,
                                                   rule: StableDecisions.ruleNumber(state, use))
                }
                verdicts.append(packed)
            }
            tracks.append(ScanTestTrack(id: String(decoding: id, as: UTF8.self), idBytes: id, label: label, verdicts: verdicts,
                                        artist: String(decoding: artist, as: UTF8.self)))
        }
        tracks.sort { $0.idBytes.lexicographicallyPrecedes($1.idBytes) }
        let rejects = sink.rejects.sorted { ($0.inputIndex, $0.offset) < ($1.inputIndex, $1.offset) }
        let outcome = scan.outcome
        return ScanTestOutcome(
            rowsRead: outcome.rowsRead, rowsRejected: outcome.rowsRejected, rowsScanned: outcome.rowsScanned,
            rejectsByCode: outcome.rejectsByCode, statistics: outcome.statistics, labels: outcome.labels.breakdown,
            containsAI: outcome.containsAI, inputs: outcome.inputs, tracks: tracks, rejects: rejects)
    } catch is ScanTestTimeout {
        throw TestFailure("the scan hung (no end after \(Int(scanTestWatchdogSeconds)) s) with jobs \(jobs), chunkBytes \(options.chunkBytes), after \(sink.rejects.count) rejected records")
    }
}

/// ``scanTestRunPipeline(_:policies:jobs:options:keepRejects:progress:cancellation:)`` with
/// these options set.
package func scanTestRunPipeline(_ paths: [String], policies: [Policy], jobs: Int, chunkBytes: Int,
                         maxRecordBytes: Int = 1 << 20, format: InputFormat? = nil) throws -> ScanTestOutcome {
    var options = InputOptions()
    options.chunkBytes = chunkBytes
    options.maxRecordBytes = maxRecordBytes
    options.format = format
    return try scanTestRunPipeline(paths, policies: policies, jobs: jobs, options: options)
}

