import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("BreakdownRenderer: `report --by label|artist` in every format (contract §3)")
struct BreakdownRendererTests {
    static let hostile = "A|B <&> \"Records\", Ltd."
    static let long = String(repeating: "Long Label Name ", count: 5) + "End"

    /// Two policies; under the first five labels (one empty, one a formula, one hostile, one
    /// long), under the second only two.
    static func sample(_ field: Breakdown.Field = .label) -> RunBreakdown {
        var b = Breakdown(policyCount: 2)
        b.add(key: "Sony", policy: 0, tracks: 10, exposed: 2)
        b.add(key: hostile, policy: 0, tracks: 6, exposed: 6)
        b.add(key: "", policy: 0, tracks: 4, exposed: 3)
        b.add(key: long, policy: 0, tracks: 3, exposed: 1)
        b.add(key: "=cmd()", policy: 0, tracks: 1, exposed: 0)
        b.add(key: "Sony", policy: 1, tracks: 10, exposed: 10)
        b.add(key: "", policy: 1, tracks: 4, exposed: 0)
        return RunBreakdown(runID: 7, field: field, policyIDs: ["p-one", "p-two"], breakdown: b)
    }

    static let firstPolicyKeys = ["Sony", hostile, "", long, "=cmd()"]

    @Test("JSON parses: run, field, per policy the total and the groups largest first with their counts and unrounded shares")
    func json() throws {
        for field in Breakdown.Field.allCases {
            let name = field == .label ? "label" : "artist_id"
            let doc = try JSON.parse(BreakdownRenderer.json(Self.sample(field), top: nil))
            #expect(doc.orderedKeys == ["run_id", "by", "policies"])
            #expect(doc["run_id"]?.int == 7 && doc["by"]?.string == name)
            #expect(doc["policies"]?.orderedKeys == ["p-one", "p-two"])
            let first = try #require(doc["policies"]?["p-one"])
            #expect(first["groups_total"]?.int == 5)
            let groups = first["groups"]?.array ?? []
            #expect(groups.map { $0[name]?.string } == Self.firstPolicyKeys, "the empty key stays empty for programs")
            #expect(groups.allSatisfy { $0.orderedKeys == [name, "tracks", "any_training_exposed", "exposed_share"] })
            #expect(groups.map { $0["tracks"]?.int } == [10, 6, 4, 3, 1])
            #expect(groups.map { $0["any_training_exposed"]?.int } == [2, 6, 3, 1, 0])
            #expect(groups.map { $0["exposed_share"]?.double } == [0.2, 1.0, 0.75, 1.0 / 3.0, 0.0])
            let second = doc["policies"]?["p-two"]?["groups"]?.array ?? []
            #expect(second.map { $0[name]?.string } == ["Sony", ""])
        }
        // --top keeps the total and cuts the list per policy.
        let top = try JSON.parse(BreakdownRenderer.json(Self.sample(), top: 1))
        #expect(top["policies"]?["p-one"]?["groups_total"]?.int == 5)
        #expect(top["policies"]?["p-one"]?["groups"]?.array?.map { $0["label"]?.string } == ["Sony"])
        #expect(top["policies"]?["p-two"]?["groups"]?.array?.count == 1)
    }

    @Test("CSV: a header, one quoted-as-needed row per policy and group, formulas neutralised, the empty key empty")
    func csv() throws {
        let text = BreakdownRenderer.csv(Self.sample(), top: nil)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.first == "run_id,policy_id,label,tracks,any_training_exposed,exposed_share")
        let rows = lines.dropFirst().map(csvTestFields)
        #expect(rows.count == 7)
        #expect(rows.allSatisfy { $0.count == 6 && $0[0] == "7" }, "\(rows)")
        #expect(rows.prefix(5).map { $0[2] } == ["Sony", Self.hostile, "", Self.long, "'=cmd()"])
        #expect(rows.prefix(5).allSatisfy { $0[1] == "p-one" } && rows.suffix(2).allSatisfy { $0[1] == "p-two" })
        #expect(rows.map { $0[3] } == ["10", "6", "4", "3", "1", "10", "4"])
        #expect(rows.map { $0[4] } == ["2", "6", "3", "1", "0", "10", "0"])
        #expect(rows.map { Double($0[5]) } == [0.2, 1.0, 0.75, 1.0 / 3.0, 0.0, 1.0, 0.0])
        let artists = BreakdownRenderer.csv(Self.sample(.artist), top: 2)
        #expect(artists.split(separator: "\n").first == "run_id,policy_id,artist_id,tracks,any_training_exposed,exposed_share")
        #expect(artists.split(separator: "\n").count == 1 + 2 + 2)
    }

    @Test("Markdown: a table per policy, `|` and other syntax escaped, the empty key named")
    func markdown() throws {
        for field in Breakdown.Field.allCases {
            let text = BreakdownRenderer.markdown(Self.sample(field), top: nil)
            let noun = field == .label ? "label" : "artist"
            #expect(text.hasPrefix("# consentry run 7: tracks by \(noun)\n"))
            let rows = text.split(separator: "\n").filter { $0.hasPrefix("|") }.map(markdownTestCells)
            // Header and alignment rows, then the groups, per policy.
            #expect(rows.count == 2 + 5 + 2 + 2, "\(rows)")
            #expect(rows.allSatisfy { $0.count == 4 }, "a `|` in a name must not add a cell: \(rows)")
            #expect(rows[0] == [noun, "tracks", "exposed", "share"])
            let names = rows[2..<7].map { $0[0] }
            #expect(names[1] == #"A\|B \<\&\> "Records", Ltd."#)
            #expect(names[2] == "(no \(noun))")
            #expect(rows[2] == ["Sony", "10", "2", "20.0%"])
            #expect(text.contains("the 1 largest of 5") == false)
        }
        let top = BreakdownRenderer.markdown(Self.sample(), top: 1)
        #expect(top.contains("the 1 largest of 5 labels"), "\(top)")
    }

    @Test("HTML: a well-formed page with a table per policy, names escaped, the empty key named")
    func html() throws {
        for field in Breakdown.Field.allCases {
            let noun = field == .label ? "label" : "artist"
            let html = BreakdownRenderer.html(Self.sample(field), top: nil)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(html.range(of: "<script", options: .caseInsensitive) == nil)
            let page = try htmlTestParse(html)
            let tables = try htmlTestNodes(page, "//table[@class='breakdown']")
            #expect(tables.count == 2)
            let names = try htmlTestNodes(page, "//table[1]//tbody/tr/th[@scope='row']").compactMap(\.stringValue)
            let first = try tables[0].nodes(forXPath: ".//tbody/tr/th[@scope='row']").compactMap(\.stringValue)
            #expect(first == ["Sony", Self.hostile, "(no \(noun))", Self.long, "=cmd()"], "\(names)")
            let empty = try htmlTestNodes(page, "//th[contains(@class, 'none')]").compactMap(\.stringValue)
            #expect(empty == ["(no \(noun))", "(no \(noun))"])
            let cells = try tables[0].nodes(forXPath: ".//tbody/tr[1]/td").compactMap(\.stringValue)
            #expect(cells.prefix(3) == ["2", "10", "20.0%"])
            #expect(try tables[1].nodes(forXPath: ".//tbody/tr").count == 2)
        }
    }

    @Test("text: a column of names (the empty key named, long names cut), counts and shares; --top says how many of how many")
    func text() {
        let text = BreakdownRenderer.text(Self.sample(), top: nil)
        #expect(text.hasPrefix("Run 7: tracks by label, largest first\n"))
        #expect(text.contains("Policy p-one — 5 labels"))
        #expect(text.contains("Policy p-two — 2 labels"))
        let lines = text.split(separator: "\n")
        #expect(lines.contains { $0.contains("(no label)") && $0.contains("75.0%") })
        #expect(lines.contains { $0.hasPrefix("  Sony ") && $0.hasSuffix("20.0%") })
        // The long name is cut with an ellipsis to the column's width.
        let cut = lines.first { $0.contains("Long Label Name") }.map(String.init) ?? ""
        #expect(cut.contains("…") && !cut.contains("End"), "\(cut)")
        let top = BreakdownRenderer.text(Self.sample(.artist), top: 2)
        #expect(top.hasPrefix("Run 7: tracks by artist_id, largest first\n"))
        #expect(top.contains("the 2 largest of 5 artists"))
        #expect(top.contains("Policy p-two — 2 artists"))
        #expect(!top.contains("=cmd()"))
    }
}
