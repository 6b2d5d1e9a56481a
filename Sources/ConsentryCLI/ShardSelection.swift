import ConsentryModel

/// Which shard of how many a `scan --shard` task is: `K/N` as given, or `auto` from the
/// variables of the batch engine that runs it.
struct ShardSelection: Equatable {
    var shard: Int
    var count: Int

    /// The engines' variables, as their documentation names them.
    static let engines: [(name: String, index: String, count: String?)] = [
        ("Slurm job array", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"),
        ("Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", nil),
        ("AWS Batch array job", "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"),
        ("Cloud Run job", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"),
    ]

    /// Parses `--shard K/N` (0 ≤ K < N) or resolves `--shard auto`.
    static func resolve(_ spec: String, count option: Int?, environment: [String: String]) throws -> ShardSelection {
        if spec != "auto" {
            let parts = spec.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(k) else {
                throw UsageError("shard_invalid", "--shard takes K/N with 0 ≤ K < N (e.g. 0/4), or auto; got '\(spec)'")
            }
            if let option, option != n {
                throw UsageError("shard_invalid", "--shard \(spec) names \(n) shards but --shard-count says \(option)")
            }
            return ShardSelection(shard: k, count: n)
        }
        let set = engines.filter { environment[$0.index].map { !$0.isEmpty } ?? false }
        guard let engine = set.first else {
            throw UsageError(
                "shard_no_engine", "--shard auto found no batch engine's task index in the environment",
                remedy: "run it as an array task (Slurm sets SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT; a Kubernetes Indexed Job JOB_COMPLETION_INDEX, with --shard-count N; AWS Batch AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE; Cloud Run CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT), or give --shard K/N")
        }
        guard set.count == 1 else {
            throw UsageError("shard_engines", "--shard auto found the task variables of several engines (\(set.map(\.name).joined(separator: ", ")))",
                             remedy: "unset all but one engine's, or give --shard K/N")
        }
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let n = Int(text), n >= 0 else {
                throw UsageError("shard_invalid", "\(name) is '\(text)', not a whole number", remedy: "check the job's definition")
            }
            return n
        }
        var index = try number(engine.index)!
        var count = try engine.count.flatMap(number)
        if engine.index == "SLURM_ARRAY_TASK_ID" {
            // Array ids need not start at 0: the shard is the task's place in the array.
            let min = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            if let step = try number("SLURM_ARRAY_TASK_STEP"), step != 1 {
                throw UsageError("shard_invalid", "the Slurm array has step \(step)", remedy: "submit it with consecutive task ids, e.g. --array=0-\((count ?? 1) - 1)")
            }
            if let max = try number("SLURM_ARRAY_TASK_MAX"), let count, max - min + 1 != count {
                throw UsageError("shard_invalid", "the Slurm array's ids \(min)-\(max) are not \(count) consecutive ids",
                                 remedy: "submit it with consecutive task ids, e.g. --array=0-\(count - 1)")
            }
            index -= min
        }
        if let option {
            if let count, count != option {
                throw UsageError("shard_invalid", "--shard-count \(option) disagrees with the \(engine.name)'s \(count) tasks",
                                 remedy: "drop --shard-count, or make it match the job")
            }
            count = option
        }
        guard let count else {
            throw UsageError("shard_no_count", "the \(engine.name) gives the task's index but not the number of tasks",
                             remedy: "give --shard-count N (the job's completions)")
        }
        guard count >= 1, (0..<count).contains(index) else {
            throw UsageError("shard_invalid", "the \(engine.name)'s task index \(index) is outside 0..<\(count)",
                             remedy: "check the job's definition and --shard-count")
        }
        return ShardSelection(shard: index, count: count)
    }
}
