import Testing
@testable import ConsentryEngine

/// The pipeline's policy, driven step by step: reading comes first within the bounds on
/// chunks in flight, results merge in input order whatever order they are decoded in, and
/// a stopped scheduler finishes every worker.
@Suite struct ScanSchedulerTests {
    typealias Scheduler = ScanScheduler<String, String>

    /// Takes the next job, which must be a read of `input`.
    static func read(_ s: inout Scheduler, input: Int) {
        guard case .read(let got) = s.next() else {
            Issue.record("expected a read of input \(input)")
            return
        }
        #expect(got == input)
    }

    @Test("one input: reads come first up to the bound; results merge in order, one merger at a time")
    func readsThenMergesInOrder() {
        var s = Scheduler(inputCount: 1, jobs: 1)
        // jobs 1: four chunks of the input being merged may be in flight.
        for sequence in 0..<4 {
            Self.read(&s, input: 0)
            s.read("chunk \(sequence)", input: 0, sequence: sequence, isLast: false)
        }
        // The bound is reached: the oldest chunk is decoded next.
        guard case .decode(let chunk, 0, 0) = s.next() else {
            Issue.record("expected the decode of chunk 0")
            return
        }
        #expect(chunk == "chunk 0")
        guard case .decode(_, 0, 1) = s.next() else {
            Issue.record("expected the decode of chunk 1")
            return
        }
        // Chunk 1 is decoded first: nothing merges before chunk 0 has.
        s.decoded("result 1", input: 0, sequence: 1)
        guard case .decode(_, 0, 2) = s.next() else {
            Issue.record("expected the decode of chunk 2 while result 1 waits for result 0")
            return
        }
        s.decoded("result 0", input: 0, sequence: 0)
        guard case .merge("result 0") = s.next() else {
            Issue.record("expected result 0 to merge first")
            return
        }
        // One merger at a time: result 1 waits until result 0 is merged.
        guard case .decode(_, 0, 3) = s.next() else {
            Issue.record("expected the decode of chunk 3 while result 0 merges")
            return
        }
        s.merged(input: 0, wasLast: false)
        // A chunk left the bound: reading comes before merging result 1.
        Self.read(&s, input: 0)
        s.read("chunk 4", input: 0, sequence: 4, isLast: true)
        guard case .merge("result 1") = s.next() else {
            Issue.record("expected result 1 to merge next")
            return
        }
        #expect(!s.isComplete)
    }

    @Test("inputs merge in order, the next ones read ahead; the last merge completes the scan")
    func inputsInOrder() {
        var s = Scheduler(inputCount: 3, jobs: 1)
        // jobs 1: the input being merged and one more are read ahead, not the third.
        Self.read(&s, input: 0)
        Self.read(&s, input: 1)
        s.read("a", input: 0, sequence: 0, isLast: true)
        s.read("b", input: 1, sequence: 0, isLast: true)
        // Input 2 is beyond the read-ahead: the chunks are decoded in the order they were read.
        guard case .decode(_, 0, 0) = s.next() else {
            Issue.record("expected the decode of input 0")
            return
        }
        guard case .decode(_, 1, 0) = s.next() else {
            Issue.record("expected the decode of input 1")
            return
        }
        s.decoded("b0", input: 1, sequence: 0)
        // Input 1's result waits for input 0's.
        guard case .wait = s.next() else {
            Issue.record("expected to wait for input 0")
            return
        }
        s.decoded("a0", input: 0, sequence: 0)
        guard case .merge("a0") = s.next() else {
            Issue.record("expected input 0 to merge first")
            return
        }
        s.merged(input: 0, wasLast: true)
        Self.read(&s, input: 2)
        s.read("c", input: 2, sequence: 0, isLast: true)
        guard case .merge("b0") = s.next() else {
            Issue.record("expected input 1 to merge next")
            return
        }
        s.merged(input: 1, wasLast: true)
        guard case .decode(_, 2, 0) = s.next() else {
            Issue.record("expected the decode of input 2")
            return
        }
        s.decoded("c0", input: 2, sequence: 0)
        guard case .merge("c0") = s.next() else {
            Issue.record("expected input 2 to merge last")
            return
        }
        s.merged(input: 2, wasLast: true)
        #expect(s.isComplete)
        guard case .finish = s.next() else {
            Issue.record("expected every worker to finish")
            return
        }
    }

    @Test("a stopped scheduler finishes every worker, with work left")
    func stopFinishes() {
        var s = Scheduler(inputCount: 2, jobs: 2)
        Self.read(&s, input: 0)
        s.read("a", input: 0, sequence: 0, isLast: false)
        s.stop()
        guard case .finish = s.next() else {
            Issue.record("expected finish after stop")
            return
        }
        #expect(!s.isComplete)
    }
}
