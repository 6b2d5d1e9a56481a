import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import ScanTestSupport
import TestSupport

// `consentry export`: the verdict cursor, the CAWG and IPTC mappings, escaping straight from
// the stored bytes, the atomic output file and every error a run can cause.

/// The 81 combinations of four verdicts, by AIUse.rawValue.
private let everyCombination: [[Verdict]] = (0..<81).map { n in
    (0..<4).map { Verdict(rawValue: UInt8(n / [1, 3, 9, 27][$0] % 3))! }
}

/// Runs `body` with an OutputFile on a fresh file and returns what it wrote.
private func exportTestCapture(_ body: (OutputFile) throws -> Void) throws -> [UInt8] {
    let dir = try TempDir("export")
    let path = dir.file("out")
    let destination = try OutputFile(replacing: path)
    try body(destination)
    try destination.commit()
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func exportTestJSON(_ bytes: [UInt8]) throws -> [UInt8] {
    try exportTestCapture { out in
        try bytes.withUnsafeBufferPointer { try VerdictExporter.writeJSONString($0, to: out) }
    }
}

private func exportTestCSV(_ bytes: [UInt8]) throws -> [UInt8] {
    try exportTestCapture { out in
        var cell: [UInt8] = []
        bytes.withUnsafeBufferPointer { VerdictExporter.appendCSVCell($0, to: &cell) }
        try out.write(cell)
    }
}

/// The files in `dir` (to check no temporary file is left behind).
private func exportTestListing(_ dir: TempDir) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix("results.sqlite") }.sorted()
}

@Suite("export: IPTC plus:DataMining mapping")
struct ExportIPTCMappingTests {
    /// What the Allowed: / Prohibited: sentences of a constraint text list.
    private func lists(_ text: String) -> (allowed: [String], prohibited: [String])? {
        guard text.hasPrefix("Allowed: "), let split = text.range(of: ". Prohibited: "), text.hasSuffix(".") else { return nil }
        let allowed = text[text.index(text.startIndex, offsetBy: 9)..<split.lowerBound]
        let prohibited = text[split.upperBound..<text.index(before: text.endIndex)]
        return (allowed.components(separatedBy: ", "), prohibited.components(separatedBy: ", "))
    }

    @Test("every one of the 81 verdict combinations maps to a value that is true of the verdicts", arguments: everyCombination)
    func everyCombinationIsTrue(verdicts: [Verdict]) throws {
        let mapped = VerdictExporter.dataMining(verdicts)
        let allowed = Set(AIUse.allCases.filter { verdicts[$0.rawValue] != .blocked })
        #expect(mapped.uri == "http://ns.useplus.org/ldf/vocab/" + mapped.value.rawValue)
        // Never more permission than the verdicts give.
        #expect(mapped.value.permits.isSubset(of: allowed), "\(verdicts) → \(mapped.value)")
        if mapped.value == .seeConstraint {
            // Only when no single value says it exactly; then the text says it exactly.
            #expect(!allowed.isEmpty && allowed.count < 4 && allowed != [.aiTraining, .aiInference, .dataMining]
                    && allowed != [.aiInference, .dataMining], "\(verdicts)")
            let text = try #require(mapped.constraint)
            let parsed = try #require(lists(text), "\(text)")
            func expected(_ uses: [AIUse]) -> [String] {
                uses.map { VerdictExporter.dataMiningName($0) + (verdicts[$0.rawValue] == .consented ? " (the artist consented)" : "") }
            }
            #expect(parsed.allowed == expected(AIUse.allCases.filter { allowed.contains($0) }), "\(text)")
            #expect(parsed.prohibited == expected(AIUse.allCases.filter { !allowed.contains($0) }), "\(text)")
        } else {
            // Nor less: an exact value is used whenever there is one.
            #expect(mapped.value.permits == allowed, "\(verdicts) → \(mapped.value)")
            #expect(mapped.constraint == nil)
        }
    }

    @Test("the common combinations", arguments: [
        ([Verdict.exposed, .exposed, .exposed, .exposed], "DMI-ALLOWED"),
        ([.consented, .exposed, .exposed, .exposed], "DMI-ALLOWED"),
        ([.blocked, .blocked, .blocked, .blocked], "DMI-PROHIBITED"),
        ([.blocked, .exposed, .exposed, .exposed], "DMI-PROHIBITED-GENAIMLTRAINING"),
        ([.blocked, .blocked, .exposed, .consented], "DMI-PROHIBITED-AIMLTRAINING"),
        // SoundCloud May 2025, independent track without opt-in.
        ([.blocked, .exposed, .exposed, .blocked], "DMI-PROHIBITED-SEECONSTRAINT"),
        // Only non-generative training blocked: AIMLTRAINING would deny generative training too.
        ([.exposed, .blocked, .exposed, .exposed], "DMI-PROHIBITED-SEECONSTRAINT"),
        // Both trainings and inference blocked: AIMLTRAINING would claim inference is allowed.
        ([.blocked, .blocked, .blocked, .exposed], "DMI-PROHIBITED-SEECONSTRAINT"),
    ])
    func commonCombinations(verdicts: [Verdict], value: String) {
        #expect(VerdictExporter.dataMining(verdicts).value.rawValue == value)
    }

    @Test("the SoundCloud constraint text, with consent named")
    func constraintText() {
        #expect(VerdictExporter.dataMining([.blocked, .exposed, .exposed, .blocked]).constraint
                == "Allowed: non-generative AI/ML training, AI/ML inference. Prohibited: generative AI/ML training, data mining.")
        #expect(VerdictExporter.dataMining([.consented, .blocked, .exposed, .blocked]).constraint
                == "Allowed: generative AI/ML training (the artist consented), AI/ML inference. Prohibited: non-generative AI/ML training, data mining.")
    }

    @Test("only values of the PLUS Data Mining vocabulary are used")
    func vocabulary() {
        let plus: Set<String> = [
            "DMI-UNSPECIFIED", "DMI-ALLOWED", "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING",
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "DMI-PROHIBITED", "DMI-PROHIBITED-SEECONSTRAINT",
            "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
        ]
        let used = Set(everyCombination.map { VerdictExporter.dataMining($0).value.rawValue })
        #expect(used.isSubset(of: plus))
        #expect(used == Set(VerdictExporter.DataMining.allCases.map(\.rawValue)), "every case is reachable")
    }
}

@Suite("export: CAWG entries")
struct ExportCAWGMappingTests {
    @Test func useValues() {
        #expect(VerdictExporter.cawgUse(.exposed) == "allowed")
        #expect(VerdictExporter.cawgUse(.consented) == "allowed")
        #expect(VerdictExporter.cawgUse(.blocked) == "notAllowed")
        #expect(AIUse.allCases.map(VerdictExporter.cawgEntry)
                == ["cawg.ai_generative_training", "cawg.ai_training", "cawg.ai_inference", "cawg.data_mining"])
        #expect(VerdictExporter.cawgLabel == "cawg.training-mining")
    }

    @Test func constraintInfoNamesPolicyRuleAndConsent() {
        #expect(VerdictExporter.constraintInfo(policy: "soundcloud-2025-05", rule: "opt-in", verdict: .consented)
                == "policy soundcloud-2025-05, rule opt-in (consented)")
    }
}

@Suite("export: escaping from the stored bytes")
struct ExportEscapingTests {
    static let samples: [String] = [
        "plain-123", "", "say \"hi\"", #"back\slash"#, "tab\there", "line\nbreak\r\n", "nul\u{0}byte", "\u{1}\u{1f}\u{7f}",
        "Ünïcødé 音楽 🎵", "\u{2028}\u{2029}", "=cmd()", "+1", "-x", "@SUM(A1)", "a,b", "'quoted'", " spaced ",
    ]

    @Test("JSON strings are what JSONWriter writes and parse back to the same text", arguments: samples)
    func json(text: String) throws {
        let written = try exportTestJSON(Array(text.utf8))
        #expect(String(decoding: written, as: UTF8.self) == VerdictExporter.json(text))
        let parsed = try JSONSerialization.jsonObject(with: Data(written), options: .fragmentsAllowed) as? String
        #expect(parsed == text)
    }

    @Test("CSV cells are what CSVCell.escape writes", arguments: samples)
    func csv(text: String) throws {
        #expect(String(decoding: try exportTestCSV(Array(text.utf8)), as: UTF8.self) == CSVCell.escape(text))
    }

    @Test("invalid UTF-8 becomes U+FFFD and stays valid JSON")
    func invalidUTF8() throws {
        let written = try exportTestJSON([0x61, 0xFF, 0x62, 0xC3])
        #expect(String(decoding: written, as: UTF8.self) == "\"a\u{FFFD}b\u{FFFD}\"")
        #expect(String(decoding: try exportTestCSV([0xFF, 0x2C]), as: UTF8.self) == "\"\u{FFFD},\"")
    }

    @Test("writes larger than the buffer and many small ones arrive whole and in order")
    func buffering() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 3 * OutputFile.capacity + 17)
        let written = try exportTestCapture { out in
            for i in 0..<20_000 { try out.write(Array("\(i),".utf8)) }
            try out.write(big)
            try out.write(Array("end".utf8))
        }
        let expected = Array((0..<20_000).map { "\($0)," }.joined().utf8) + big + Array("end".utf8)
        #expect(written == expected)
    }
}

@Suite("export: reading a run's verdicts", .serialized)
struct ExportTests {
    static let catalogue = """
        track_id,label_status,genai_opt_in,ai_opt_out,artist_id
        t-c,independent,false,false,user-1
        t-a,major,false,false,"  Band, The	 "
        t-b,independent,true,false,=cmd()
        "q""uote",unknown,false,true,
        t-aa,licensed,false,false,"Ünïcødé ""q"" 🎵"

        """

    /// The artists of `catalogue` as the scan keeps them (trimmed); nil: none.
    static let artists: [String: String?] = [
        "t-c": "user-1", "t-a": "Band, The", "t-b": "=cmd()", "q\"uote": nil, "t-aa": "Ünïcødé \"q\" 🎵",
    ]

    /// A database with one completed run of `catalogue` under the three built-in policies.
    private func scanned(_ dir: TempDir, store: StoreMode = .all, policies: [Policy]? = nil) throws -> Int64 {
        let input = try dir.write("c.csv", ExportTests.catalogue)
        let report = try scanTestScan(dir.db, inputs: [input],
                                      policies: try policies ?? ["soundcloud-2025-05", "soundcloud-2024-02", "soundcloud-opt-out"].map(BuiltInPolicies.policy),
                                      store: store)
        return report.runID
    }

    private func rows(_ db: String, run: Int64? = nil, policy: String? = nil) throws -> [String] {
        try ResultsDatabase(path: db, create: false).readVerdicts { reader in
            let source = try reader.source(run: run, policy: policy)
            let cursor = try reader.cursor(source)
            var out: [String] = []
            while try cursor.next() {
                let uses = AIUse.allCases.map { "\(cursor.verdict($0)!.name)/\(source.ruleID($0, cursor.ruleIndex($0)) ?? "?")" }
                out.append("\(cursor.trackIDString) \(cursor.labelStatus.name) \(uses.joined(separator: " "))")
            }
            return out
        }
    }

    /// Track id → artist (nil: none) as the cursor gives them for a run.
    private func artists(_ db: String, run: Int64? = nil, policy: String? = nil) throws -> [String: String?] {
        try ResultsDatabase(path: db, create: false).readVerdicts { reader in
            let cursor = try reader.cursor(try reader.source(run: run, policy: policy))
            var out: [String: String?] = [:]
            while try cursor.next() {
                #expect(cursor.withArtist { Array($0) } == cursor.artist)
                out.updateValue(cursor.artist.isEmpty ? nil : cursor.artistString, forKey: cursor.trackIDString)
            }
            return out
        }
    }

    private func storeError(_ body: () throws -> Void) -> StoreError? {
        thrownError(body) as? StoreError
    }

    @Test("rows come in history order (track hash, then id bytes), the same in every run; each run's own rows only")
    func orders() throws {
        let dir = try TempDir("export")
        let first = try scanned(dir)
        let second = try scanned(dir)
        let ids = try rows(dir.db, run: first).map { String($0.split(separator: " ")[0]) }
        let expected = ["t-c", "t-a", "t-b", "q\"uote", "t-aa"].sorted { a, b in
            let ha = TrackHash.of(a), hb = TrackHash.of(b)
            return ha != hb ? ha < hb : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
        #expect(ids == expected)
        #expect(try rows(dir.db, run: first) == rows(dir.db, run: second))
        // The policy picks the rows: t-b opted in to generative training.
        #expect(try rows(dir.db, policy: "soundcloud-2024-02").contains(
            "t-b independent consented/opt-in exposed/default-open exposed/default-open blocked/no-scraping"))
    }

    @Test("a run reads the same after later runs changed, removed and added tracks")
    func earlierRunsStay() throws {
        let dir = try TempDir("export")
        let first = try scanned(dir)
        let before = try rows(dir.db, run: first)
        let changed = try dir.write("changed.csv", "track_id,label_status,genai_opt_in\nt-a,major,\nt-new,independent,yes\nt-c,independent,\n")
        try scanTestScan(dir.db, inputs: [changed],
                         policies: try ["soundcloud-2025-05", "soundcloud-2024-02", "soundcloud-opt-out"].map(BuiltInPolicies.policy))
        #expect(try rows(dir.db, run: first) == before)
        #expect(try rows(dir.db).count == 3)
    }

    @Test("each run gives the artists it read: a changed artist alone begins a new period")
    func artistsPerRun() throws {
        let dir = try TempDir("export")
        let first = try scanned(dir)
        #expect(try artists(dir.db, run: first) == ExportTests.artists)
        // Same verdicts; t-c changes artist, t-b loses its artist, t-a keeps its own.
        let changed = try dir.write("changed.csv", """
            track_id,label_status,genai_opt_in,ai_opt_out,artist_id
            t-c,independent,false,false,user-2
            t-a,major,false,false,"  Band, The	 "
            t-b,independent,true,false,

            """)
        let policies = try ["soundcloud-2025-05", "soundcloud-2024-02", "soundcloud-opt-out"].map(BuiltInPolicies.policy)
        let second = try scanTestScan(dir.db, inputs: [changed], policies: policies).runID
        #expect(try rows(dir.db, run: second) == rows(dir.db, run: first).filter { ["t-c", "t-a", "t-b"].contains($0.split(separator: " ")[0]) })
        #expect(try artists(dir.db, run: second) == ["t-c": "user-2", "t-a": "Band, The", "t-b": nil])
        for policy in policies.map(\.id) {
            #expect(try artists(dir.db, run: first, policy: policy) == ExportTests.artists, "run 1 keeps its artists")
        }
    }

    @Test("the rows match the verdicts_readable view")
    func matchesView() throws {
        let dir = try TempDir("export")
        _ = try scanned(dir)
        for policy in ["soundcloud-2025-05", "soundcloud-opt-out"] {
            let view = try SQLite(dir.db, readOnly: true).rows("""
                SELECT t.track_id, t.label_status, group_concat(t.verdict || '/' || t.rule_id, ' ') AS uses FROM
                (SELECT v.*, u.use_index FROM verdicts_readable v JOIN ai_uses u ON u.name = v.use
                 WHERE v.policy_id = '\(policy)' ORDER BY v.track_id, u.use_index) t
                GROUP BY t.track_id
                """)
            let expected = view.map { "\($0["track_id"]!.text) \($0["label_status"]!.text) \($0["uses"]!.text)" }
            #expect(try rows(dir.db, policy: policy).sorted() == expected.sorted())
        }
    }

    @Test("export writes every format to an atomically replaced file")
    func exportFormats() throws {
        let dir = try TempDir("export")
        let run = try scanned(dir)
        let db = try ResultsDatabase(path: dir.db, create: false)
        let out = dir.file("out.txt")
        try "old".write(toFile: out, atomically: false, encoding: .utf8)
        for format in ExportFormat.allCases {
            let summary = try VerdictExporter.export(database: db, run: run, policy: nil, format: format, outputPath: out)
            #expect(summary == ExportSummary(runID: run, policyID: "soundcloud-2025-05", storeMode: .all, rowsScanned: 5, tracks: 5))
            let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.last == "", "ends with a newline")
            switch format {
            case .cawg, .iptc:
                #expect(lines.count == 6)
                var artists: [String: String?] = [:]
                for line in lines.dropLast() {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    #expect(object["policy_id"] as? String == "soundcloud-2025-05")
                    let id = try #require(object["track_id"] as? String)
                    let artist = try #require(object["artist_id"], "\(line)")
                    artists.updateValue(artist is NSNull ? nil : try #require(artist as? String, "\(line)"), forKey: id)
                    // The key the first exports did not have comes last.
                    let last = artist is NSNull ? "null" : VerdictExporter.json(artist as! String)
                    #expect(line.hasSuffix(#","artist_id":"# + last + "}"), "\(line)")
                }
                #expect(artists == ExportTests.artists)
            case .csv:
                #expect(lines.count == 1 + 5 * 4 + 1)
                #expect(lines[0] == "track_id,policy_id,label_status,use,verdict,rule_id,artist_id")
                #expect(lines.contains("\"q\"\"uote\",soundcloud-2025-05,unknown,ai_generative_training,blocked,default-closed,"))
                // Each track's four rows end with its artist, escaped like every CSV cell.
                for (prefix, cell) in [("t-c,", "user-1"), ("t-a,", "\"Band, The\""), ("t-b,", "'=cmd()"),
                                       ("\"q\"\"uote\",", ""), ("t-aa,", "\"Ünïcødé \"\"q\"\" 🎵\"")] {
                    let rows = lines.filter { $0.hasPrefix(prefix) }
                    #expect(rows.count == 4 && rows.allSatisfy { $0.hasSuffix("," + cell) }, "\(prefix) \(rows)")
                    #expect(rows.allSatisfy { $0.dropLast(cell.count + 1).split(separator: ",").count == 6 }, "\(rows)")
                }
            }
        }
        #expect(try exportTestListing(dir) == ["c.csv", "out.txt"], "no temporary file is left")
    }

    @Test("errors: no run, no completed run, not completed, --store none, pruned, unknown policy")
    func errors() throws {
        let dir = try TempDir("export")
        _ = try ResultsDatabase(path: dir.db, create: true)
        #expect(storeError { _ = try rows(dir.db) }?.message.contains("no completed run") == true)
        let run = try scanned(dir)
        #expect(storeError { _ = try rows(dir.db, run: 99) }?.kind == .runNotFound)
        #expect(storeError { _ = try rows(dir.db, run: 99) }?.message.contains("there is no run 99") == true)

        let unknown = storeError { _ = try rows(dir.db, policy: "acme-2030") }
        #expect(unknown?.message.contains("did not apply policy 'acme-2030'") == true)
        #expect(unknown?.message.contains("soundcloud-2025-05, soundcloud-2024-02, soundcloud-opt-out") == true, "\(String(describing: unknown))")
        #expect(unknown?.file == dir.db)

        let none = try scanned(dir, store: .none)
        let noneError = storeError { _ = try rows(dir.db, run: none) }
        #expect(noneError?.message.contains("--store none") == true && noneError?.description.contains("rescan with --store all") == true,
                "\(String(describing: noneError))")
        #expect(storeError { _ = try rows(dir.db) }?.message.contains("(the latest completed run) was scanned with --store none") == true)

        try SQLite(dir.db).execute("UPDATE runs SET pruned_at = '2026-11-30T00:00:00Z' WHERE id = \(run)")
        let pruned = storeError { _ = try rows(dir.db, run: run) }
        #expect(pruned?.message.contains("deleted by `consentry prune`") == true, "\(String(describing: pruned))")

        let db = try ResultsDatabase(path: dir.db, create: false)
        let failed = try db.startRun(toolVersion: "test", storeMode: .all, commandLine: "test")
        let running = storeError { _ = try rows(dir.db, run: failed) }
        #expect(running?.message.contains("is still running") == true, "\(String(describing: running))")
        try db.failRun(failed, error: "interrupted")
        let failure = storeError { _ = try rows(dir.db, run: failed) }
        #expect(failure?.message.contains("failed (interrupted)") == true, "\(String(describing: failure))")
    }

    @Test("an error leaves --output untouched and no temporary file")
    func errorLeavesOutput() throws {
        let dir = try TempDir("export")
        _ = try scanned(dir)
        let db = try ResultsDatabase(path: dir.db, create: false)
        let out = dir.file("out.jsonl")
        try "previous".write(toFile: out, atomically: false, encoding: .utf8)
        let error = thrownError {
            try VerdictExporter.export(database: db, run: nil, policy: "nope", format: .cawg, outputPath: out)
        }
        #expect(error is StoreError)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "previous")
        #expect(try exportTestListing(dir) == ["c.csv", "out.jsonl"])
        let directory = thrownError {
            try VerdictExporter.export(database: db, run: nil, policy: nil, format: .cawg, outputPath: dir.path)
        } as? OutputError
        #expect(directory?.kind == .badTarget)
        #expect(directory?.message.contains("directory") == true)
        let missing = thrownError {
            try VerdictExporter.export(database: db, run: nil, policy: nil, format: .cawg, outputPath: dir.file("no/such/dir/out"))
        } as? OutputError
        #expect(missing?.description.contains("check that the directory exists") == true, "\(String(describing: missing))")
        let database = thrownError {
            try VerdictExporter.export(database: db, run: nil, policy: nil, format: .cawg, outputPath: dir.db)
        } as? OutputError
        #expect(database?.kind == .badTarget)
        #expect(database?.message.contains("this is the results database") == true, "\(String(describing: database))")
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM runs") == 1)
    }

    @Test("a cancellation stops the export and removes the temporary file")
    func cancellation() throws {
        let dir = try TempDir("export")
        var csv = "track_id,label_status\n"
        for i in 0..<10_000 { csv += "id-\(i),independent\n" }
        let input = try dir.write("c.csv", csv)
        try scanTestScan(dir.db, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        let cancellation = Cancellation()
        cancellation.cancel(ScanInterrupted(signal: SIGINT))
        let out = dir.file("out.csv")
        let error = thrownError {
            try VerdictExporter.export(database: try ResultsDatabase(path: dir.db, create: false), run: nil, policy: nil,
                                       format: .csv, outputPath: out, cancellation: cancellation)
        }
        #expect((error as? ScanInterrupted)?.signal == SIGINT)
        #expect(try exportTestListing(dir) == ["c.csv"])
    }

    @Test("a cancellation that arrives after the last rows (a small run) still leaves no file")
    func cancellationOfASmallRun() throws {
        let dir = try TempDir("export")
        _ = try scanned(dir)
        let cancellation = Cancellation()
        cancellation.cancel(ScanInterrupted(signal: SIGTERM))
        let error = thrownError {
            try VerdictExporter.export(database: try ResultsDatabase(path: dir.db, create: false), run: nil, policy: nil,
                                       format: .cawg, outputPath: dir.file("out.jsonl"), cancellation: cancellation)
        }
        #expect((error as? ScanInterrupted)?.signal == SIGTERM)
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.jsonl")))
        #expect(try exportTestListing(dir).allSatisfy { !$0.hasSuffix(".tmp") })
    }

    @Test("a damaged history state is an error that names a track")
    func damagedRow() throws {
        let dir = try TempDir("export")
        _ = try scanned(dir)
        // Verdict code 3 for data_mining, then a rule number the policy does not have, in the
        // state t-b's combination holds under the first policy.
        for damage in ["state | (3 << 47)", "(state & ~(8191 << 49)) | (8000 << 49)"] {
            try SQLite(dir.db).execute("""
                UPDATE history_combos SET state = \(damage)
                WHERE policy_no = (SELECT policy_no FROM history_policies WHERE policy_id = 'soundcloud-2025-05')
                  AND combo = (SELECT json_extract(e.value, '$[1]') FROM history_packs p, json_each(p.entries) e
                               WHERE json_extract(e.value, '$[0]') = 't-b')
                """)
            for format in ExportFormat.allCases {
                let error = thrownError {
                    try VerdictExporter.export(database: try ResultsDatabase(path: dir.db, create: false), run: nil,
                                               policy: nil, format: format, outputPath: dir.file("out"))
                } as? StoreError
                #expect(error?.message.contains("track '") == true, "\(format): \(String(describing: error))")
            }
        }
        #expect(try exportTestListing(dir) == ["c.csv"])
    }

    @Test("--store exposed runs export what was kept")
    func storeExposed() throws {
        let dir = try TempDir("export")
        let run = try scanned(dir, store: .exposed, policies: [try scanTestStrictPolicy()])
        let summary = try VerdictExporter.export(database: try ResultsDatabase(path: dir.db, create: false), run: run,
                                                 policy: nil, format: .iptc, outputPath: dir.file("out"))
        #expect(summary.storeMode == .exposed)
        #expect(summary.rowsScanned == 5)
        #expect(summary.tracks == (try SQLite(dir.db, readOnly: true).int("SELECT count(DISTINCT track_id) FROM verdicts_readable WHERE run_id = \(run)")))
        #expect(summary.tracks < 5)
    }
}
