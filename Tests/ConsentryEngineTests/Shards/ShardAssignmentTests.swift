import Testing
@testable import ConsentryEngine

@Suite struct ShardAssignmentTests {
    @Test("every input goes to exactly one shard, the same way every time, largest first to the emptiest")
    func balancedAndDeterministic() {
        let sizes = [10, 400, 30, 30, 250, 5, 100, 100]
        let shards = ShardAssignment.shards(sizes: sizes, count: 3)
        #expect(shards == ShardAssignment.shards(sizes: sizes, count: 3))
        #expect(shards.allSatisfy { (0..<3).contains($0) })
        var totals = [0, 0, 0]
        for (input, shard) in shards.enumerated() { totals[shard] += sizes[input] }
        // 400 | 250 + 30 + 5 … : the largest file alone outweighs an even split; the rest balance.
        #expect(totals.max()! == 400)
        #expect(totals.min()! >= 250)
        #expect(shards[1] == 0, "the largest file goes first, to shard 0")
    }

    @Test("more shards than inputs leaves some shards with nothing; one shard gets everything")
    func bounds() {
        #expect(Set(ShardAssignment.shards(sizes: [1, 2], count: 5)).count == 2)
        #expect(ShardAssignment.shards(sizes: [3, 1, 2], count: 1) == [0, 0, 0])
        #expect(ShardAssignment.shards(sizes: [], count: 4).isEmpty)
    }

    @Test("equal sizes keep input order: ties go to the lowest shard")
    func ties() {
        #expect(ShardAssignment.shards(sizes: [7, 7, 7, 7], count: 2) == [0, 1, 0, 1])
    }
}
