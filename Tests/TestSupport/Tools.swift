import Foundation

/// `gzip -c -n` of `data` (one member; `level` 1…9, default 6 as gzip's own).
package func gzip(_ data: Data, level: Int = 6) throws -> Data {
    try runTool(Paths.gzip, ["-c", "-n", "-\(level)"], stdin: data)
}

package func gzip(_ text: String, level: Int = 6) throws -> Data { try gzip(Data(text.utf8), level: level) }

package func gzip(_ bytes: [UInt8], level: Int = 6) throws -> [UInt8] { Array(try gzip(Data(bytes), level: level)) }

/// `gzip -dc` of `data`.
package func gunzip(_ data: Data) throws -> Data {
    try runTool(Paths.gzip, ["-dc"], stdin: data)
}

/// The SHA-256 of a file as `sha256sum FILE` prints it (lower-case hex).
package func sha256sum(_ path: String) throws -> String {
    let out: Data
    if let tool = Paths.tool(["/usr/bin/sha256sum", "/bin/sha256sum"]) {
        out = try runTool(tool, [path])
    } else {
        out = try runTool("/usr/bin/shasum", ["-a", "256", path])
    }
    return String(String(decoding: out, as: UTF8.self).prefix(while: { !$0.isWhitespace }))
}

/// Runs Scripts/reference-scan (the Python oracle) and parses its JSON.
package func referenceScan(_ arguments: [String]) throws -> JSON {
    // A hang guard: the oracle reads in python3, minutes on a busy machine.
    let out = try runTool("/usr/bin/env", ["python3", Paths.referenceScan] + arguments, timeout: 600)
    return try JSON.parse(out)
}
