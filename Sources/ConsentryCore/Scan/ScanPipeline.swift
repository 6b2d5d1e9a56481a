import Foundation

/// Receives the outcome of every record in input order: the store's writer implements it.
public protocol ScanSink: AnyObject {
    /// A scanned track with one packed decision per policy (see ``PolicyEvaluator``).
    func scanned(trackID: UnsafeBufferPointer<UInt8>, label: LabelStatus, verdicts: UnsafeBufferPointer<UInt32>) throws
    /// A rejected record of input `input`.
    func rejected(input: String, _ reject: RejectedRecord) throws
    /// Called after each chunk: the track-id bytes handed to `scanned` are valid until then.
    func flush() throws
}

extension ScanSink {
    public func flush() throws {}
}

/// Stops a scan from another thread (a signal handler); the pipeline notices within 100 ms.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: (any Error)?

    public init() {}

    public func cancel(_ error: any Error) {
        lock.lock()
        if reason == nil { reason = error }
        lock.unlock()
    }

    public var error: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }
}

/// What a scan read from one input, for `run_inputs`.
public struct InputSummary: Sendable, Equatable {
    public var path: String
    public var format: InputFormat
    public var compression: String
    public var bytes: Int
    public var sha256: String
    public var rowsRead: Int
}

/// The totals of a finished pipeline.
public struct ScanOutcome: Sendable {
    public var inputs: [InputSummary] = []
    public var rowsRead = 0
    public var rowsRejected = 0
    public var rejectsByCode: [RejectCode: Int] = [:]
    public var statistics: RunStatistics
    public var rowsScanned: Int { rowsRead - rowsRejected }
}

/// Streams inputs through a pool of threads and merges the results in input order.
///
/// `jobs` threads each either read (inflate and cut) the next chunk of an input no other
/// thread is reading, merge the next result in input order, or decode and evaluate a chunk
/// that was read. Reading comes first while the bound on chunks in flight allows it:
/// inflating is the one sequential step, so a core should never stop doing it. Merging
/// (one thread at a time) takes results in input order, decides duplicates, adds up
/// statistics and feeds the sink. It is a role of the workers rather than a thread of its
/// own: a third busy thread on two cores took a third of the reading thread's time. The
/// calling thread waits. The number of chunks in flight is bounded, so memory stays flat.
///
/// Workers decode each chunk as if it began at a record boundary. A chunk ends at a line
/// break, but a quoted CSV field may span it: then the chunk's decoder is left inside a
/// record, and the merge discards the next chunk's speculative result and decodes it
/// itself, continuing that decoder. Results therefore do not depend on chunking or `jobs`.
public final class ScanPipeline: @unchecked Sendable {
    private let readers: [InputReader]
    private let evaluator: PolicyEvaluator
    private let options: InputOptions
    private let jobs: Int
    private let cancellation: Cancellation
    private let policyCount: Int

    private let condition = NSCondition()
    private var queue: [RawChunk] = []
    private var results: [Int: ChunkResult] = [:]
    private var readerBusy: [Bool]
    private var readerDone: [Bool]
    private var inFlight: [Int]
    private var totalInFlight = 0
    private var mergeInput = 0
    private var failure: (any Error)?
    private var stopping = false
    private var freeBuffers: [ByteBuffer] = []
    private var freeResults: [ChunkResult] = []
    /// Whether a worker holds the merge role.
    private var merging = false
    /// Whether every input has been merged; read with the lock held.
    private var merged: Bool { mergeInput == readers.count }

    // The merge's state: only the worker holding the merge role touches it (the lock
    // hands the role over, so each holder sees the last one's writes).
    private var sink: ScanSink?
    private var outcome: ScanOutcome
    private var seen = TrackIDSet()
    private var mergeSequence = 0
    private var lineBase = 0
    private var rowsBefore = 0
    /// The decoder of the last merged chunk, when it ended inside a record.
    private var openDecoder: RecordDecoder?
    private var mergeProcessors: [InputFormat: RecordProcessor] = [:]

    private let maxInFlight: Int
    private let maxInFlightCurrent: Int

    private let progress: ScanProgress?

    public init(paths: [String], policies: [Policy], options: InputOptions, jobs: Int, cancellation: Cancellation,
                progress: ScanProgress? = nil) {
        self.progress = progress
        if let progress {
            var total = 0
            for path in paths {
                guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      let size = attributes[.size] as? Int else { total = -1; break }
                total += size
            }
            progress.setTotal(total >= 0 ? total : nil)
        }
        readers = paths.enumerated().map {
            InputReader(index: $0.offset, path: $0.element, options: options, cancellation: cancellation)
        }
        evaluator = PolicyEvaluator(policies: policies)
        self.options = options
        self.jobs = max(1, jobs)
        self.cancellation = cancellation
        policyCount = policies.count
        readerBusy = Array(repeating: false, count: paths.count)
        readerDone = Array(repeating: false, count: paths.count)
        inFlight = Array(repeating: 0, count: paths.count)
        maxInFlightCurrent = 2 * self.jobs + 2
        maxInFlight = max(4 * self.jobs + 4, 24)
        outcome = ScanOutcome(statistics: RunStatistics(policyCount: policies.count))
    }

    private static func key(_ input: Int, _ sequence: Int) -> Int { input << 40 | sequence }

    /// Runs the scan to the end, or throws the first error (or the cancellation reason).
    public func run(sink: ScanSink) throws -> ScanOutcome {
        self.sink = sink
        let group = DispatchGroup()
        for worker in 0..<jobs {
            group.enter()
            let thread = Thread { [self] in
                work()
                group.leave()
            }
            thread.name = "consentry-worker-\(worker)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        defer {
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
            group.wait()
            self.sink = nil
        }
        condition.lock()
        defer { condition.unlock() }
        while !merged {
            if let failure { throw failure }
            if let reason = cancellation.error {
                failure = reason
                condition.broadcast()
                throw reason
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        if let failure { throw failure }
        return outcome
    }

    // MARK: - Workers

    private func pickInput() -> Int? {
        var i = mergeInput
        while i < readers.count && i < mergeInput + jobs + 1 {
            if !readerDone[i] && !readerBusy[i] {
                if i == mergeInput {
                    if inFlight[i] < maxInFlightCurrent { return i }
                } else if totalInFlight < maxInFlight {
                    return i
                }
            }
            i += 1
        }
        return nil
    }

    private func work() {
        var processors: [InputFormat: RecordProcessor] = [:]
        condition.lock()
        defer { condition.unlock() }
        while !stopping && failure == nil {
            if cancellation.error != nil {
                condition.broadcast()
                return
            }
            if let i = pickInput() {
                readerBusy[i] = true
                inFlight[i] += 1
                totalInFlight += 1
                let buffer = freeBuffers.popLast() ?? ByteBuffer(capacity: options.chunkBytes)
                condition.unlock()
                var chunk: RawChunk?
                var error: (any Error)?
                let before = readers[i].rawBytes
                do { chunk = try readers[i].nextChunk(into: buffer) } catch let e { error = e }
                progress?.addBytes(readers[i].rawBytes - before)
                condition.lock()
                readerBusy[i] = false
                if let chunk {
                    queue.append(chunk)
                    if chunk.isLast { readerDone[i] = true }
                } else {
                    if failure == nil { failure = error }
                }
                condition.broadcast()
                continue
            }
            if !merging, !merged, let result = results.removeValue(forKey: ScanPipeline.key(mergeInput, mergeSequence)) {
                merging = true
                condition.unlock()
                var error: (any Error)?
                do { try merge(result) } catch let e { error = e }
                condition.lock()
                merging = false
                if let error, failure == nil { failure = error }
                condition.broadcast()
                continue
            }
            if !queue.isEmpty {
                let chunk = queue.removeFirst()
                let result = takeResult(input: chunk.input, sequence: chunk.sequence, isLast: chunk.isLast)
                condition.unlock()
                let reader = readers[chunk.input]
                result.buffer = chunk.buffer
                let processor = processors[reader.format] ?? RecordProcessor(isJSON: reader.format == .jsonl, evaluator: evaluator)
                processors[reader.format] = processor
                processor.run(reader.makeDecoder(offset: chunk.offset), chunk.buffer.bytes, isLast: chunk.isLast, into: result)
                condition.lock()
                results[ScanPipeline.key(chunk.input, chunk.sequence)] = result
                condition.broadcast()
                continue
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
    }

    // MARK: - Merge

    /// A recycled (or new) result; call with the lock held.
    private func takeResult(input: Int, sequence: Int, isLast: Bool) -> ChunkResult {
        guard let result = freeResults.popLast() else {
            return ChunkResult(input: input, sequence: sequence, isLast: isLast, policyCount: policyCount)
        }
        result.reset(input: input, sequence: sequence, isLast: isLast)
        return result
    }

    /// Returns a merged chunk's buffer and results to the pools.
    private func release(_ results: ChunkResult...) {
        condition.lock()
        let first = results[0]
        if let buffer = first.buffer { freeBuffers.append(buffer) }
        for result in results {
            result.buffer = nil
            result.openDecoder = nil
            freeResults.append(result)
        }
        inFlight[first.input] -= 1
        totalInFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Merges the next result of the input being merged; called by the worker holding the
    /// merge role, without the lock.
    private func merge(_ speculative: ChunkResult) throws {
        let input = speculative.input
        let reader = readers[input]
        if speculative.sequence == 0 {
            lineBase = reader.headerLineFeeds
            rowsBefore = outcome.rowsRead
        }
        var result = speculative
        if let decoder = openDecoder {
            // The previous chunk ended inside a record: decode this one in sequence.
            result = ChunkResult(input: input, sequence: speculative.sequence, isLast: speculative.isLast,
                                 policyCount: policyCount)
            result.buffer = speculative.buffer
            result.linesAbsolute = true
            let processor = mergeProcessors[reader.format] ?? RecordProcessor(isJSON: reader.format == .jsonl, evaluator: evaluator)
            mergeProcessors[reader.format] = processor
            processor.run(decoder, speculative.buffer!.bytes, isLast: speculative.isLast, into: result)
        }
        try apply(result, lineBase: lineBase, inputPath: reader.path, sink: sink!)
        if let decoder = result.openDecoder {
            if !result.linesAbsolute { decoder.lineOrigin = lineBase }
            openDecoder = decoder
        } else {
            openDecoder = nil
        }
        lineBase += result.lineFeeds
        // Once released, a worker may reuse the results: read nothing from them after.
        let wasLast = speculative.isLast
        if result === speculative { release(speculative) } else { release(speculative, result) }
        progress?.setRows(read: outcome.rowsRead, rejected: outcome.rowsRejected)
        guard wasLast else {
            mergeSequence += 1
            return
        }
        outcome.inputs.append(InputSummary(
            path: reader.path, format: reader.format, compression: reader.isGzip ? "gzip" : "none",
            bytes: reader.rawBytes, sha256: reader.sha256, rowsRead: outcome.rowsRead - rowsBefore))
        openDecoder = nil
        condition.lock()
        mergeSequence = 0
        mergeInput = input + 1
        condition.broadcast()
        condition.unlock()
    }

    private func apply(_ result: ChunkResult, lineBase: Int, inputPath: String, sink: ScanSink) throws {
        outcome.rowsRead += result.rowsRead
        outcome.statistics.merge(result.statistics)
        let lineShift = result.linesAbsolute ? 0 : lineBase
        let rejects = result.rejects
        var nextReject = 0
        func emitReject(_ reject: RejectedRecord) throws {
            var r = reject
            r.line += lineShift
            outcome.rowsRejected += 1
            outcome.rejectsByCode[r.code, default: 0] += 1
            try sink.rejected(input: inputPath, r)
        }
        let policies = policyCount
        let records = result.records.buffer
        let ids = result.ids.buffer
        let verdicts = result.verdicts.buffer
        let lookahead = 16
        for record in records.prefix(lookahead) { seen.prefetch(record.hash) }
        for (k, record) in records.enumerated() {
            if k &+ lookahead < records.count { seen.prefetch(records[k &+ lookahead].hash) }
            while nextReject < rejects.count && rejects[nextReject].offset < record.offset {
                try emitReject(rejects[nextReject])
                nextReject += 1
            }
            let id = UnsafeBufferPointer(rebasing: ids[Int(record.idStart)..<(Int(record.idStart) + Int(record.idLength))])
            let packed = UnsafeBufferPointer(rebasing: verdicts[(k * policies)..<((k + 1) * policies)])
            if seen.insert(record.hash) {
                try sink.scanned(trackID: id, label: record.label, verdicts: packed)
                continue
            }
            outcome.statistics.add(label: record.label, packed: packed, sign: -1)
            try emitReject(RejectedRecord(
                line: record.line, offset: record.offset, code: .duplicateTrackID, column: RecordField.trackID.name,
                message: "track_id '\(String(decoding: id, as: UTF8.self))' was already scanned earlier in this run; the first occurrence counts",
                excerpt: excerpt(of: record, in: result)))
        }
        while nextReject < rejects.count {
            try emitReject(rejects[nextReject])
            nextReject += 1
        }
        try sink.flush()
    }

    private func excerpt(of record: ScannedRecord, in result: ChunkResult) -> String {
        let start = Int(record.excerptStart)
        let length = Int(record.excerptLength)
        if record.excerptInArena {
            return result.arena.withUnsafeBufferPointer {
                FieldText.excerpt(UnsafeBufferPointer(rebasing: $0[start..<(start + length)]))
            }
        }
        guard let buffer = result.buffer else { return "" }
        return FieldText.excerpt(UnsafeBufferPointer(rebasing: buffer.bytes[start..<(start + length)]))
    }
}
