import Testing
@testable import ConsentryEngine

/// The pipeline's policy, driven step by step: reading comes first within the bounds on
/// chunks in flight, results merge in input order whatever order they are decoded in, and
/// a stopped scheduler finishes every worker.
@Suite struct ScanSchedulerTests {
    typealias Scheduler = ScanScheduler<String, String>

    /// Takes the next job, which must be a read of `input`.
    static func expectRead(_ s: inout Scheduler, input: Int, _ why: Comment) {
        guard case .read(let got) = s.next(), got == input else {
            Issue.record("expected a read of input \(input): \(why)")
            return
        }
    }

    /// Takes the next job, which must be the decode of chunk `sequence` of `input`; returns
    /// the chunk.
    @discardableResult
    static func expectDecode(_ s: inout Scheduler, input: Int, sequence: Int, _ why: Comment) -> String? {
        guard case .decode(let chunk, input, sequence) = s.next() else {
            Issue.record("expected the decode of chunk \(sequence) of input \(input): \(why)")
            return nil
        }
        return chunk
    }

    /// Takes the next job, which must be the merge of `result`.
    static func expectMerge(_ s: inout Scheduler, _ result: String, _ why: Comment) {
        guard case .merge(result) = s.next() else {
            Issue.record("expected \(result) to merge: \(why)")
            return
        }
    }

    @Test("one input: reads come first up to the bound; results merge in order, one merger at a time")
    func readsThenMergesInOrder() {
        var s = Scheduler(inputCount: 1, jobs: 1)
        // jobs 1: four chunks of the input being merged may be in flight.
        for sequence in 0..<4 {
            Self.expectRead(&s, input: 0, "reading comes first")
            s.read("chunk \(sequence)", input: 0, sequence: sequence, isLast: false)
        }
        #expect(Self.expectDecode(&s, input: 0, sequence: 0, "the bound is reached: the oldest chunk") == "chunk 0")
        Self.expectDecode(&s, input: 0, sequence: 1, "the next oldest")
        s.decoded("result 1", input: 0, sequence: 1)
        Self.expectDecode(&s, input: 0, sequence: 2, "result 1 waits for result 0")
        s.decoded("result 0", input: 0, sequence: 0)
        Self.expectMerge(&s, "result 0", "results merge in order")
        Self.expectDecode(&s, input: 0, sequence: 3, "one merger at a time: result 1 waits")
        s.merged(input: 0, wasLast: false)
        Self.expectRead(&s, input: 0, "a chunk left the bound: reading comes before merging")
        s.read("chunk 4", input: 0, sequence: 4, isLast: true)
        Self.expectMerge(&s, "result 1", "then the next result")
        #expect(!s.isComplete)
    }

    @Test("inputs merge in order, the next ones read ahead; the last merge completes the scan")
    func inputsInOrder() {
        var s = Scheduler(inputCount: 3, jobs: 1)
        // jobs 1: the input being merged and one more are read ahead, not the third.
        Self.expectRead(&s, input: 0, "the first input")
        Self.expectRead(&s, input: 1, "the next input, read ahead")
        s.read("a", input: 0, sequence: 0, isLast: true)
        s.read("b", input: 1, sequence: 0, isLast: true)
        Self.expectDecode(&s, input: 0, sequence: 0, "input 2 is beyond the read-ahead: chunks in the order read")
        Self.expectDecode(&s, input: 1, sequence: 0, "then input 1's")
        s.decoded("b0", input: 1, sequence: 0)
        guard case .wait = s.next() else {
            Issue.record("expected to wait: input 1's result waits for input 0's")
            return
        }
        s.decoded("a0", input: 0, sequence: 0)
        Self.expectMerge(&s, "a0", "input 0 merges first")
        s.merged(input: 0, wasLast: true)
        Self.expectRead(&s, input: 2, "input 0 is merged: input 2 is within the read-ahead")
        s.read("c", input: 2, sequence: 0, isLast: true)
        Self.expectMerge(&s, "b0", "input 1 merges next")
        s.merged(input: 1, wasLast: true)
        Self.expectDecode(&s, input: 2, sequence: 0, "the last input's chunk")
        s.decoded("c0", input: 2, sequence: 0)
        Self.expectMerge(&s, "c0", "input 2 merges last")
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
        Self.expectRead(&s, input: 0, "the first input")
        s.read("a", input: 0, sequence: 0, isLast: false)
        s.stop()
        guard case .finish = s.next() else {
            Issue.record("expected finish after stop")
            return
        }
        #expect(!s.isComplete)
    }
}
