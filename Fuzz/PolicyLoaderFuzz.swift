// libFuzzer target for PolicyLoader: `Scripts/fuzz policy SECONDS`.
//
// The input is policy YAML. It must load or throw a PolicyError naming the file; a loaded
// policy has the four uses, each with 1…63 rules, unique ids and a last rule without `when`,
// and `decide` picks the first rule that holds. See FuzzChecks.checkPolicy in
// Tests/ConsentryEngineTests/Fuzz/FuzzRegressionTests.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTarget.run(data, size, FuzzChecks.checkPolicy)
}
