import Testing
import ConsentryModel
import TestSupport

@Suite("Heap: the root is the element none of the others goes in front of")
struct HeapTests {
    @Test("pushing in any order and popping everything gives the elements in order, ties included")
    func popsInOrder() {
        var rng = SeededRNG(seed: 0x4EA9)
        for count in [0, 1, 2, 3, 7, 64, 1_000] {
            let values = (0..<count).map { _ in Int.random(in: 0..<50, using: &rng) }
            var heap = Heap<Int>()
            for v in values { heap.push(v, by: <) }
            #expect(heap.count == count)
            var popped: [Int] = []
            while !heap.isEmpty {
                #expect(heap.top == heap.unordered.min())
                popped.append(heap.pop(by: <))
            }
            #expect(popped == values.sorted(), "\(count) values")
        }
    }

    @Test("pushes and pops interleaved keep the order (as a merge of runs uses it)")
    func interleaved() {
        var rng = SeededRNG(seed: 0x4EAA)
        var heap = Heap<Int>()
        var reference: [Int] = []
        for _ in 0..<5_000 {
            if reference.isEmpty || Bool.random(using: &rng) {
                let v = Int.random(in: -100...100, using: &rng)
                heap.push(v, by: >)
                reference.append(v)
            } else {
                let largest = reference.max()!
                reference.remove(at: reference.firstIndex(of: largest)!)
                #expect(heap.pop(by: >) == largest)
            }
            #expect(heap.count == reference.count)
        }
    }

    @Test("replacing the root keeps the smallest `top` of a stream at hand (as a top-N list uses it)")
    func replaceTop() {
        var rng = SeededRNG(seed: 0x4EAB)
        let stream = (0..<2_000).map { _ in Int.random(in: 0..<100_000, using: &rng) }
        let top = 25
        // The largest of the kept ones at the root, so that a smaller one replaces it.
        var heap = Heap<Int>()
        for v in stream {
            if heap.count < top {
                heap.push(v, by: >)
            } else if v < heap.top! {
                heap.replaceTop(with: v, by: >)
            }
        }
        #expect(heap.unordered.sorted() == Array(stream.sorted().prefix(top)))
    }
}
