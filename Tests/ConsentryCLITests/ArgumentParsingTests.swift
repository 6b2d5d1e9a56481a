import ArgumentParser
import ConsentryModel
import ConsentryStore
import Foundation
import Testing
@testable import ConsentryCLI

/// Parses a command line the way `consentry` does (validation included), without running it.
private func parse<Command: ParsableCommand>(_ arguments: [String], as: Command.Type = Command.self,
                                             sourceLocation: SourceLocation = #_sourceLocation) throws -> Command {
    let command = try Consentry.parseAsRoot(arguments)
    return try #require(command as? Command, "\(arguments) parsed as \(type(of: command))", sourceLocation: sourceLocation)
}

/// The error parsing `arguments` throws, with the message and exit code the argument parser
/// would print and exit with; nil when the arguments are accepted.
private func usageError(_ arguments: [String]) -> (message: String, exitCode: Int32)? {
    do {
        _ = try Consentry.parseAsRoot(arguments)
        return nil
    } catch {
        return (Consentry.message(for: error), Consentry.exitCode(for: error).rawValue)
    }
}

/// Checks that `arguments` are refused as a usage error (exit 64) whose message contains `text`.
private func expectRefused(_ arguments: [String], _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error = usageError(arguments) else {
        Issue.record("\(arguments) were accepted", sourceLocation: sourceLocation)
        return
    }
    #expect(error.exitCode == 64, "\(arguments): exit \(error.exitCode)", sourceLocation: sourceLocation)
    #expect(error.message.contains(text), "\(arguments): \(error.message)", sourceLocation: sourceLocation)
}

@Suite("Argument parsing: scan")
struct ScanArgumentTests {
    @Test("defaults: store all, text format, ',' delimiter, no column mapping, no thresholds")
    func defaults() throws {
        let scan = try parse(["scan", "x.csv"], as: ScanCommand.self)
        #expect(scan.inputs == ["x.csv"])
        #expect(scan.store == .all)
        #expect(scan.output.format == .text)
        #expect(scan.delimiter == ",")
        #expect(try scan.delimiterByte() == UInt8(ascii: ","))
        #expect(try scan.columnOverrides().isEmpty)
        #expect(scan.policy.isEmpty)
        #expect(scan.inputFormat == .auto)
        #expect(scan.jobs == nil)
        #expect(scan.maxRecordBytes == 1 << 20)
        #expect(scan.chunkBytes == 1 << 20)
        #expect(scan.output.maxRejectRate == nil)
        #expect(scan.output.maxExposedShare == nil)
        #expect(scan.output.metricsFile == nil)
        #expect(scan.output.progress == .auto)
        #expect(!scan.output.quiet)
        #expect(scan.waitLock == 0)
        #expect(scan.logging.logLevel == .warning)
        #expect(scan.database.db == nil)
    }

    @Test("every option is read")
    func options() throws {
        let scan = try parse([
            "scan", "a.csv", "dir", "-", "--db", "r.sqlite", "--policy", "soundcloud-opt-out", "--policy", "p.yaml",
            "--store", "exposed", "--input-format", "jsonl", "--jobs", "3", "--max-record-bytes", "300",
            "--max-reject-rate", "0.5", "--max-exposed-share", "1", "--format", "json", "--metrics-file", "m.prom",
            "--progress", "never", "--quiet", "--wait-lock", "2.5", "--log-level", "info", "--chunk-bytes", "16",
        ], as: ScanCommand.self)
        #expect(scan.inputs == ["a.csv", "dir", "-"])
        #expect(scan.database.db == "r.sqlite")
        #expect(scan.database.path == "r.sqlite")
        #expect(scan.policy == ["soundcloud-opt-out", "p.yaml"])
        #expect(scan.store == .exposed)
        #expect(scan.inputFormat == .jsonl)
        #expect(scan.jobs == 3)
        #expect(scan.maxRecordBytes == 300)
        #expect(scan.output.maxRejectRate == 0.5)
        #expect(scan.output.maxExposedShare == 1)
        #expect(scan.output.format == .json)
        #expect(scan.output.metricsFile == "m.prom")
        #expect(scan.output.progress == .never)
        #expect(scan.output.quiet)
        #expect(scan.waitLock == 2.5)
        #expect(scan.logging.logLevel == .info)
        #expect(scan.chunkBytes == 16)
    }

    @Test("--store takes all, exposed or none", arguments: StoreMode.allCases)
    func storeModes(mode: StoreMode) throws {
        #expect(try parse(["scan", "x.csv", "--store", mode.rawValue], as: ScanCommand.self).store == mode)
    }

    @Test("--delimiter: one character, or \\t and tab for a tab", arguments: [
        (#"\t"#, UInt8(ascii: "\t")), ("tab", UInt8(ascii: "\t")), ("\t", UInt8(ascii: "\t")),
        (";", UInt8(ascii: ";")), ("|", UInt8(ascii: "|")), (",", UInt8(ascii: ",")),
    ])
    func delimiter(text: String, byte: UInt8) throws {
        let scan = try parse(["scan", "x.csv", "--delimiter", text], as: ScanCommand.self)
        #expect(try scan.delimiterByte() == byte)
    }

    @Test("--delimiter refuses several characters, a quote, a line break and non-ASCII", arguments: [
        ";;", "\"", "\n", "\r", "", "é", "ab",
    ])
    func badDelimiter(text: String) {
        expectRefused(["scan", "x.csv", "--delimiter", text], "--delimiter must be one ASCII character")
    }

    @Test("--column maps fields to other names, repeatable; the last mapping of a field wins")
    func columns() throws {
        let one = try parse(["scan", "x.csv", "--column", "track_id=isrc"], as: ScanCommand.self)
        #expect(try one.columnOverrides() == [.trackID: "isrc"])
        let several = try parse(["scan", "x.csv", "--column", "track_id=isrc", "--column", "label_status=Label Status",
                                 "--column", "genai_opt_in=a=b", "--column", "track_id=ISRC"], as: ScanCommand.self)
        #expect(try several.columnOverrides() == [.trackID: "ISRC", .labelStatus: "Label Status", .genaiOptIn: "a=b"])
    }

    @Test("--column refuses a mapping without FIELD=NAME or with an unknown field")
    func badColumns() {
        for bad in ["track_id", "track_id=", "=isrc", ""] {
            expectRefused(["scan", "x.csv", "--column", bad], "--column takes FIELD=NAME")
        }
        expectRefused(["scan", "x.csv", "--column", "isrc=track_id"], "--column: unknown field 'isrc'")
        // The message lists the fields.
        let message = usageError(["scan", "x.csv", "--column", "nope=x"])?.message ?? ""
        for field in RecordField.allCases {
            #expect(message.contains(field.name), "\(field.name) is not listed: \(message)")
        }
    }

    @Test("--column that gives a required field's own column away without mapping that field is refused; an optional field just reads nothing")
    func displacedColumns() throws {
        expectRefused(["scan", "x.csv", "--column", "track_id=label_status"],
                      "--column track_id=label_status gives label_status's own column to track_id")
        expectRefused(["scan", "x.jsonl", "--column", "label=Track_ID"], "--column label=Track_ID gives track_id's own column to label")
        // Mapped as well, or not required (a label map gives the status; artist_id is optional): accepted.
        _ = try parse(["scan", "x.csv", "--column", "track_id=label_status", "--column", "label_status=status"], as: ScanCommand.self)
        _ = try parse(["scan", "x.csv", "--column", "track_id=label_status", "--label-map", "m.csv"], as: ScanCommand.self)
        _ = try parse(["scan", "x.csv", "--column", "label=artist_id"], as: ScanCommand.self)
    }

    @Test("numeric options are range-checked")
    func ranges() {
        expectRefused(["scan", "x.csv", "--jobs", "0"], "--jobs must be at least 1")
        expectRefused(["scan", "x.csv", "--jobs=-2"], "--jobs must be at least 1")
        expectRefused(["scan", "x.csv", "--max-record-bytes", "0"], "--max-record-bytes must be at least 1")
        expectRefused(["scan", "x.csv", "--max-record-bytes", "1073741825"], "--max-record-bytes must be at most 1073741824 (1 GiB)")
        expectRefused(["scan", "x.csv", "--max-record-bytes", "3000000000"], "--max-record-bytes must be at most 1073741824 (1 GiB)")
        expectRefused(["scan", "x.csv", "--chunk-bytes", "15"], "--chunk-bytes must be at least 16")
        expectRefused(["scan", "x.csv", "--chunk-bytes", "268435457"], "--chunk-bytes must be at most 268435456 (256 MiB)")
        expectRefused(["scan", "x.csv", "--chunk-bytes", "9223372036854775807"], "--chunk-bytes must be at most 268435456 (256 MiB)")
        expectRefused(["scan", "x.csv", "--max-reject-rate", "2"], "--max-reject-rate must be between 0 and 1")
        expectRefused(["scan", "x.csv", "--max-reject-rate=-0.1"], "--max-reject-rate must be between 0 and 1")
        expectRefused(["scan", "x.csv", "--max-exposed-share", "1.5"], "--max-exposed-share must be between 0 and 1")
        expectRefused(["scan", "x.csv", "--wait-lock=-1"], "--wait-lock must be a number of seconds, 0 or more")
        expectRefused(["scan", "x.csv", "--wait-lock", "nan"], "--wait-lock must be a number of seconds, 0 or more")
        // The limits themselves are accepted.
        for ok in [["--jobs", "1"], ["--max-record-bytes", "1"], ["--max-record-bytes", "1073741824"], ["--chunk-bytes", "16"],
                   ["--chunk-bytes", "268435456"],
                   ["--max-reject-rate", "0"], ["--max-reject-rate", "1"], ["--max-exposed-share", "0"], ["--wait-lock", "0"]] {
            #expect(usageError(["scan", "x.csv"] + ok) == nil, "\(ok)")
        }
    }

    @Test("no input, an unknown option or an unknown choice is a usage error")
    func usage() {
        expectRefused(["scan"], "name at least one input")
        expectRefused(["scan", "x.csv", "--store", "some"], "some")
        expectRefused(["scan", "x.csv", "--format", "yaml"], "yaml")
        expectRefused(["scan", "x.csv", "--input-format", "tsv"], "tsv")
        expectRefused(["scan", "x.csv", "--jobs", "many"], "many")
        expectRefused(["scan", "x.csv", "--no-such-option"], "--no-such-option")
        expectRefused(["frobnicate"], "frobnicate")
    }
}

@Suite("Argument parsing: the reading commands")
struct ReadingCommandArgumentTests {
    @Test("report: --run is latest by default, or previous, or a run id; text by default")
    func report() throws {
        let plain = try parse(["report"], as: ReportCommand.self)
        #expect(plain.runSelection == .latest)
        #expect(plain.format == .text)
        #expect(plain.output == nil)
        #expect(try parse(["report", "--run", "previous"], as: ReportCommand.self).runSelection == .previous)
        #expect(try parse(["report", "--run", "latest"], as: ReportCommand.self).runSelection == .latest)
        #expect(try parse(["report", "--run", "42"], as: ReportCommand.self).runSelection == .id(42))
        let html = try parse(["report", "--format", "html", "--output", "r.html", "--db", "x.sqlite"], as: ReportCommand.self)
        #expect(html.format == .html)
        #expect(html.output == "r.html")
        #expect(html.database.path == "x.sqlite")
        for bad in ["0", "-1", "last", "1.5"] {
            expectRefused(["report", "--run=\(bad)"], bad)
        }
    }

    @Test("diff: two runs, each an id, latest or previous; --limit is 0 or more")
    func diff() throws {
        let named = try parse(["diff", "latest", "previous"], as: DiffCommand.self)
        #expect(named.runA == .latest)
        #expect(named.runB == .previous)
        #expect(named.format == .text)
        #expect(named.limit == nil)
        #expect(named.policy == nil)
        let ids = try parse(["diff", "3", "7", "--format", "csv", "--limit", "0", "--policy", "soundcloud-opt-out"],
                            as: DiffCommand.self)
        #expect(ids.runA == .id(3))
        #expect(ids.runB == .id(7))
        #expect(ids.format == .csv)
        #expect(ids.limit == 0)
        #expect(ids.policy == "soundcloud-opt-out")
        expectRefused(["diff", "latest"], "run-b")
        expectRefused(["diff", "latest", "newest"], "newest")
        expectRefused(["diff", "1", "2", "--limit=-1"], "--limit must be 0 or more")
    }

    @Test("trend, rejects, runs, export and prune check their options")
    func others() throws {
        let trend = try parse(["trend"], as: TrendCommand.self)
        #expect(trend.policy == "soundcloud-2025-05")
        #expect(trend.last == 30)
        #expect(trend.format == .text)
        expectRefused(["trend", "--last", "0"], "--last must be at least 1")

        let rejects = try parse(["rejects", "--code", "invalid_boolean", "--limit", "5", "--run", "previous"],
                                as: RejectsCommand.self)
        #expect(rejects.code == "invalid_boolean")
        #expect(rejects.limit == 5)
        #expect(rejects.runSelection == .previous)
        expectRefused(["rejects", "--code", "bogus"], "unknown reject code 'bogus'")
        expectRefused(["rejects", "--limit", "0"], "--limit must be at least 1")

        _ = try parse(["runs", "--db", "r.sqlite"], as: RunsCommand.self)

        let export = try parse(["export", "--format", "iptc"], as: ExportCommand.self)
        #expect(export.format == .iptc)
        #expect(export.runSelection == .latest)
        #expect(export.output == nil)
        expectRefused(["export"], "--format")
        expectRefused(["export", "--format", "cawg", "--output", ""], "--output needs a file path")

        let prune = try parse(["prune", "--keep", "3", "--dry-run"], as: PruneCommand.self)
        #expect(prune.keep == 3)
        #expect(prune.dryRun)
        #expect(prune.waitLock == 0)
        expectRefused(["prune"], "--keep")
        expectRefused(["prune", "--keep=-1"], "--keep must be 0 or more")
        expectRefused(["prune", "--keep", "1", "--wait-lock=-3"], "--wait-lock must be a number of seconds, 0 or more")
        expectRefused(["merge", "d", "--wait-lock", "nan"], "--wait-lock must be a number of seconds, 0 or more")
    }

    @Test("the database is --db, else a non-empty CONSENTRY_DB, else ./consentry.sqlite")
    func databasePath() throws {
        #expect(DatabaseOptions.path(db: "a.sqlite", environment: ["CONSENTRY_DB": "b.sqlite"]) == "a.sqlite")
        #expect(DatabaseOptions.path(db: nil, environment: ["CONSENTRY_DB": "b.sqlite"]) == "b.sqlite")
        #expect(DatabaseOptions.path(db: nil, environment: ["CONSENTRY_DB": ""]) == "consentry.sqlite")
        #expect(DatabaseOptions.path(db: nil, environment: [:]) == "consentry.sqlite")
        // Every database command takes --db.
        for command in [["scan", "x.csv"], ["report"], ["runs"], ["trend"], ["diff", "1", "2"], ["export", "--format", "csv"],
                        ["rejects"], ["prune", "--keep", "1"]] {
            #expect(usageError(command + ["--db", "elsewhere.sqlite"]) == nil, "\(command)")
        }
    }
}

@Suite("Argument parsing: policy")
struct PolicyArgumentTests {
    @Test("policy list, show ID, check FILE")
    func subcommands() throws {
        _ = try parse(["policy", "list"], as: PolicyCommand.List.self)
        #expect(try parse(["policy", "show", "soundcloud-opt-out"], as: PolicyCommand.Show.self).id == "soundcloud-opt-out")
        #expect(try parse(["policy", "check", "p.yaml"], as: PolicyCommand.Check.self).file == "p.yaml")
        expectRefused(["policy", "show"], "id")
        expectRefused(["policy", "check"], "file")
        expectRefused(["policy", "lint", "p.yaml"], "lint")
    }

    @Test("policy test: files and/or --built-in, --require-coverage")
    func test() throws {
        let files = try parse(["policy", "test", "a.test.yaml", "b.test.yaml"], as: PolicyCommand.Test.self)
        #expect(files.files == ["a.test.yaml", "b.test.yaml"])
        #expect(!files.builtIn)
        #expect(!files.requireCoverage)
        let builtIn = try parse(["policy", "test", "--built-in", "--require-coverage"], as: PolicyCommand.Test.self)
        #expect(builtIn.files.isEmpty)
        #expect(builtIn.builtIn)
        #expect(builtIn.requireCoverage)
        expectRefused(["policy", "test"], "give one or more policy test files, or --built-in")
    }
}

@Suite("Help and version")
struct HelpTests {
    @Test("--version prints the version and exits 0; --help is accepted and the help lists every command")
    func helpAndVersion() {
        let version = usageError(["--version"])
        #expect(version?.exitCode == 0)
        // The version, then the commit it was built from: 40 hex digits (7 to 40 when given
        // as CONSENTRY_COMMIT), or "unknown" outside a git checkout.
        let line = version?.message ?? ""
        #expect(line.wholeMatch(of: /(\S+) \(commit ([0-9a-f]{7,40}|unknown)(, modified)?\)/)?.output.1 == ConsentryVersion.current[...],
                "\(line)")
        // --help parses (as the argument parser's help command, or a clean exit).
        let help = usageError(["--help"])
        #expect(help == nil || help?.exitCode == 0, "\(String(describing: help))")
        let text = Consentry.helpMessage()
        for command in ["scan", "report", "runs", "trend", "diff", "export", "rejects", "prune", "policy"] {
            #expect(text.contains(command), "\(command) is missing from --help")
        }
        #expect(Consentry.helpMessage(for: ScanCommand.self).contains("--max-reject-rate"))
    }
}
