import Foundation
import Glibc
import ConsentryModel
import ConsentryStore

/// The formats of `consentry export`.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// JSON lines: one CAWG training-and-data-mining assertion per track.
    case cawg
    /// JSON lines: the IPTC / PLUS `plus:DataMining` value per track.
    case iptc
    /// CSV: one row per track and use.
    case csv
}

/// What an export wrote.
public struct ExportSummary: Sendable, Equatable {
    public var runID: Int64
    public var policyID: String
    public var storeMode: StoreMode
    public var rowsScanned: Int
    /// Tracks written (CSV has four rows per track).
    public var tracks: Int
}

/// Streams a run's per-track verdicts under one policy as CAWG assertions, IPTC Data Mining
/// values or CSV (`consentry export`).
///
/// Rows go from a ``VerdictCursor`` through precomputed byte fragments (every combination of
/// label status, use, verdict and rule is rendered once, before the first row) into a 64 KiB
/// buffer, so memory stays flat and the cost per track is a few table lookups and copies.
public enum VerdictExporter {
    /// Exports to `outputPath` (written to a temporary file beside it and renamed over it at
    /// the end, so no half-written file is ever left there), or to standard output when nil.
    ///
    /// - Parameters:
    ///   - run: a run id, or nil for the latest completed run.
    ///   - policy: one of the run's policy ids, or nil for its first.
    ///   - cancellation: checked every few thousand tracks; its error is thrown.
    public static func export(database: ResultsDatabase, run: Int64?, policy: String?, format: ExportFormat,
                              outputPath: String?, cancellation: Cancellation = Cancellation()) throws -> ExportSummary {
        let destination = try outputPath.map { try OutputFile(replacing: $0, protecting: database.path) } ?? OutputFile.standardOutput()
        do {
            let summary = try database.readVerdicts { reader in
                let source = try reader.source(run: run, policy: policy)
                let cursor = try reader.cursor(source)
                let tracks = try write(cursor, format: format, to: destination, cancellation: cancellation)
                return ExportSummary(runID: source.runID, policyID: source.policyID, storeMode: source.storeMode,
                                     rowsScanned: source.rowsScanned, tracks: tracks)
            }
            // A signal during the last rows or before the rename must not leave a file behind.
            if let error = cancellation.error { throw error }
            try destination.commit()
            return summary
        } catch {
            destination.discard()
            throw error
        }
    }

    /// Writes every row of `cursor` in `format`; returns the number of tracks.
    static func write(_ cursor: VerdictCursor, format: ExportFormat, to out: OutputFile,
                      cancellation: Cancellation) throws -> Int {
        let tables = Tables(cursor.source, format: format)
        if format == .csv { try out.write(Array((csvHeader + "\n").utf8)) }
        // CSV writes a track's id and artist on each of its four rows: they are escaped once
        // per track into these buffers (kept between tracks, so nothing is allocated per row).
        var idCell: [UInt8] = []
        var rowEnd: [UInt8] = []
        var tracks = 0
        while try cursor.next() {
            let label = Int(cursor.labelStatus.rawValue)
            let packed = cursor.packed
            switch format {
            case .cawg:
                try out.write(tables.prefix)
                try cursor.withTrackID { try writeJSONString($0, to: out) }
                try out.write(tables.middle[label])
                for use in 0..<4 {
                    if use > 0 { try out.write(comma) }
                    try out.write(try tables.fragment(use, packed, cursor))
                }
                try out.write(tables.suffix)
                try writeArtist(cursor, tables, to: out)
            case .iptc:
                try out.write(tables.prefix)
                try cursor.withTrackID { try writeJSONString($0, to: out) }
                try out.write(tables.middle[label])
                var combination = 0
                for use in (0..<4).reversed() {
                    combination = combination * 3 + Int(try tables.verdict(use, packed, cursor).rawValue)
                }
                try out.write(tables.combinations[combination])
                try writeArtist(cursor, tables, to: out)
            case .csv:
                idCell.removeAll(keepingCapacity: true)
                cursor.withTrackID { appendCSVCell($0, to: &idCell) }
                rowEnd.removeAll(keepingCapacity: true)
                rowEnd.append(UInt8(ascii: ","))
                cursor.withArtist { appendCSVCell($0, to: &rowEnd) }
                rowEnd.append(UInt8(ascii: "\n"))
                for use in 0..<4 {
                    try out.write(idCell)
                    try out.write(tables.middle[label])
                    try out.write(try tables.fragment(use, packed, cursor))
                    try out.write(rowEnd)
                }
            }
            tracks += 1
            if tracks & 4095 == 0, let error = cancellation.error { throw error }
        }
        return tracks
    }

    /// The CSV header: the columns before `artist_id` are those of the first exports, in
    /// their order, so tools that read columns by position keep working.
    static let csvHeader = "track_id,policy_id,label_status,use,verdict,rule_id,artist_id"

    /// Ends a JSON line with its `artist_id` key: the artist as a string, or null for a
    /// track without one (as a JSONL input's null means an empty field).
    @inline(__always)
    private static func writeArtist(_ cursor: VerdictCursor, _ tables: Tables, to out: OutputFile) throws {
        try out.write(tables.artistKey)
        try cursor.withArtist { artist in
            if artist.isEmpty { try out.write(tables.null) } else { try writeJSONString(artist, to: out) }
        }
        try out.write(tables.end)
    }

    private static let comma: [UInt8] = [UInt8(ascii: ",")]

    // MARK: - Per-run tables

    /// Every output fragment of one run and policy, rendered before the first row.
    struct Tables {
        let source: VerdictSource
        /// Before the track id (JSON formats).
        var prefix: [UInt8] = []
        /// After the track id, by label status.
        var middle: [[UInt8]] = []
        /// By use and packed byte (verdict and rule index); nil for a code no scan writes.
        var fragments: [[[UInt8]?]] = []
        /// IPTC: the rest of the line by verdict combination (Σ verdict(use) · 3^use).
        var combinations: [[UInt8]] = []
        var suffix: [UInt8] = []
        /// JSON formats: the last key, appended after the keys of the first exports (a reader
        /// that expects those in order still finds them), and the line's end.
        let artistKey: [UInt8] = Array(#","artist_id":"#.utf8)
        let null: [UInt8] = Array("null".utf8)
        let end: [UInt8] = Array("}\n".utf8)

        init(_ source: VerdictSource, format: ExportFormat) {
            self.source = source
            let policy = json(source.policyID)
            switch format {
            case .cawg:
                prefix = Array(#"{"track_id":"#.utf8)
                middle = LabelStatus.allCases.map {
                    Array(#","label_status":"\#($0.name)","policy_id":\#(policy),"assertion":{"label":"\#(VerdictExporter.cawgLabel)","data":{"entries":{"#.utf8)
                }
                fragments = Tables.byPackedByte(source) { use, verdict, rule in
                    let info = VerdictExporter.constraintInfo(policy: source.policyID, rule: rule, verdict: verdict)
                    return #"\#(json(VerdictExporter.cawgEntry(use))):{"use":"\#(VerdictExporter.cawgUse(verdict))","constraint_info":\#(json(info))}"#
                }
                // The object stays open for `artist_id`.
                suffix = Array("}}}".utf8)
            case .iptc:
                prefix = Array(#"{"track_id":"#.utf8)
                middle = LabelStatus.allCases.map { Array(#","label_status":"\#($0.name)","policy_id":\#(policy),"#.utf8) }
                // The rule is not part of the IPTC value; the table only tells valid codes apart.
                fragments = Tables.byPackedByte(source) { _, _, _ in "" }
                combinations = (0..<81).map { combination in
                    let verdicts = (0..<4).map { Verdict(rawValue: UInt8(combination / [1, 3, 9, 27][$0] % 3))! }
                    let value = VerdictExporter.dataMining(verdicts)
                    return Array(#""plus:DataMining":"\#(value.uri)","plus:OtherConstraints":\#(value.constraint.map(json) ?? "null")"#.utf8)
                }
            case .csv:
                let policyCell = CSVCell.escape(source.policyID)
                middle = LabelStatus.allCases.map { Array(",\(policyCell),\($0.name)".utf8) }
                // The row goes on with `artist_id`.
                fragments = Tables.byPackedByte(source) { use, verdict, rule in
                    ",\(use.name),\(verdict.name),\(CSVCell.escape(rule))"
                }
            }
        }

        /// One fragment per use and packed byte whose verdict code and rule index are valid.
        static func byPackedByte(_ source: VerdictSource, _ render: (AIUse, Verdict, String) -> String) -> [[[UInt8]?]] {
            AIUse.allCases.map { use in
                (0..<256).map { byte -> [UInt8]? in
                    guard let verdict = Verdict(rawValue: UInt8(byte & 3)), let rule = source.ruleID(use, byte >> 2) else { return nil }
                    return Array(render(use, verdict, rule).utf8)
                }
            }
        }

        @inline(__always)
        func fragment(_ use: Int, _ packed: UInt32, _ cursor: VerdictCursor) throws -> [UInt8] {
            guard let fragment = fragments[use][Int((packed >> (8 * UInt32(use))) & 0xFF)] else { throw damaged(use, packed, cursor) }
            return fragment
        }

        @inline(__always)
        func verdict(_ use: Int, _ packed: UInt32, _ cursor: VerdictCursor) throws -> Verdict {
            let byte = Int((packed >> (8 * UInt32(use))) & 0xFF)
            guard fragments[use][byte] != nil, let verdict = Verdict(rawValue: UInt8(byte & 3)) else { throw damaged(use, packed, cursor) }
            return verdict
        }

        func damaged(_ use: Int, _ packed: UInt32, _ cursor: VerdictCursor) -> StoreError {
            let byte = (packed >> (8 * UInt32(use))) & 0xFF
            return StoreError(
                .other,
                "run \(source.runID) has a verdict row that does not match its policy \(source.policyID) (track '\(cursor.trackIDString)', \(AIUse(rawValue: use)!.name): verdict code \(byte & 3), rule index \(byte >> 2)); the database was changed by another tool",
                remedy: "rescan into another --db", file: cursor.path)
        }
    }

    static func json(_ text: String) -> String {
        var out = ""
        JSONWriter.escape(text, into: &out)
        return out
    }

    // MARK: - CAWG

    /// The assertion label of the CAWG Training and Data Mining assertion (v1.1).
    static let cawgLabel = "cawg.training-mining"

    /// The entry name of a use in the assertion's `entries` map.
    static func cawgEntry(_ use: AIUse) -> String { "cawg." + use.name }

    /// `allowed` when the use may happen (the terms allow it, or the artist consented).
    static func cawgUse(_ verdict: Verdict) -> String {
        switch verdict {
        case .exposed, .consented: return "allowed"
        case .blocked: return "notAllowed"
        }
    }

    /// The entry's `constraint_info`: the policy, the deciding rule and the verdict.
    static func constraintInfo(policy: String, rule: String, verdict: Verdict) -> String {
        "policy \(policy), rule \(rule) (\(verdict.name))"
    }

    // MARK: - IPTC

    /// The PLUS Data Mining vocabulary (http://ns.useplus.org/ldf/vocab/DMI-…) that exports use.
    enum DataMining: String, CaseIterable {
        case allowed = "DMI-ALLOWED"
        case prohibitedGenerativeTraining = "DMI-PROHIBITED-GENAIMLTRAINING"
        case prohibitedTraining = "DMI-PROHIBITED-AIMLTRAINING"
        case prohibited = "DMI-PROHIBITED"
        case seeConstraint = "DMI-PROHIBITED-SEECONSTRAINT"

        var uri: String { "http://ns.useplus.org/ldf/vocab/" + rawValue }

        /// The uses the value itself says may happen (SEECONSTRAINT defers to the text).
        var permits: Set<AIUse> {
            switch self {
            case .allowed: return Set(AIUse.allCases)
            case .prohibitedGenerativeTraining: return [.aiTraining, .aiInference, .dataMining]
            case .prohibitedTraining: return [.aiInference, .dataMining]
            case .prohibited, .seeConstraint: return []
            }
        }
    }

    /// The `plus:DataMining` value for one track's four verdicts (by ``AIUse/rawValue``), and
    /// the `plus:OtherConstraints` text when the value alone cannot say it.
    ///
    /// A value is used only when what it permits is exactly what the verdicts allow; every
    /// other combination is `DMI-PROHIBITED-SEECONSTRAINT` with a text listing both sides, so
    /// the export never claims more permission than the verdicts give (nor less).
    static func dataMining(_ verdicts: [Verdict]) -> (value: DataMining, uri: String, constraint: String?) {
        let allowed = Set(AIUse.allCases.filter { verdicts[$0.rawValue] != .blocked })
        if let exact = DataMining.allCases.first(where: { $0 != .seeConstraint && $0.permits == allowed }) {
            return (exact, exact.uri, nil)
        }
        func names(_ uses: [AIUse]) -> String {
            uses.map { use in
                dataMiningName(use) + (verdicts[use.rawValue] == .consented ? " (the artist consented)" : "")
            }.joined(separator: ", ")
        }
        let text = "Allowed: \(names(AIUse.allCases.filter { allowed.contains($0) })). "
            + "Prohibited: \(names(AIUse.allCases.filter { !allowed.contains($0) }))."
        return (.seeConstraint, DataMining.seeConstraint.uri, text)
    }

    /// How `plus:OtherConstraints` names a use.
    static func dataMiningName(_ use: AIUse) -> String {
        switch use {
        case .aiGenerativeTraining: return "generative AI/ML training"
        case .aiTraining: return "non-generative AI/ML training"
        case .aiInference: return "AI/ML inference"
        case .dataMining: return "data mining"
        }
    }

    // MARK: - Escaping straight from the stored bytes

    /// Writes `bytes` as a JSON string, like ``JSONWriter``; invalid UTF-8 becomes U+FFFD.
    static func writeJSONString(_ bytes: UnsafeBufferPointer<UInt8>, to out: OutputFile) throws {
        // Nearly every track id is plain ASCII: copy it as it is.
        if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 >= 0x80 }) {
            try out.write(quote)
            try out.write(UnsafeRawBufferPointer(bytes))
            try out.write(quote)
            return
        }
        try out.write(Array(json(String(decoding: bytes, as: UTF8.self)).utf8))
    }

    /// Appends `bytes` as a CSV cell, like ``CSVCell/escape(_:)``; invalid UTF-8 becomes U+FFFD.
    static func appendCSVCell(_ bytes: UnsafeBufferPointer<UInt8>, to cell: inout [UInt8]) {
        let plain = !bytes.contains(where: { $0 < 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") })
        // Nearly every id and artist is plain: copy it as it is.
        if plain, bytes.first.map({ !"=+-@".utf8.contains($0) }) ?? true {
            cell.append(contentsOf: bytes)
            return
        }
        cell.append(contentsOf: CSVCell.escape(String(decoding: bytes, as: UTF8.self)).utf8)
    }

    private static let quote: [UInt8] = [UInt8(ascii: "\"")]
}
