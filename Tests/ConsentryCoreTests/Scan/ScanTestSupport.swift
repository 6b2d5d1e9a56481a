import Foundation
import Testing
@testable import ConsentryCore

// Helpers for the Scan, Store and Report tests. Every name here starts with `scanTest` /
// `ScanTest` so that it cannot collide with helpers other test folders define in the same
// test module.

struct ScanTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Paths and temporary files

/// The package root (this file is Tests/ConsentryCoreTests/Scan/ScanTestSupport.swift).
let scanTestPackageRoot: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}()

func scanTestSample(_ name: String) -> String { scanTestPackageRoot + "/SampleCatalogs/" + name }

/// A fresh directory per test, removed when the value goes away.
final class ScanTestDir {
    let path: String

    init(_ tag: String = "scan") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-\(tag)-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    var db: String { file("results.sqlite") }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

// MARK: - External tools

/// Runs a program; stdout is returned, stderr goes to a temporary file shown on failure.
func scanTestRunTool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let errPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("consentry-tool-\(UUID().uuidString).err").path
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.standardOutput = out
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try? errHandle.close()
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return (process.terminationStatus, data, err)
}

/// `gzip -c -n` of a file's bytes.
func scanTestGzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let dir = try ScanTestDir("gz")
    let raw = try dir.write("raw", bytes)
    let r = try scanTestRunTool("/usr/bin/gzip", ["-c", "-n", raw])
    guard r.status == 0 else { throw ScanTestFailure("gzip failed: \(r.stderr)") }
    return Array(r.stdout)
}

func scanTestSHA256(_ path: String) throws -> String {
    let r = try scanTestRunTool("/usr/bin/sha256sum", [path])
    guard r.status == 0 else { throw ScanTestFailure("sha256sum failed: \(r.stderr)") }
    return String(String(decoding: r.stdout, as: UTF8.self).split(separator: " ").first ?? "")
}

/// Rows of a query, through the sqlite3 command-line tool (independent of the code under test).
func scanTestSQL(_ database: String, _ sql: String) throws -> [[String: Any]] {
    let r = try scanTestRunTool("/usr/bin/sqlite3", ["-json", "-readonly", database, sql])
    guard r.status == 0 else { throw ScanTestFailure("sqlite3 failed (\(r.status)) on \(sql): \(r.stderr)") }
    if r.stdout.allSatisfy({ $0 == 0x0A || $0 == 0x20 }) { return [] }
    guard let rows = try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]] else {
        throw ScanTestFailure("sqlite3 -json printed no array for \(sql)")
    }
    return rows
}

/// The single integer a query returns.
func scanTestSQLInt(_ database: String, _ sql: String) throws -> Int {
    let rows = try scanTestSQL(database, sql)
    guard rows.count == 1, let value = rows[0].values.first as? NSNumber else {
        throw ScanTestFailure("expected one integer from \(sql), got \(rows)")
    }
    return value.intValue
}

/// A JSON document both as Foundation objects (escapes resolved) and as an ordered tree
/// whose numbers keep their exact text (swift-corelibs-foundation's JSONSerialization does
/// not always round decimal text to the nearest Double, e.g. 0.8181818181818182).
struct ScanTestDoc {
    var any: [String: Any]
    var ordered: ScanTestOrderedJSON

    init(_ data: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ScanTestFailure("JSON document is not an object")
        }
        any = object
        ordered = try ScanTestOrderedJSON.parse(String(decoding: data, as: UTF8.self))
    }

    init(any: [String: Any], ordered: ScanTestOrderedJSON) {
        self.any = any
        self.ordered = ordered
    }

    subscript(_ key: String) -> Any? { any[key] }

    /// The member `key`, itself an object.
    func member(_ key: String) throws -> ScanTestDoc {
        guard let a = any[key] as? [String: Any], let o = ordered[key] else { throw ScanTestFailure("no object '\(key)'") }
        return ScanTestDoc(any: a, ordered: o)
    }
}

/// Runs Scripts/reference-scan (the Python oracle) and parses its JSON.
func scanTestReference(_ arguments: [String]) throws -> ScanTestDoc {
    let r = try scanTestRunTool("/usr/bin/env", ["python3", scanTestPackageRoot + "/Scripts/reference-scan"] + arguments)
    guard r.status == 0 else { throw ScanTestFailure("reference-scan exited \(r.status): \(r.stderr)") }
    return try ScanTestDoc(r.stdout)
}

// MARK: - Policies and packed verdicts

func scanTestPolicies(_ ids: [String]) throws -> [Policy] {
    try ids.map { try BuiltInPolicies.policy($0) }
}

/// A packed decision (see ``PolicyEvaluator``): one verdict and rule index per use.
func scanTestPack(_ verdicts: [Verdict], rules: [Int] = [0, 0, 0, 0]) -> UInt32 {
    var packed: UInt32 = 0
    for u in 0..<4 {
        packed |= (UInt32(verdicts[u].rawValue) | UInt32(rules[u]) << 2) << (8 * UInt32(u))
    }
    return packed
}

// MARK: - A recording sink and a comparable outcome

/// Records what the pipeline hands its sink, in order.
final class ScanTestSink: ScanSink {
    struct Track: Equatable, CustomStringConvertible {
        var id: String
        var idBytes: [UInt8]
        var label: LabelStatus
        var verdicts: [UInt32]
        var description: String { "\(id)[\(label.name)] \(verdicts.map { String($0, radix: 16) })" }
    }

    struct Reject: Equatable, CustomStringConvertible {
        var input: String
        var line: Int
        var offset: Int
        var code: RejectCode
        var column: String?
        var message: String
        var excerpt: String
        var description: String {
            "\((input as NSString).lastPathComponent):\(line)@\(offset) \(code.rawValue) \(column ?? "-") excerpt=\(excerpt.debugDescription)"
        }
    }

    var tracks: [Track] = []
    var rejects: [Reject] = []

    func scanned(trackID: UnsafeBufferPointer<UInt8>, label: LabelStatus, verdicts: UnsafeBufferPointer<UInt32>) throws {
        let bytes = Array(trackID)
        tracks.append(Track(id: String(decoding: bytes, as: UTF8.self), idBytes: bytes, label: label, verdicts: Array(verdicts)))
    }

    func rejected(input: String, _ reject: RejectedRecord) throws {
        rejects.append(Reject(input: input, line: reject.line, offset: reject.offset, code: reject.code,
                              column: reject.column, message: reject.message, excerpt: reject.excerpt))
    }
}

/// Everything a pipeline run produced, comparable as a whole.
struct ScanTestOutcome: Equatable {
    var rowsRead: Int
    var rowsRejected: Int
    var rowsScanned: Int
    var rejectsByCode: [RejectCode: Int]
    var statistics: RunStatistics
    var inputs: [InputSummary]
    var tracks: [ScanTestSink.Track]
    var rejects: [ScanTestSink.Reject]

    /// A short description of the first difference from `other`, for failure messages.
    func firstDifference(from other: ScanTestOutcome) -> String {
        if rowsRead != other.rowsRead || rowsRejected != other.rowsRejected {
            return "rows read/rejected \(rowsRead)/\(rowsRejected) vs \(other.rowsRead)/\(other.rowsRejected)"
        }
        if rejectsByCode != other.rejectsByCode { return "rejectsByCode \(rejectsByCode) vs \(other.rejectsByCode)" }
        for i in 0..<max(tracks.count, other.tracks.count) {
            let a = i < tracks.count ? tracks[i].description : "(none)"
            let b = i < other.tracks.count ? other.tracks[i].description : "(none)"
            if a != b || (i < tracks.count && i < other.tracks.count && tracks[i] != other.tracks[i]) {
                return "scanned #\(i): \(a) vs \(b)"
            }
        }
        for i in 0..<max(rejects.count, other.rejects.count) {
            let a = i < rejects.count ? rejects[i] : nil
            let b = i < other.rejects.count ? other.rejects[i] : nil
            if a != b {
                return "reject #\(i): \(a.map { "\($0) msg=\($0.message)" } ?? "(none)") vs \(b.map { "\($0) msg=\($0.message)" } ?? "(none)")"
            }
        }
        if statistics != other.statistics { return "statistics differ" }
        if inputs != other.inputs { return "inputs \(inputs) vs \(other.inputs)" }
        return "(no difference)"
    }
}

struct ScanTestTimeout: Error {}

let scanTestWatchdogSeconds = 15.0

/// Runs the library pipeline over `paths` and records everything it reports.
func scanTestRunPipeline(_ paths: [String], policies: [Policy], jobs: Int, chunkBytes: Int,
                         maxRecordBytes: Int = 1 << 20, format: InputFormat? = nil) throws -> ScanTestOutcome {
    var options = InputOptions()
    options.chunkBytes = chunkBytes
    options.maxRecordBytes = maxRecordBytes
    options.format = format
    // A watchdog turns a hung pipeline into a failure instead of a test run that never ends.
    let cancellation = Cancellation()
    let watchdog = DispatchWorkItem { cancellation.cancel(ScanTestTimeout()) }
    DispatchQueue.global().asyncAfter(deadline: .now() + scanTestWatchdogSeconds, execute: watchdog)
    defer { watchdog.cancel() }
    let pipeline = ScanPipeline(paths: paths, policies: policies, options: options, jobs: jobs, cancellation: cancellation)
    let sink = ScanTestSink()
    let outcome: ScanOutcome
    do {
        outcome = try pipeline.run(sink: sink)
    } catch is ScanTestTimeout {
        throw ScanTestFailure("the pipeline hung (no progress for \(Int(scanTestWatchdogSeconds)) s) with jobs \(jobs), chunkBytes \(chunkBytes), after \(sink.tracks.count) scanned and \(sink.rejects.count) rejected records")
    }
    return ScanTestOutcome(
        rowsRead: outcome.rowsRead, rowsRejected: outcome.rowsRejected, rowsScanned: outcome.rowsScanned,
        rejectsByCode: outcome.rejectsByCode, statistics: outcome.statistics, inputs: outcome.inputs,
        tracks: sink.tracks, rejects: sink.rejects)
}

let scanTestJobs = [1, 2, 3, 8]
let scanTestChunkSizes = [16, 17, 31, 64, 100, 1000, 1 << 20]

/// Runs every jobs × chunk size combination and checks that all outcomes equal the first.
/// Returns that outcome.
@discardableResult
func scanTestMatrix(_ paths: [String], policies: [Policy], maxRecordBytes: Int = 1 << 20,
                    format: InputFormat? = nil, jobs: [Int] = scanTestJobs, chunkSizes: [Int] = scanTestChunkSizes,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> ScanTestOutcome {
    var baseline: ScanTestOutcome?
    var baselineName = ""
    for j in jobs {
        for c in chunkSizes {
            let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: j, chunkBytes: c,
                                                  maxRecordBytes: maxRecordBytes, format: format)
            #expect(outcome.rowsRead == outcome.rowsScanned + outcome.rowsRejected, sourceLocation: sourceLocation)
            #expect(outcome.rowsScanned == outcome.tracks.count, "jobs \(j) chunk \(c)", sourceLocation: sourceLocation)
            #expect(outcome.rowsRejected == outcome.rejects.count, "jobs \(j) chunk \(c)", sourceLocation: sourceLocation)
            if let baseline {
                #expect(outcome == baseline,
                        "jobs \(j) chunk \(c) differs from \(baselineName): \(outcome.firstDifference(from: baseline))",
                        sourceLocation: sourceLocation)
            } else {
                baseline = outcome
                baselineName = "jobs \(j) chunk \(c)"
            }
        }
    }
    return baseline!
}

// MARK: - Comparing with the oracle's JSON

func scanTestInt(_ any: Any?) -> Int? { (any as? NSNumber)?.intValue }

/// The oracle's `rejects` list as comparable tuples (input, line, offset, code, column).
func scanTestOracleRejects(_ json: [String: Any]) -> [String] {
    ((json["rejects"] as? [[String: Any]]) ?? []).map { r in
        "\(r["input"] as? String ?? "?"):\(scanTestInt(r["line"]) ?? -1)@\(scanTestInt(r["byte_offset"]) ?? -1) \(r["code"] as? String ?? "?") \(r["column"] as? String ?? "-")"
    }
}

func scanTestOutcomeRejects(_ outcome: ScanTestOutcome) -> [String] {
    outcome.rejects.map { "\($0.input):\($0.line)@\($0.offset) \($0.code.rawValue) \($0.column ?? "-")" }
}

/// The oracle's `verdicts` list (with `--verdicts`) as "policy track label use=verdict/rule ...".
func scanTestOracleVerdicts(_ json: [String: Any]) -> [String] {
    ((json["verdicts"] as? [[String: Any]]) ?? []).map { v in
        let uses = v["uses"] as? [String: [String: String]] ?? [:]
        let parts = AIUse.allCases.map { u in "\(u.name)=\(uses[u.name]?["verdict"] ?? "?")/\(uses[u.name]?["rule_id"] ?? "?")" }
        return "\(v["policy_id"] as? String ?? "?") \(v["track_id"] as? String ?? "?") \(v["label_status"] as? String ?? "?") " + parts.joined(separator: " ")
    }
}

func scanTestOutcomeVerdicts(_ outcome: ScanTestOutcome, policies: [Policy]) -> [String] {
    var lines: [String] = []
    for track in outcome.tracks {
        for (p, policy) in policies.enumerated() {
            let packed = track.verdicts[p]
            let parts = AIUse.allCases.map { u in
                "\(u.name)=\(PolicyEvaluator.verdict(packed, u).name)/\(policy.rules(for: u)[PolicyEvaluator.ruleIndex(packed, u)].id)"
            }
            lines.append("\(policy.id) \(track.id) \(track.label.name) " + parts.joined(separator: " "))
        }
    }
    return lines
}

/// Checks an outcome's statistics against a `policies` object (the oracle's, or the expected
/// file's), group by group, with shares compared exactly as the JSON text writes them.
func scanTestCheckStatistics(_ outcome: ScanTestOutcome, policies: [Policy], against json: ScanTestOrderedJSON,
                             fullGroups: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let byPolicy = json["policies"] else {
        Issue.record("no policies in the expected JSON", sourceLocation: sourceLocation)
        return
    }
    for (p, policy) in policies.enumerated() {
        guard let expected = byPolicy[policy.id], let groups = expected["groups"] else {
            Issue.record("no expected figures for \(policy.id)", sourceLocation: sourceLocation)
            continue
        }
        let headline = Headline(statistics: outcome.statistics, policy: p)
        #expect(headline.independent == expected["independent_exposed_share"]?.double,
                "\(policy.id) independent share", sourceLocation: sourceLocation)
        #expect(headline.labelled == expected["labelled_exposed_share"]?.double,
                "\(policy.id) labelled share", sourceLocation: sourceLocation)
        #expect(headline.gap == expected["exposure_gap"]?.double,
                "\(policy.id) gap", sourceLocation: sourceLocation)
        for group in ReportGroup.allCases {
            guard let g = groups[group.rawValue] else {
                Issue.record("no expected group \(group.rawValue) for \(policy.id)", sourceLocation: sourceLocation)
                continue
            }
            let stats = outcome.statistics.group(policy: p, label: group.labelStatus)
            #expect(stats.tracks == g["tracks"]?.int, "\(policy.id) \(group.rawValue) tracks", sourceLocation: sourceLocation)
            #expect(stats.anyTrainingExposed == g["any_training_exposed"]?.int,
                    "\(policy.id) \(group.rawValue) any_training_exposed", sourceLocation: sourceLocation)
            guard fullGroups else { continue }
            #expect(stats.exposedShare == g["exposed_share"]?.double,
                    "\(policy.id) \(group.rawValue) exposed_share", sourceLocation: sourceLocation)
            for use in AIUse.allCases {
                for verdict in Verdict.allCases {
                    #expect(stats.count(use, verdict) == g["uses"]?[use.name]?[verdict.name]?.int,
                            "\(policy.id) \(group.rawValue) \(use.name) \(verdict.name)", sourceLocation: sourceLocation)
                }
            }
        }
    }
}

/// The outcome's rejects-by-code as the JSON spells it.
func scanTestCodes(_ byCode: [RejectCode: Int]) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: byCode.map { ($0.key.rawValue, $0.value) })
}

func scanTestJSONCodes(_ any: Any?) -> [String: Int] {
    ((any as? [String: Any]) ?? [:]).compactMapValues { scanTestInt($0) }
}

func scanTestOracleRejects(_ doc: ScanTestDoc) -> [String] { scanTestOracleRejects(doc.any) }

func scanTestOracleVerdicts(_ doc: ScanTestDoc) -> [String] { scanTestOracleVerdicts(doc.any) }
