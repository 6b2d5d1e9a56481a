// Shared by the fuzz targets (see Scripts/fuzz): turns invariant violations into a crash that
// libFuzzer records, with a readable report on standard error.
#if canImport(Glibc)
import Glibc
#endif

enum FuzzTarget {
    /// Runs `check` on the input; any violation aborts the process (a libFuzzer "crash").
    static func run(_ data: UnsafePointer<UInt8>, _ size: Int, _ check: ([UInt8]) -> [String]) -> Int32 {
        let bytes = size > 0 ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        let failures = check(bytes)
        guard failures.isEmpty else {
            var report = "==== consentry fuzz invariant violated (\(failures.count)):\n"
            for failure in failures.prefix(5) { report += "- \(failure)\n" }
            report += "input (\(bytes.count) bytes, hex\(bytes.count > 512 ? ", first 512" : "")): \(FuzzChecks.hex(Array(bytes.prefix(512))))\n"
            report.withCString { _ = write(2, $0, strlen($0)) }
            abort()
        }
        return 0
    }
}
