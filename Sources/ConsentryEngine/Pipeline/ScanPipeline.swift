import Foundation
import ConsentryModel

/// Streams inputs through a pool of threads and merges the results in input order.
///
/// `jobs` threads each either read (inflate and cut) the next chunk of an input no other
/// thread is reading, merge the next result in input order, or decode and evaluate a chunk
/// that was read; ``ScanScheduler`` decides which, and ``ChunkMerger`` does the merging.
/// Merging is a role of the workers rather than a thread of its own: a third busy thread on
/// two cores took a third of the reading thread's time. The calling thread waits. The
/// number of chunks in flight is bounded, so memory stays flat.
///
/// Every wait is on one condition, broadcast whenever a worker reports; a cancellation
/// broadcasts it too, so nothing polls. (Only a read from a pipe polls, in ``ByteSource``:
/// a blocked read(2) cannot otherwise notice a signal.)
final class ScanPipeline: @unchecked Sendable {
    private let readers: [InputReader]
    private let inputNumbers: [Int]
    private let evaluator: PolicyEvaluator
    private let options: InputOptions
    private let jobs: Int
    private let cancellation: Cancellation
    private let progress: ScanProgress?
    private let labelNumbers: LabelNumbers

    /// Guards the scheduler, the failure and the pools.
    private let condition = NSCondition()
    private var scheduler: ScanScheduler<RawChunk, ChunkResult>
    private var failure: (any Error)?
    private var freeBuffers: [ByteBuffer] = []
    private var freeResults: [ChunkResult] = []
    /// Used by the worker holding the merge role only.
    private var merger: ChunkMerger?

    /// `inputNumbers`: each path's number in the whole scan (a shard reads some of them);
    /// `rawCopy`: where standard input's raw bytes are copied (see ``DuplicateLocator``);
    /// `labelNumbers`: where the workers number the labels they meet.
    init(paths: [String], inputNumbers: [Int]? = nil, policies: [Policy], options: InputOptions, jobs: Int,
         cancellation: Cancellation, progress: ScanProgress? = nil, rawCopy: String? = nil,
         labelNumbers: LabelNumbers) {
        self.labelNumbers = labelNumbers
        self.inputNumbers = inputNumbers ?? Array(paths.indices)
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
            InputReader(index: $0.offset, path: $0.element, options: options, cancellation: cancellation,
                        rawCopy: $0.element == "-" ? rawCopy : nil)
        }
        evaluator = PolicyEvaluator(policies: policies)
        self.options = options
        self.jobs = max(1, jobs)
        self.cancellation = cancellation
        scheduler = ScanScheduler(inputCount: paths.count, jobs: self.jobs)
    }

    /// Runs the scan to the end, or throws the first error (or the cancellation reason):
    /// rejects go to `sink`, scanned tracks to `spill`.
    func run(sink: RejectSink, spill: TrackSpill, keepRejects: Int?) throws -> (ScanOutcome, RejectKeeper) {
        let merger = ChunkMerger(readers: readers, inputNumbers: inputNumbers, evaluator: evaluator,
                                 options: options, sink: sink, spill: spill, keepRejects: keepRejects,
                                 progress: progress, labelNumbers: labelNumbers)
        self.merger = merger
        let observer = cancellation.onCancel { [self] in
            if let reason = cancellation.error { fail(reason) }
        }
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
        // The workers end once every input is merged or the scan stopped. This thread waits
        // for them, not on the workers' condition: woken by every report there, it took a
        // core from a worker a dozen times a chunk.
        group.wait()
        cancellation.removeObserver(observer)
        condition.lock()
        let error = failure
        condition.unlock()
        self.merger = nil
        if let error { throw error }
        return (merger.outcome, merger.keeper)
    }

    /// Stops the scan with `error` unless it already failed.
    private func fail(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        scheduler.stop()
        condition.broadcast()
        condition.unlock()
    }

    // MARK: - Workers

    private func work() {
        var processors: [InputFormat: RecordProcessor] = [:]
        condition.lock()
        while true {
            switch scheduler.next() {
            case .finish:
                condition.unlock()
                return
            case .wait:
                condition.wait()
            case .read(let input):
                let buffer = freeBuffers.popLast() ?? ByteBuffer(capacity: options.chunkBytes)
                condition.unlock()
                let reader = readers[input]
                let before = reader.rawBytes
                var chunk: RawChunk?
                var error: (any Error)?
                do { chunk = try reader.nextChunk(into: buffer) } catch let e { error = e }
                progress?.addBytes(reader.rawBytes - before)
                condition.lock()
                if let chunk {
                    scheduler.read(chunk, input: input, sequence: chunk.sequence, isLast: chunk.isLast)
                } else if let error {
                    if failure == nil { failure = error }
                    scheduler.stop()
                }
                condition.broadcast()
            case .merge(let result):
                condition.unlock()
                var recyclable: [ChunkResult] = []
                var error: (any Error)?
                let wasLast = result.isLast
                do { recyclable = try merger!.merge(result) } catch let e { error = e }
                condition.lock()
                recycle(recyclable)
                if let error {
                    if failure == nil { failure = error }
                    scheduler.stop()
                } else {
                    scheduler.merged(input: result.input, wasLast: wasLast)
                }
                condition.broadcast()
            case .decode(let chunk, let input, let sequence):
                let result = takeResult(input: input, sequence: sequence, isLast: chunk.isLast)
                condition.unlock()
                let reader = readers[input]
                result.buffer = chunk.buffer
                let processor = processors[reader.format] ?? RecordProcessor(
                    isJSON: reader.format == .jsonl, evaluator: evaluator, options: options, labelNumbers: labelNumbers)
                processors[reader.format] = processor
                processor.run(reader.makeDecoder(offset: chunk.offset), chunk.buffer.bytes, isLast: chunk.isLast, into: result)
                condition.lock()
                scheduler.decoded(result, input: input, sequence: sequence)
                condition.broadcast()
            }
        }
    }

    /// A recycled (or new) result; call with the lock held.
    private func takeResult(input: Int, sequence: Int, isLast: Bool) -> ChunkResult {
        guard let result = freeResults.popLast() else {
            return ChunkResult(input: input, sequence: sequence, isLast: isLast, policyCount: evaluator.policies.count)
        }
        result.reset(input: input, sequence: sequence, isLast: isLast)
        return result
    }

    /// Returns merged results and their chunk's buffer to the pools; call with the lock held.
    private func recycle(_ results: [ChunkResult]) {
        guard let first = results.first else { return }
        if let buffer = first.buffer { freeBuffers.append(buffer) }
        for result in results {
            result.buffer = nil
            result.openDecoder = nil
            freeResults.append(result)
        }
    }
}
