import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every end-to-end test lives in a suite nested in this one, so they all run one after the
/// other: several of them measure how fast the binary reacts (locks, signals), and parallel
/// scans on a two-core machine would make those timings flaky.
@Suite(.serialized) struct EndToEnd {}

// MARK: - Locations

enum Paths {
    /// The repository root, found from this file's path (Tests/ConsentryEndToEndTests/Support.swift).
    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sample(_ name: String) -> String {
        repository.appendingPathComponent("SampleCatalogs").appendingPathComponent(name).path
    }

    static var referenceScan: String { repository.appendingPathComponent("Scripts/reference-scan").path }

    static func builtInPolicy(_ id: String) -> String {
        repository.appendingPathComponent("Sources/ConsentryCore/Policy/BuiltIn/\(id).yaml").path
    }

    static let sqlite3: String? = {
        if let env = ProcessInfo.processInfo.environment["SQLITE3"], !env.isEmpty { return env }
        return ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/opt/homebrew/bin/sqlite3"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// The `consentry` binary: `$CONSENTRY_BIN`, else the one in the build products directory
    /// this test bundle was built into (searched upward from the bundle / runner location).
    static let consentry: String? = {
        if let env = ProcessInfo.processInfo.environment["CONSENTRY_BIN"], !env.isEmpty { return env }
        var starts: [URL] = [Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent()]
            .compactMap { $0 }
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        starts.append(contentsOf: Bundle.allBundles.map(\.bundleURL))
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<6 {
                for candidate in [directory.appendingPathComponent("consentry"),
                                  directory.appendingPathComponent("debug/consentry"),
                                  directory.appendingPathComponent("release/consentry")] {
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                       !isDirectory.boolValue, FileManager.default.isExecutableFile(atPath: candidate.path) {
                        return candidate.path
                    }
                }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        return nil
    }()
}

// MARK: - Temporary directories

/// A fresh directory per test, removed when the value goes away.
final class TempDir {
    let url: URL
    var path: String { url.path }

    init() throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-e2e-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        url = base
    }

    /// The results database path of this test.
    var db: String { file("results.sqlite") }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let p = file(name)
        try data.write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

// MARK: - Running processes

struct ProcessResult: CustomStringConvertible {
    var status: Int32
    var signaled: Bool
    var timedOut: Bool
    var stdoutData: Data
    var stderrData: Data
    var elapsed: TimeInterval

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }

    /// The exit code, or 128 + signal when killed by a signal, or -1 on timeout.
    var exitCode: Int32 { timedOut ? -1 : signaled ? 128 + status : status }

    var description: String {
        "exit \(status)\(signaled ? " (signal)" : "")\(timedOut ? " (TIMED OUT)" : "") after \(String(format: "%.2f", elapsed))s\n"
            + "--- stdout ---\n\(stdout.prefix(3000))\n--- stderr ---\n\(stderr.prefix(3000))"
    }
}

enum TestFailure: Error, CustomStringConvertible {
    case message(String)
    var description: String {
        switch self { case .message(let m): return m }
    }
}

/// A started child process whose stdout and stderr go to files (no pipe can fill up) and
/// whose stdin is a file, /dev/null, or a pipe the test keeps open.
final class Child {
    let process = Process()
    let stdinPipe: Pipe?
    private let outURL: URL
    private let errURL: URL
    private let started = Date()

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    init(executable: String, _ arguments: [String], stdinFile: String? = nil, keepStdinOpen: Bool = false,
         environment: [String: String] = [:], directory: String? = nil) throws {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-e2e-out-\(getpid())-\(UUID().uuidString.prefix(8))")
        outURL = scratch.appendingPathExtension("stdout")
        errURL = scratch.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["CONSENTRY_DB"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if keepStdinOpen {
            let pipe = Pipe()
            stdinPipe = pipe
            process.standardInput = pipe
        } else {
            stdinPipe = nil
            if let stdinFile {
                process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinFile))
            } else {
                process.standardInput = FileHandle.nullDevice
            }
        }
        try process.run()
    }

    /// Writes to the child's stdin pipe.
    func send(_ data: Data) {
        stdinPipe?.fileHandleForWriting.write(data)
    }

    func send(_ text: String) { send(Data(text.utf8)) }

    /// Closes the child's stdin pipe (end of input).
    func closeStdin() {
        try? stdinPipe?.fileHandleForWriting.close()
    }

    func signal(_ sig: Int32) {
        kill(process.processIdentifier, sig)
    }

    /// Waits up to `timeout` seconds; returns nil while still running.
    func wait(upTo timeout: TimeInterval) -> ProcessResult? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning {
            if Date() >= deadline { return nil }
            usleep(5_000)
        }
        return result(timedOut: false)
    }

    /// Waits for the child, killing it (and reporting a timeout) after `timeout` seconds.
    func finish(timeout: TimeInterval = 60) -> ProcessResult {
        if let r = wait(upTo: timeout) { return r }
        kill(process.processIdentifier, SIGKILL)
        closeStdin()
        process.waitUntilExit()
        return result(timedOut: true)
    }

    private func result(timedOut: Bool) -> ProcessResult {
        process.waitUntilExit()
        let out = (try? Data(contentsOf: outURL)) ?? Data()
        let err = (try? Data(contentsOf: errURL)) ?? Data()
        return ProcessResult(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, stdoutData: out, stderrData: err, elapsed: Date().timeIntervalSince(started))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            closeStdin()
            process.waitUntilExit()
        }
        closeStdin()
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
}

/// Runs a program to completion with `stdin` (bytes written to a temp file first).
func runProgram(_ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                directory: String? = nil, timeout: TimeInterval = 60) throws -> ProcessResult {
    var stdinFile: String? = nil
    if let stdin {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-e2e-in-\(getpid())-\(UUID().uuidString.prefix(8))")
        try stdin.write(to: url)
        stdinFile = url.path
    }
    defer { if let stdinFile { try? FileManager.default.removeItem(atPath: stdinFile) } }
    let child = try Child(executable: executable, arguments, stdinFile: stdinFile, environment: environment,
                          directory: directory)
    return child.finish(timeout: timeout)
}

func consentryPath() throws -> String {
    try #require(Paths.consentry, "the consentry binary was not found; build it or set CONSENTRY_BIN")
}

/// Runs `consentry ARGS`, with a timeout so that a hang fails the test.
func consentry(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], directory: String? = nil,
               timeout: TimeInterval = 60) throws -> ProcessResult {
    try runProgram(try consentryPath(), arguments, stdin: stdin, environment: environment, directory: directory,
                   timeout: timeout)
}

/// Starts `consentry ARGS` in the background, with a stdin pipe the test keeps open.
func startConsentry(_ arguments: [String], directory: String? = nil) throws -> Child {
    try Child(executable: try consentryPath(), arguments, keepStdinOpen: true, directory: directory)
}

/// Polls `condition` every 20 ms for up to `timeout` seconds.
func eventually(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return false
}

// MARK: - Tools

/// `gzip -c -n` of `data`.
func gzip(_ data: Data) throws -> Data {
    let gz = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/gzip"
    let r = try runProgram(gz, ["-c", "-n"], stdin: data)
    guard r.status == 0, !r.timedOut else { throw TestFailure.message("gzip failed: \(r)") }
    return r.stdoutData
}

func gzip(_ text: String) throws -> Data { try gzip(Data(text.utf8)) }

/// `sha256sum FILE`'s digest.
func sha256sum(_ path: String) throws -> String {
    let tool = ["/usr/bin/sha256sum", "/bin/sha256sum"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let r: ProcessResult
    if let tool {
        r = try runProgram(tool, [path])
    } else {
        r = try runProgram("/usr/bin/shasum", ["-a", "256", path])
    }
    guard r.status == 0 else { throw TestFailure.message("sha256sum failed: \(r)") }
    return String(r.stdout.split(separator: " ").first ?? "")
}

/// Runs Scripts/reference-scan (the Python oracle) and parses its JSON.
func referenceScan(_ arguments: [String]) throws -> JSON {
    let r = try runProgram("/usr/bin/env", ["python3", Paths.referenceScan] + arguments, timeout: 120)
    guard r.status == 0, !r.timedOut else { throw TestFailure.message("reference-scan failed: \(r)") }
    return try JSON.parse(r.stdoutData)
}

// MARK: - SQLite

/// Reads a results database with the system `sqlite3` command-line tool.
struct SQLite {
    let path: String

    init(_ path: String) { self.path = path }

    /// Rows as JSON objects (`sqlite3 -json`).
    func rows(_ sql: String) throws -> [JSON] {
        let tool = try #require(Paths.sqlite3, "the sqlite3 command-line tool is needed")
        let r = try runProgram(tool, ["-bail", "-json", path, sql])
        guard r.status == 0, !r.timedOut else { throw TestFailure.message("sqlite3 \(sql) failed: \(r)") }
        let text = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [] }
        guard case .array(let rows) = try JSON.parse(Data(text.utf8)) else {
            throw TestFailure.message("sqlite3 -json printed no array: \(text.prefix(200))")
        }
        return rows
    }

    /// Lines of tab-separated values, for large result sets.
    func lines(_ sql: String) throws -> [String] {
        let tool = try #require(Paths.sqlite3, "the sqlite3 command-line tool is needed")
        let r = try runProgram(tool, ["-bail", "-noheader", "-list", "-separator", "\t", path, sql])
        guard r.status == 0, !r.timedOut else { throw TestFailure.message("sqlite3 \(sql) failed: \(r)") }
        return r.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    func execute(_ sql: String) throws {
        let tool = try #require(Paths.sqlite3, "the sqlite3 command-line tool is needed")
        let r = try runProgram(tool, ["-bail", path, sql])
        guard r.status == 0, !r.timedOut else { throw TestFailure.message("sqlite3 \(sql) failed: \(r)") }
    }

    func int(_ sql: String) throws -> Int {
        let rows = try rows(sql)
        guard let first = rows.first, case .object(let o) = first, let v = o.values.first, let n = v.int else {
            throw TestFailure.message("no integer from \(sql): \(rows)")
        }
        return n
    }

    /// Rows of the run's own tables (everything a run writes besides its `runs` row).
    func rowCounts(run: Int) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["verdicts", "rejects", "group_stats", "run_inputs", "run_policies"] {
            counts[table] = try int("SELECT count(*) AS n FROM \(table) WHERE run_id = \(run)")
        }
        return counts
    }

    func run(_ id: Int) throws -> [String: JSON] {
        let rows = try rows("SELECT * FROM runs WHERE id = \(id)")
        guard rows.count == 1, case .object(let o) = rows[0] else { throw TestFailure.message("no run \(id)") }
        return o
    }
}

// MARK: - JSON

/// A parsed JSON value that compares structurally.
enum JSON: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Parses one JSON document (a small recursive-descent parser: fast, and strict enough for
    /// checking what consentry prints).
    static func parse(_ data: Data) throws -> JSON {
        var parser = JSONParser(bytes: [UInt8](data))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.failure("trailing characters") }
        return value
    }

    static func parse(_ text: String) throws -> JSON { try parse(Data(text.utf8)) }

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var object: [String: JSON]? { if case .object(let o) = self { return o }; return nil }
    var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var double: Double? { if case .number(let d) = self { return d }; return nil }
    var int: Int? {
        if case .number(let d) = self, d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        return nil
    }
    var isNull: Bool { self == .null }
    var keys: Set<String> { Set(object?.keys.map { $0 } ?? []) }

    /// A copy without the given top-level keys.
    func removing(_ names: String...) -> JSON {
        guard case .object(var o) = self else { return self }
        for n in names { o[n] = nil }
        return .object(o)
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\"\($0)\": \(o[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Where two JSON values differ, as `path: a != b` lines (empty when equal).
func jsonDifferences(_ a: JSON, _ b: JSON, path: String = "$") -> [String] {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        var out: [String] = []
        for k in Set(x.keys).union(y.keys).sorted() {
            switch (x[k], y[k]) {
            case (let u?, let v?): out += jsonDifferences(u, v, path: "\(path).\(k)")
            case (nil, let v?): out.append("\(path).\(k): missing on the left, right has \(v)")
            case (let u?, nil): out.append("\(path).\(k): left has \(u), missing on the right")
            default: break
            }
        }
        return out
    case (.array(let x), .array(let y)):
        if x.count != y.count { return ["\(path): \(x.count) elements != \(y.count) elements"] }
        return zip(x, y).enumerated().flatMap { jsonDifferences($0.element.0, $0.element.1, path: "\(path)[\($0.offset)]") }
    default:
        return a == b ? [] : ["\(path): \(a) != \(b)"]
    }
}

// MARK: - Test data

enum Data8 {
    /// Decodes hex text (sqlite3's `hex()`) into bytes.
    static func hex(_ text: String) -> Data {
        var bytes = [UInt8]()
        var chars = Array(text.utf8)
        if chars.count % 2 == 1 { chars.removeLast() }
        func value(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return c - UInt8(ascii: "a") + 10
            }
        }
        var i = 0
        while i < chars.count {
            bytes.append(value(chars[i]) << 4 | value(chars[i + 1]))
            i += 2
        }
        return Data(bytes)
    }

    static func hexString(_ data: Data) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for b in data {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A deterministic CSV catalogue of `count` tracks with a mix of label statuses and flags.
func generatedCSV(count: Int, prefix: String = "g", quotedTitles: Bool = false) -> String {
    let labels = ["major", "licensed", "independent", "unknown", "unsigned", "", "Independent"]
    var out = "track_id,artist_id,title,label_status,genai_opt_in,ai_opt_out,no_ai_tag,uploaded_at\n"
    for i in 0..<count {
        let label = labels[(i * 7 + i / 3) % labels.count]
        let genai = i % 5 == 0 ? "yes" : "no"
        let optOut = i % 4 == 1 ? "true" : ""
        let title: String
        if quotedTitles && i % 3 == 0 {
            title = "\"Song \(i), part \"\"\(i % 10)\"\"\nsecond line of \(i)\""
        } else {
            title = "Song \(i)"
        }
        out += "\(prefix)-\(i),artist-\(i % 17),\(title),\(label),\(genai),\(optOut),0,2024-0\(1 + i % 9)-1\(i % 10)\n"
    }
    return out
}

/// The line (1-based) and byte offset of the `occurrence`-th line of `text` that starts with `prefix`.
func position(of prefix: String, in text: String, occurrence: Int = 1) -> (line: Int, offset: Int)? {
    var offset = 0
    var seen = 0
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.hasPrefix(prefix) {
            seen += 1
            if seen == occurrence { return (index + 1, offset) }
        }
        offset += line.utf8.count + 1
    }
    return nil
}

// MARK: - The SPEC §5 report shape

enum Spec {
    static let builtInPolicies = ["soundcloud-2024-02", "soundcloud-2025-05", "soundcloud-opt-out"]
    static let defaultPolicy = "soundcloud-2025-05"
    static let groups = ["major", "licensed", "independent", "unknown", "all"]
    static let labelGroups = ["major", "licensed", "independent", "unknown"]
    static let uses = ["ai_generative_training", "ai_training", "ai_inference", "data_mining"]
    static let verdicts = ["exposed", "consented", "blocked"]
    static let rejectCodes: Set<String> = [
        "record_too_long", "unterminated_quote", "field_count", "invalid_json", "not_an_object", "invalid_utf8",
        "missing_track_id", "invalid_track_id", "invalid_label_status", "invalid_boolean", "invalid_timestamp",
        "duplicate_track_id",
    ]

    static func policyArguments(_ ids: [String]) -> [String] { ids.flatMap { ["--policy", $0] } }

    static func share(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

    /// Records an issue for every way `json` departs from the SPEC §5 shape and its arithmetic.
    static func checkReportShape(_ json: JSON, policies: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        func check(_ ok: Bool, _ what: @autoclosure () -> String) {
            if !ok { Issue.record("report shape: \(what())", sourceLocation: sourceLocation) }
        }
        check(json.keys == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions"], "top-level keys \(json.keys.sorted())")
        check(json["run_id"]?.int != nil, "run_id is \(String(describing: json["run_id"]))")
        check(json["status"]?.string == "completed", "status is \(String(describing: json["status"]))")
        let rows = json["rows"]
        check(rows?.keys == ["read", "scanned", "rejected"], "rows keys \(rows?.keys.sorted() ?? [])")
        if let read = rows?["read"]?.int, let scanned = rows?["scanned"]?.int, let rejected = rows?["rejected"]?.int {
            check(read == scanned + rejected, "rows.read \(read) != scanned \(scanned) + rejected \(rejected)")
        } else {
            check(false, "rows are not integers: \(String(describing: rows))")
        }
        if let byCode = json["rejects_by_code"]?.object {
            check(Set(byCode.keys).isSubset(of: rejectCodes), "unknown reject codes \(byCode.keys.sorted())")
            let total = byCode.values.compactMap(\.int).reduce(0, +)
            check(byCode.values.allSatisfy { ($0.int ?? 0) > 0 }, "rejects_by_code has non-positive counts")
            check(total == rows?["rejected"]?.int, "rejects_by_code adds up to \(total), rows.rejected is \(String(describing: rows?["rejected"]))")
        } else {
            check(false, "rejects_by_code is not an object")
        }
        guard let policyMap = json["policies"]?.object else { check(false, "policies is not an object"); return }
        check(Set(policyMap.keys) == Set(policies), "policy ids \(policyMap.keys.sorted()) != \(policies.sorted())")
        for (id, policy) in policyMap {
            check(policy.keys == ["independent_exposed_share", "labelled_exposed_share", "exposure_gap", "groups"],
                  "\(id) keys \(policy.keys.sorted())")
            for key in ["independent_exposed_share", "labelled_exposed_share", "exposure_gap"] {
                let v = policy[key]
                check(v?.double != nil || v?.isNull == true, "\(id).\(key) is \(String(describing: v))")
            }
            guard let groups = policy["groups"]?.object else { check(false, "\(id).groups is not an object"); continue }
            check(Set(groups.keys) == Set(Spec.groups), "\(id) groups \(groups.keys.sorted())")
            var sums: [String: Int] = [:]
            for name in Spec.groups {
                guard let g = groups[name] else { continue }
                check(g.keys == ["tracks", "any_training_exposed", "exposed_share", "uses"], "\(id).\(name) keys \(g.keys.sorted())")
                guard let tracks = g["tracks"]?.int, let any = g["any_training_exposed"]?.int else {
                    check(false, "\(id).\(name) counts are not integers"); continue
                }
                let expectedShare = share(any, tracks)
                check(g["exposed_share"]?.double == expectedShare || (expectedShare == nil && g["exposed_share"]?.isNull == true),
                      "\(id).\(name).exposed_share \(String(describing: g["exposed_share"])) != \(any)/\(tracks)")
                check(Set(g["uses"]?.keys ?? []) == Set(Spec.uses), "\(id).\(name).uses keys")
                var generativeExposed = 0, trainingExposed = 0
                for use in Spec.uses {
                    let u = g["uses"]?[use]
                    check(u?.keys == Set(Spec.verdicts), "\(id).\(name).\(use) keys \(u?.keys.sorted() ?? [])")
                    let counts = Spec.verdicts.map { u?[$0]?.int ?? -1 }
                    check(counts.allSatisfy { $0 >= 0 } && counts.reduce(0, +) == tracks,
                          "\(id).\(name).\(use) verdicts \(counts) do not add up to tracks \(tracks)")
                    if use == "ai_generative_training" { generativeExposed = counts[0] }
                    if use == "ai_training" { trainingExposed = counts[0] }
                    for (v, n) in zip(Spec.verdicts, counts) where name != "all" { sums["\(use).\(v)", default: 0] += n }
                }
                check(any >= max(generativeExposed, trainingExposed) && any <= min(tracks, generativeExposed + trainingExposed),
                      "\(id).\(name).any_training_exposed \(any) inconsistent with exposed counts \(generativeExposed)/\(trainingExposed)")
                if name != "all" {
                    sums["tracks", default: 0] += tracks
                    sums["any", default: 0] += any
                }
            }
            if let all = groups["all"] {
                check(all["tracks"]?.int == sums["tracks"], "\(id).all.tracks is not the sum of the groups")
                check(all["any_training_exposed"]?.int == sums["any"], "\(id).all.any_training_exposed is not the sum")
                for use in Spec.uses {
                    for v in Spec.verdicts {
                        check(all["uses"]?[use]?[v]?.int == sums["\(use).\(v)"], "\(id).all.\(use).\(v) is not the sum")
                    }
                }
            }
            check(policy["independent_exposed_share"] == groups["independent"]?["exposed_share"],
                  "\(id).independent_exposed_share differs from the independent group's exposed_share")
            let labelledTracks = (groups["major"]?["tracks"]?.int ?? 0) + (groups["licensed"]?["tracks"]?.int ?? 0)
            let labelledAny = (groups["major"]?["any_training_exposed"]?.int ?? 0)
                + (groups["licensed"]?["any_training_exposed"]?.int ?? 0)
            let labelled = share(labelledAny, labelledTracks)
            check(policy["labelled_exposed_share"]?.double == labelled || (labelled == nil && policy["labelled_exposed_share"]?.isNull == true),
                  "\(id).labelled_exposed_share \(String(describing: policy["labelled_exposed_share"])) != \(labelledAny)/\(labelledTracks)")
            if let i = policy["independent_exposed_share"]?.double, let l = policy["labelled_exposed_share"]?.double {
                check(policy["exposure_gap"]?.double == i - l, "\(id).exposure_gap != independent - labelled")
            } else {
                check(policy["exposure_gap"]?.isNull == true, "\(id).exposure_gap should be null")
            }
        }
        checkTransitions(json, policies: policies, check)
    }

    /// `transitions` lists only moves (from != to) between policies listed in that order, and
    /// moving each pair's first policy's counts by them gives the second policy's counts.
    static func checkTransitions(_ json: JSON, policies: [String], _ check: (Bool, @autoclosure () -> String) -> Void) {
        guard let list = json["transitions"]?.array else { check(false, "transitions is not an array"); return }
        var moved: [String: Int] = [:]
        for t in list {
            check(t.keys == ["from_policy", "to_policy", "group", "use", "from", "to", "tracks"], "transition keys \(t.keys.sorted())")
            guard let from = t["from_policy"]?.string, let to = t["to_policy"]?.string, let group = t["group"]?.string,
                  let use = t["use"]?.string, let a = t["from"]?.string, let b = t["to"]?.string, let n = t["tracks"]?.int else {
                check(false, "transition fields \(t)"); continue
            }
            check((policies.firstIndex(of: from) ?? .max) < (policies.firstIndex(of: to) ?? -1), "pair \(from) → \(to) out of scan order")
            check(Spec.groups.contains(group) && Spec.uses.contains(use) && Spec.verdicts.contains(a) && Spec.verdicts.contains(b),
                  "transition names \(t)")
            check(a != b && n > 0, "transition \(t) is not a move")
            moved["\(from)|\(to)|\(group)|\(use)|\(a)", default: 0] -= n
            moved["\(from)|\(to)|\(group)|\(use)|\(b)", default: 0] += n
        }
        for (i, p) in policies.enumerated() {
            for q in policies[(i + 1)...] {
                for group in Spec.groups {
                    for use in Spec.uses {
                        for v in Spec.verdicts {
                            let before = json["policies"]?[p]?["groups"]?[group]?["uses"]?[use]?[v]?.int ?? -1
                            let after = json["policies"]?[q]?["groups"]?[group]?["uses"]?[use]?[v]?.int ?? -1
                            let net = moved["\(p)|\(q)|\(group)|\(use)|\(v)"] ?? 0
                            check(before + net == after, "\(p) → \(q) \(group) \(use) \(v): \(before) + moves \(net) != \(after)")
                        }
                    }
                }
            }
        }
    }
}

/// Whether `data` is valid UTF-8.
func isValidUTF8(_ data: Data) -> Bool {
    String(decoding: data, as: UTF8.self).utf8.elementsEqual(data)
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func failure(_ what: String) -> TestFailure {
        let context = String(decoding: bytes[max(0, index - 20)..<min(bytes.count, index + 20)], as: UTF8.self)
        return .message("invalid JSON at byte \(index): \(what) near '\(context)'")
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ literal: String) throws {
        for b in literal.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw failure("expected \(literal)") }
            index += 1
        }
    }

    mutating func value() throws -> JSON {
        guard index < bytes.count else { throw failure("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var object: [String: JSON] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
                let key = try string()
                skipSpace()
                try expect(":")
                skipSpace()
                object[key] = try value()
                skipSpace()
                guard index < bytes.count else { throw failure("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                throw failure("expected , or }")
            }
        case UInt8(ascii: "["):
            index += 1
            var array: [JSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
            while true {
                skipSpace()
                array.append(try value())
                skipSpace()
                guard index < bytes.count else { throw failure("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
                throw failure("expected , or ]")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null"); return .null
        default:
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            guard index > start, let d = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                throw failure("expected a value")
            }
            return .number(d)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
            throw failure("bad \\u escape")
        }
        index += 4
        return v
    }

    mutating func string() throws -> String {
        index += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard index < bytes.count else { throw failure("unterminated escape") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
