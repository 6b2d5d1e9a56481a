import ArgumentParser
import ConsentryCore
import Foundation

enum DiffFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Tracks whose verdict changed between two runs: counts per use and transition, added and removed tracks.",
        discussion: """
            RUN_A and RUN_B are run ids, or `latest` (the latest completed run) and `previous` \
            (the completed run before it). Both runs must have been scanned with --store all. \
            text and json list the first --limit changes (default 20 and 100); csv lists every \
            change unless --limit is given.
            """)

    @Argument(help: "The earlier run: an id, latest or previous.")
    var runA: String

    @Argument(help: "The later run: an id, latest or previous.")
    var runB: String

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "A policy both runs applied (default: the first of RUN_A's policies that RUN_B also applied).")
    var policy: String?

    @Option(name: .long, help: "text, json or csv.")
    var format: DiffFormat = .text

    @Option(name: .long, help: "How many changed tracks to list.")
    var limit: Int?

    func validate() throws {
        for run in [runA, runB] where run != "latest" && run != "previous" && Int64(run) == nil {
            throw ValidationError("a run is an id, latest or previous; got '\(run)'")
        }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        do {
            let db = try ResultsDatabase(path: database.path, create: false)
            let completed = try db.runs().filter { $0.status == "completed" }.map(\.id)
            func resolve(_ name: String) throws -> Int64 {
                if let id = Int64(name) { return id }
                let index = name == "latest" ? 0 : 1
                guard completed.count > index else {
                    throw StoreError(.runNotFound, "there is no \(name) completed run yet (\(completed.count) completed); `consentry runs` lists them", file: database.path)
                }
                return completed[index]
            }
            let a = try resolve(runA), b = try resolve(runB)
            switch format {
            case .text:
                Output.write(DiffRenderer.text(try db.diff(runA: a, runB: b, policy: policy, limit: limit ?? 20)))
            case .json:
                Output.write(DiffRenderer.json(try db.diff(runA: a, runB: b, policy: policy, limit: limit ?? 100)) + "\n")
            case .csv:
                let out = BufferedOutput()
                out.write(DiffRenderer.csvHeader)
                var rows = 0
                _ = try db.diff(runA: a, runB: b, policy: policy, limit: 0) { change in
                    guard limit.map({ rows < $0 }) ?? true else { return }
                    rows += 1
                    out.write(DiffRenderer.csvRows(change))
                }
                out.flush()
            }
        } catch {
            Failure.report(error)
        }
    }
}

/// Standard output through a 64 KiB buffer, for output of millions of lines.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR { continue }; break }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
