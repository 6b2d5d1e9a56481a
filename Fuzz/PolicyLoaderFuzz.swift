// libFuzzer target for PolicyLoader: `Scripts/fuzz policy SECONDS`.
//
// The input is policy YAML. It must load or throw a PolicyError naming the file; a loaded
// policy has the four uses, each with 1…63 rules, unique ids and a last rule without `when`,
// and `decide` picks the first rule that holds. See FuzzChecks.checkPolicy in
// Tests/ConsentryCoreTests/Fuzz/FuzzRegressionTests.swift.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTarget.run(data, size, FuzzChecks.checkPolicy)
}

// PolicyLoader.swift reads built-in policies through SwiftPM's generated `Bundle.module`,
// which a plain swiftc build does not have; the fuzz target never loads built-ins.
extension Bundle {
    static var module: Bundle { .main }
}
