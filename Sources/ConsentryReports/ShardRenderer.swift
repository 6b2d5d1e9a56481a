import ConsentryEngine
import ConsentryModel

/// Renders what `scan --shard` prints: which shard, what it read, where its result is.
public enum ShardRenderer {
    public static func text(_ result: ShardResult) -> String {
        let m = result.manifest
        return "Shard \(m.shard) of \(m.count): read \(m.read.count) of \(m.inputs.count) inputs, "
            + "\(ReportRenderer.grouped(m.rowsRead)) rows (\(ReportRenderer.grouped(m.rowsRejected)) rejected, duplicates not yet decided); "
            + "result in \(result.directory)\n"
    }

    public static func json(_ result: ShardResult) -> String {
        let m = result.manifest
        let w = JSONWriter()
        w.object {
            w.key("shard"); w.int(m.shard)
            w.key("shards"); w.int(m.count)
            w.key("result"); w.string(result.directory)
            w.key("inputs"); w.array { for input in m.read { w.string(m.inputs[input.input].path) } }
            w.key("rows")
            w.object {
                w.key("read"); w.int(m.rowsRead)
                w.key("rejected"); w.int(m.rowsRejected)
            }
        }
        return w.text
    }
}
