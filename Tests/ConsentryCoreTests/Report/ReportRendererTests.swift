import Foundation
import Testing
@testable import ConsentryCore

/// A JSON value that keeps object keys in the order of the text (JSONSerialization does not).
indirect enum ScanTestOrderedJSON: Equatable {
    case object([(String, ScanTestOrderedJSON)])
    case array([ScanTestOrderedJSON])
    case scalar(String)

    static func == (a: ScanTestOrderedJSON, b: ScanTestOrderedJSON) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        case (.array(let x), .array(let y)): return x == y
        case (.scalar(let x), .scalar(let y)): return x == y
        default: return false
        }
    }

    /// A number's value, parsed from its exact text (nil for anything else, null included).
    var double: Double? {
        if case .scalar(let t) = self, !t.hasPrefix("\""), t != "null", t != "true", t != "false" { return Double(t) }
        return nil
    }

    var int: Int? {
        if case .scalar(let t) = self { return Int(t) }
        return nil
    }

    var isNull: Bool { self == .scalar("null") }

    var keys: [String] {
        if case .object(let members) = self { return members.map(\.0) }
        return []
    }

    subscript(_ key: String) -> ScanTestOrderedJSON? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    /// Parses JSON text (strings are kept raw, escapes unresolved; enough for key order).
    static func parse(_ text: String) throws -> ScanTestOrderedJSON {
        var bytes = Array(text.utf8)[...]
        let value = try parseValue(&bytes)
        skipSpace(&bytes)
        guard bytes.isEmpty else { throw ScanTestFailure("trailing text after JSON") }
        return value
    }

    private static func skipSpace(_ b: inout ArraySlice<UInt8>) {
        while let c = b.first, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { b.removeFirst() }
    }

    private static func parseString(_ b: inout ArraySlice<UInt8>) throws -> String {
        guard b.first == UInt8(ascii: "\"") else { throw ScanTestFailure("expected a string") }
        b.removeFirst()
        var out: [UInt8] = []
        while let c = b.first {
            b.removeFirst()
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            out.append(c)
            if c == UInt8(ascii: "\\"), let next = b.first { out.append(next); b.removeFirst() }
        }
        throw ScanTestFailure("unterminated string")
    }

    private static func parseValue(_ b: inout ArraySlice<UInt8>) throws -> ScanTestOrderedJSON {
        skipSpace(&b)
        guard let c = b.first else { throw ScanTestFailure("unexpected end") }
        if c == UInt8(ascii: "{") {
            b.removeFirst()
            var members: [(String, ScanTestOrderedJSON)] = []
            skipSpace(&b)
            if b.first == UInt8(ascii: "}") { b.removeFirst(); return .object(members) }
            while true {
                skipSpace(&b)
                let key = try parseString(&b)
                skipSpace(&b)
                guard b.first == UInt8(ascii: ":") else { throw ScanTestFailure("expected ':' after \(key)") }
                b.removeFirst()
                members.append((key, try parseValue(&b)))
                skipSpace(&b)
                guard let d = b.first else { throw ScanTestFailure("unterminated object") }
                b.removeFirst()
                if d == UInt8(ascii: "}") { return .object(members) }
                guard d == UInt8(ascii: ",") else { throw ScanTestFailure("expected ',' in object") }
            }
        }
        if c == UInt8(ascii: "[") {
            b.removeFirst()
            var items: [ScanTestOrderedJSON] = []
            skipSpace(&b)
            if b.first == UInt8(ascii: "]") { b.removeFirst(); return .array(items) }
            while true {
                items.append(try parseValue(&b))
                skipSpace(&b)
                guard let d = b.first else { throw ScanTestFailure("unterminated array") }
                b.removeFirst()
                if d == UInt8(ascii: "]") { return .array(items) }
                guard d == UInt8(ascii: ",") else { throw ScanTestFailure("expected ',' in array") }
            }
        }
        if c == UInt8(ascii: "\"") { return .scalar("\"" + (try parseString(&b)) + "\"") }
        var token: [UInt8] = []
        while let d = b.first, !(d == UInt8(ascii: ",") || d == UInt8(ascii: "}") || d == UInt8(ascii: "]") || d == 0x20 || d == 0x0A || d == 0x0D || d == 0x09) {
            token.append(d)
            b.removeFirst()
        }
        return .scalar(String(decoding: token, as: UTF8.self))
    }
}

@Suite("ReportRenderer: JSON (SPEC §5) and text")
struct ReportRendererTests {
    static let groupOrder = ["independent", "major", "licensed", "unknown", "all"]
    static let useOrder = ["ai_generative_training", "ai_training", "ai_inference", "data_mining"]

    /// A stored run: 3 independent tracks (1 exposed under the opt-out policy), 1 major,
    /// 1 unknown, no licensed track; two rejects.
    static func storedReport(_ dir: ScanTestDir, policies: [String] = ["soundcloud-opt-out", "soundcloud-2025-05"]) throws -> RunReport {
        let csv = """
            track_id,label_status,genai_opt_in,ai_opt_out
            i1,independent,,
            i2,independent,,yes
            i3,independent,yes,yes
            m1,major,,
            u1,unknown,,
            x1,signed,,
            i1,major,,

            """
        let path = try dir.write("r.csv", csv)
        return try scanTestScan(dir.db, inputs: [path], policies: try scanTestPolicies(policies))
    }

    @Test("json parses, has exactly the SPEC §5 keys in the SPEC's order, every group, null shares for empty groups, unrounded shares")
    func jsonShape() throws {
        let dir = try ScanTestDir("report")
        let report = try Self.storedReport(dir)
        let text = ReportRenderer.json(report)

        // Parses as JSON.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions"])
        #expect(scanTestInt(object["run_id"]) == Int(report.runID))
        #expect(object["status"] as? String == "completed")

        // Key order, read from the text itself.
        let ordered = try ScanTestOrderedJSON.parse(text)
        #expect(ordered.keys == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions"])
        #expect(ordered["rows"]?.keys == ["read", "scanned", "rejected"])
        #expect(ordered["rows"]?["read"] == .scalar("7"))
        #expect(ordered["rows"]?["scanned"] == .scalar("5"))
        #expect(ordered["rows"]?["rejected"] == .scalar("2"))
        #expect(ordered["rejects_by_code"]?.keys == ["invalid_label_status", "duplicate_track_id"])
        #expect(ordered["policies"]?.keys == ["soundcloud-opt-out", "soundcloud-2025-05"])
        for policyID in ["soundcloud-opt-out", "soundcloud-2025-05"] {
            let policy = try #require(ordered["policies"]?[policyID])
            #expect(policy.keys == ["independent_exposed_share", "labelled_exposed_share", "exposure_gap", "groups"])
            let groups = try #require(policy["groups"])
            #expect(groups.keys == Self.groupOrder, "every group appears, in the SPEC's order")
            for group in Self.groupOrder {
                let g = try #require(groups[group])
                #expect(g.keys == ["tracks", "any_training_exposed", "exposed_share", "uses"], "\(group)")
                #expect(g["uses"]?.keys == Self.useOrder)
                for use in Self.useOrder {
                    #expect(g["uses"]?[use]?.keys == ["exposed", "consented", "blocked"])
                }
            }
            // No licensed track: its share is null, and so is nothing else.
            #expect(groups["licensed"]?["tracks"] == .scalar("0"))
            #expect(groups["licensed"]?["exposed_share"] == .scalar("null"))
            #expect(groups["major"]?["exposed_share"] == .scalar("0.0") || groups["major"]?["exposed_share"] == .scalar("0"))
        }

        // Values, through JSONSerialization.
        let policies = try #require(object["policies"] as? [String: [String: Any]])
        let optOut = try #require(policies["soundcloud-opt-out"])
        // Shares compared through their exact text (Foundation's parser may be off by an ulp).
        let optOutOrdered = try #require(ordered["policies"]?["soundcloud-opt-out"])
        let indieShare = try #require(optOutOrdered["independent_exposed_share"]?.double)
        #expect(indieShare == 1.0 / 3.0, "unrounded: \(indieShare)")
        #expect(optOutOrdered["labelled_exposed_share"]?.double == 0.0)
        #expect(optOutOrdered["exposure_gap"]?.double == 1.0 / 3.0 - 0.0)
        #expect(optOutOrdered["groups"]?["all"]?["exposed_share"]?.double == 2.0 / 5.0)
        #expect(optOutOrdered["groups"]?["licensed"]?["exposed_share"]?.isNull == true)
        #expect((optOut["independent_exposed_share"] as? NSNumber) != nil)
        let groups = try #require(optOut["groups"] as? [String: [String: Any]])
        #expect(groups["licensed"]?["exposed_share"] is NSNull)
        #expect(scanTestInt(groups["independent"]?["tracks"]) == 3)
        #expect(scanTestInt(groups["independent"]?["any_training_exposed"]) == 1)
        #expect(scanTestInt(groups["all"]?["tracks"]) == 5)
        // unknown (1 track, exposed) + independent 1 of 3 → all: 2 of 5
        let uses = try #require(groups["independent"]?["uses"] as? [String: [String: Any]])
        #expect(scanTestInt(uses["ai_generative_training"]?["blocked"]) == 3)
        #expect(scanTestInt(uses["ai_generative_training"]?["consented"]) == 0)
        #expect(scanTestInt(uses["ai_training"]?["exposed"]) == 1)
        #expect(scanTestInt(uses["ai_inference"]?["exposed"]) == 3)
        #expect(scanTestInt(uses["data_mining"]?["blocked"]) == 3)
        let rejects = try #require(object["rejects_by_code"] as? [String: Any])
        #expect(scanTestInt(rejects["invalid_label_status"]) == 1)
        #expect(scanTestInt(rejects["duplicate_track_id"]) == 1)
        // A share with many digits is written in full: the text holds the shortest round-trip form.
        #expect(text.contains("\(1.0 / 3.0)"))

        // What-if from opt-out to 2025-05: i2 and i3 opted out of training, i3 opted in to generative.
        let transitions = try #require(object["transitions"] as? [[String: Any]])
        let moves = transitions.map { t in
            "\(t["from_policy"]!) \(t["to_policy"]!) \(t["group"]!) \(t["use"]!) \(t["from"]!) \(t["to"]!) \(scanTestInt(t["tracks"])!)"
        }
        #expect(moves == [
            "soundcloud-opt-out soundcloud-2025-05 independent ai_generative_training blocked consented 1",
            "soundcloud-opt-out soundcloud-2025-05 independent ai_training blocked exposed 2",
            "soundcloud-opt-out soundcloud-2025-05 all ai_generative_training blocked consented 1",
            "soundcloud-opt-out soundcloud-2025-05 all ai_training blocked exposed 2",
        ])
    }

    @Test("one policy: transitions is an empty list; text shows no what-if section")
    func singlePolicyTransitions() throws {
        let dir = try ScanTestDir("report1")
        let report = try Self.storedReport(dir, policies: ["soundcloud-2025-05"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ReportRenderer.json(report).utf8)) as? [String: Any])
        #expect((object["transitions"] as? [Any])?.isEmpty == true)
        #expect(!ReportRenderer.text(report).contains("What-if"))
        let two = try Self.storedReport(try ScanTestDir("report2"))
        #expect(ReportRenderer.text(two).contains("What-if soundcloud-opt-out → soundcloud-2025-05"))
        #expect(ReportRenderer.text(two).contains("blocked → exposed"))
    }

    @Test("json: a run without licensed and major tracks has null labelled share and null gap; empty report still lists every group")
    func jsonNulls() throws {
        var report = RunReport(runID: 3, status: "completed", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z",
                               error: nil, rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        var empty = PolicyReport(id: "p-empty", title: "Empty", independentExposedShare: nil, labelledExposedShare: nil, exposureGap: nil)
        empty.groups = [:]
        report.policies = [empty]
        let text = ReportRenderer.json(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let policy = try #require((object["policies"] as? [String: [String: Any]])?["p-empty"])
        #expect(policy["independent_exposed_share"] is NSNull)
        #expect(policy["labelled_exposed_share"] is NSNull)
        #expect(policy["exposure_gap"] is NSNull)
        let groups = try #require(policy["groups"] as? [String: [String: Any]])
        #expect(Set(groups.keys) == Set(Self.groupOrder))
        for (name, g) in groups {
            #expect(scanTestInt(g["tracks"]) == 0, "\(name)")
            #expect(g["exposed_share"] is NSNull, "\(name)")
        }
        #expect((object["rejects_by_code"] as? [String: Any])?.isEmpty == true)
        let ordered = try ScanTestOrderedJSON.parse(text)
        #expect(ordered.keys == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions"])
    }

    @Test("json escapes strings and keeps tiny shares as plain JSON numbers")
    func jsonEscaping() throws {
        var report = RunReport(runID: 1, status: "completed", startedAt: "x", finishedAt: nil, error: nil,
                               rowsRead: 1, rowsScanned: 1, rowsRejected: 0)
        var stats = GroupStatistics()
        stats.tracks = 300_000
        stats.anyTrainingExposed = 1
        report.policies = [PolicyReport(id: "we\"ird\\id\n", title: "t", independentExposedShare: 1.0 / 300_000.0,
                                        labelledExposedShare: 2e-7, exposureGap: 1.0 / 300_000.0 - 2e-7,
                                        groups: [.independent: stats])]
        let text = ReportRenderer.json(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let policies = try #require(object["policies"] as? [String: [String: Any]])
        #expect(policies["we\"ird\\id\n"] != nil, "the policy id round-trips through the escapes")
        let ordered = try ScanTestOrderedJSON.parse(text)
        let policy = try #require(ordered["policies"]?[#"we\"ird\\id\n"#])
        #expect(policy["independent_exposed_share"]?.double == 1.0 / 300_000.0)
        #expect(policy["labelled_exposed_share"]?.double == 2e-7)
        #expect(policy["exposure_gap"]?.double == 1.0 / 300_000.0 - 2e-7)
        #expect(policy["groups"]?["independent"]?["exposed_share"]?.double == 1.0 / 300_000.0)
    }

    @Test("text shows the run, the rows and each policy's headline figures")
    func text() throws {
        let dir = try ScanTestDir("report")
        let report = try Self.storedReport(dir)
        let text = ReportRenderer.text(report)
        #expect(text.contains("Run \(report.runID) completed"))
        #expect(text.contains("7 read"))
        #expect(text.contains("5 scanned"))
        #expect(text.contains("2 rejected"))
        #expect(text.contains("invalid_label_status 1"))
        #expect(text.contains("duplicate_track_id 1"))
        #expect(text.contains("soundcloud-opt-out"))
        #expect(text.contains("soundcloud-2025-05"))
        // opt-out: independent 1/3 = 33.3 %, labelled 0.0 %, gap +33.3 pts;
        // 2025-05: independent 100.0 %, labelled 0.0 %, gap +100.0 pts.
        #expect(text.contains("33.3%"))
        #expect(text.contains("+33.3 pts"))
        #expect(text.contains("100.0%"))
        #expect(text.contains("+100.0 pts"))
        #expect(text.contains("0.0%"))
        // The headline lines, in policy order.
        let headlines = text.split(separator: "\n").filter { $0.contains("Independent tracks exposed to AI training") }
        #expect(headlines.count == 2)
        #expect(headlines.first?.contains("33.3%") == true)
        #expect(headlines.last?.contains("100.0%") == true)
        // Empty groups show n/a, not 0 %.
        let licensedRows = text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("licensed") }
        #expect(licensedRows.count == 2)
        #expect(licensedRows.allSatisfy { $0.contains("n/a") })
    }

    @Test("text says n/a for a missing headline figure")
    func textNA() {
        var report = RunReport(runID: 9, status: "completed", startedAt: "s", finishedAt: "f", error: nil,
                               rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        report.policies = [PolicyReport(id: "p", title: "P", independentExposedShare: nil, labelledExposedShare: nil, exposureGap: nil)]
        let text = ReportRenderer.text(report)
        let headline = text.split(separator: "\n").first { $0.contains("Independent tracks exposed") }
        #expect(headline?.contains("n/a") == true)
        #expect(headline?.contains("%") == false)
    }
}
