/// Which shard scans which input: a deterministic, size-balanced share of the input files.
///
/// Every shard computes the same assignment from the same inputs and sizes: files from the
/// largest down (ties in input order) each go to the shard with the fewest bytes so far
/// (ties to the lowest shard). A single file is never split.
public enum ShardAssignment {
    /// The shard (0..<count) of each input, given their sizes in bytes.
    public static func shards(sizes: [Int], count: Int) -> [Int] {
        precondition(count > 0)
        var totals = [Int](repeating: 0, count: count)
        var shard = [Int](repeating: 0, count: sizes.count)
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        for input in order {
            var best = 0
            for k in 1..<count where totals[k] < totals[best] { best = k }
            shard[input] = best
            totals[best] += sizes[input]
        }
        return shard
    }
}
