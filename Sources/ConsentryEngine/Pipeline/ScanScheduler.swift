/// Decides what each worker of a ``ScanPipeline`` does next: read (inflate and cut) a chunk,
/// merge the next result in input order, decode a chunk, or wait.
///
/// Pure state with no threads or locks: the pipeline calls it with its lock held and does
/// the work itself; tests drive it step by step. The order of preference is the pipeline's
/// policy:
///
/// 1. Read, while the bound on chunks in flight allows: inflating is the one sequential step
///    of an input, so a core should never stop doing it. Only the input being merged and
///    the next `jobs` inputs are read ahead, so memory stays flat however many inputs there
///    are; the input being merged gets its own, smaller bound so that it is never starved
///    by inputs read ahead.
/// 2. Merge the next result in input order, when no other worker holds the merge role.
/// 3. Decode the oldest chunk read.
struct ScanScheduler<Chunk, Result> {
    enum Job {
        /// Read the next chunk of this input; report it with ``read(_:input:sequence:isLast:)``.
        case read(input: Int)
        /// Merge this result, the next one in input order; the worker holds the merge role
        /// until it calls ``merged(input:wasLast:)``.
        case merge(Result)
        /// Decode this chunk; report it with ``decoded(_:input:sequence:)``.
        case decode(Chunk, input: Int, sequence: Int)
        /// Nothing to do until another worker reports something.
        case wait
        /// Every input is merged, or the scan stopped: the worker ends.
        case finish
    }

    let inputCount: Int
    /// Inputs read ahead of the one being merged.
    let readAhead: Int
    /// Chunks in flight (read, not yet merged) of the input being merged.
    let maxInFlightCurrent: Int
    /// Chunks in flight over all inputs.
    let maxInFlight: Int

    private var reading: [Bool]
    private var readDone: [Bool]
    private var inFlight: [Int]
    private var totalInFlight = 0
    /// The input being merged, and the sequence number of its next result.
    private(set) var mergeInput = 0
    private var mergeSequence = 0
    private var merging = false
    private var decodeQueue: [(chunk: Chunk, input: Int, sequence: Int)] = []
    private var decodeHead = 0
    private var results: [Int: Result] = [:]
    /// Set by ``stop()``: a failure or a cancellation.
    private(set) var stopped = false

    /// `jobs` workers share the work (at least 1).
    init(inputCount: Int, jobs: Int) {
        let jobs = max(1, jobs)
        self.inputCount = inputCount
        readAhead = jobs
        maxInFlightCurrent = 2 * jobs + 2
        maxInFlight = max(4 * jobs + 4, 24)
        reading = Array(repeating: false, count: inputCount)
        readDone = Array(repeating: false, count: inputCount)
        inFlight = Array(repeating: 0, count: inputCount)
    }

    /// Whether every input has been merged.
    var isComplete: Bool { mergeInput == inputCount }

    private static func key(_ input: Int, _ sequence: Int) -> Int { input << 40 | sequence }

    /// The job for a worker that asks now.
    mutating func next() -> Job {
        if stopped || isComplete { return .finish }
        if let input = readableInput() {
            reading[input] = true
            inFlight[input] += 1
            totalInFlight += 1
            return .read(input: input)
        }
        if !merging, let result = results.removeValue(forKey: Self.key(mergeInput, mergeSequence)) {
            merging = true
            return .merge(result)
        }
        if decodeHead < decodeQueue.count {
            let next = decodeQueue[decodeHead]
            decodeHead += 1
            if decodeHead == decodeQueue.count {
                decodeQueue.removeAll(keepingCapacity: true)
                decodeHead = 0
            }
            return .decode(next.chunk, input: next.input, sequence: next.sequence)
        }
        return .wait
    }

    private func readableInput() -> Int? {
        var i = mergeInput
        while i < inputCount && i <= mergeInput + readAhead {
            if !readDone[i] && !reading[i] {
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

    /// A worker read `chunk`, number `sequence` (0, 1, …) of `input`.
    mutating func read(_ chunk: Chunk, input: Int, sequence: Int, isLast: Bool) {
        reading[input] = false
        if isLast { readDone[input] = true }
        decodeQueue.append((chunk, input, sequence))
    }

    /// A worker decoded the chunk `sequence` of `input` into `result`.
    mutating func decoded(_ result: Result, input: Int, sequence: Int) {
        results[Self.key(input, sequence)] = result
    }

    /// The merge role's holder merged the next result; `wasLast` when it was its input's last.
    mutating func merged(input: Int, wasLast: Bool) {
        precondition(merging && input == mergeInput, "merged out of order")
        merging = false
        inFlight[input] -= 1
        totalInFlight -= 1
        if wasLast {
            mergeInput += 1
            mergeSequence = 0
        } else {
            mergeSequence += 1
        }
    }

    /// Ends the scan: every worker gets ``Job/finish`` from now on.
    mutating func stop() {
        stopped = true
    }
}
