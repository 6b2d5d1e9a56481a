import Testing
@testable import ConsentryCLI

@Suite struct ShardSelectionTests {
    func resolve(_ spec: String, count: Int? = nil, _ env: [String: String] = [:]) throws -> ShardSelection {
        try ShardSelection.resolve(spec, count: count, environment: env)
    }

    func code(_ body: () throws -> ShardSelection) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as UsageError {
            #expect(ConsentryCLI.exitCode(for: error) == 64)
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test("K/N as given; a wrong one is a usage error")
    func explicit() throws {
        #expect(try resolve("2/4") == ShardSelection(shard: 2, count: 4))
        #expect(try resolve("0/1") == ShardSelection(shard: 0, count: 1))
        for bad in ["4/4", "-1/4", "1/0", "a/b", "1", "1/2/3", ""] { #expect(code { try resolve(bad) } == "shard_invalid", "\(bad)") }
        #expect(code { try resolve("1/4", count: 3) } == "shard_invalid")
        // An explicit shard wins over the engine's variables.
        #expect(try resolve("1/2", ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "9"]) == ShardSelection(shard: 1, count: 2))
    }

    @Test("Slurm: the task's place in the array, whatever id the array starts at")
    func slurm() throws {
        let env = ["SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "13", "SLURM_ARRAY_TASK_COUNT": "4"]
        #expect(try resolve("auto", env) == ShardSelection(shard: 2, count: 4))
        #expect(try resolve("auto", count: 4, env) == ShardSelection(shard: 2, count: 4))
        #expect(code { try resolve("auto", count: 5, env) } == "shard_invalid", "--shard-count disagrees")
        var stepped = env
        stepped["SLURM_ARRAY_TASK_STEP"] = "2"
        #expect(code { try resolve("auto", stepped) } == "shard_invalid")
        var gappy = env
        gappy["SLURM_ARRAY_TASK_MAX"] = "20"
        #expect(code { try resolve("auto", gappy) } == "shard_invalid")
    }

    @Test("Kubernetes: JOB_COMPLETION_INDEX with --shard-count")
    func kubernetes() throws {
        #expect(try resolve("auto", count: 3, ["JOB_COMPLETION_INDEX": "2"]) == ShardSelection(shard: 2, count: 3))
        #expect(code { try resolve("auto", ["JOB_COMPLETION_INDEX": "2"]) } == "shard_no_count")
        #expect(code { try resolve("auto", count: 2, ["JOB_COMPLETION_INDEX": "2"]) } == "shard_invalid")
    }

    @Test("AWS Batch and Cloud Run give index and count")
    func awsAndCloudRun() throws {
        #expect(try resolve("auto", ["AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ARRAY_SIZE": "5"]) == ShardSelection(shard: 0, count: 5))
        #expect(try resolve("auto", ["CLOUD_RUN_TASK_INDEX": "4", "CLOUD_RUN_TASK_COUNT": "5"]) == ShardSelection(shard: 4, count: 5))
        #expect(code { try resolve("auto", ["CLOUD_RUN_TASK_INDEX": "x", "CLOUD_RUN_TASK_COUNT": "5"]) } == "shard_invalid")
    }

    @Test("no engine, or several: a usage error that says what to set")
    func noneOrSeveral() throws {
        #expect(code { try resolve("auto", [:]) } == "shard_no_engine")
        #expect(code { try resolve("auto", ["JOB_COMPLETION_INDEX": ""]) } == "shard_no_engine", "an empty variable is not set")
        #expect(code { try resolve("auto", ["JOB_COMPLETION_INDEX": "0", "CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_COUNT": "2"]) }
                == "shard_engines")
    }
}
