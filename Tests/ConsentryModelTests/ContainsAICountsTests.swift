import Foundation
import Testing
@testable import ConsentryModel

@Suite("ContainsAI and its counts per label-status group (contract §1.5, §3)")
struct ContainsAICountsTests {
    @Test("the ERN values are read in any case; keys and names are the schema's")
    func values() {
        #expect(ContainsAI(text: "All") == .all)
        #expect(ContainsAI(text: "PARTLY") == .partly)
        #expect(ContainsAI(text: "none") == .noAI)
        #expect(ContainsAI(text: "") == nil)
        #expect(ContainsAI(text: "Some") == nil)
        #expect(ContainsAI.allCases.map(\.name) == ["All", "Partly", "None"])
        #expect(ContainsAI.allCases.map(\.key) == ["all", "partly", "none"])
        #expect(ContainsAICounts.undeclaredKey == "undeclared")
    }

    @Test("counts per group and declaration; nil label sums every group; nothing is reported until a track declares")
    func counts() {
        var counts = ContainsAICounts()
        #expect(!counts.anyDeclared)
        counts.add(label: .independent, declared: nil)
        counts.add(label: .major, declared: nil, count: 5)
        #expect(!counts.anyDeclared, "undeclared tracks alone report nothing")
        counts.add(label: .independent, declared: .all)
        counts.add(label: .independent, declared: .partly, count: 2)
        counts.add(label: .unknown, declared: .noAI, count: 3)
        counts.add(label: .major, declared: .all)
        #expect(counts.anyDeclared)
        #expect(counts.count(label: .independent, declared: .all) == 1)
        #expect(counts.count(label: .independent, declared: .partly) == 2)
        #expect(counts.count(label: .independent, declared: nil) == 1)
        #expect(counts.count(label: .major, declared: nil) == 5)
        #expect(counts.count(label: .licensed, declared: .all) == 0)
        #expect(counts.count(label: nil, declared: .all) == 2)
        #expect(counts.count(label: nil, declared: .noAI) == 3)
        #expect(counts.count(label: nil, declared: nil) == 6)
        // Every track is in exactly one cell.
        let total = LabelStatus.allCases.flatMap { l in ([nil] + ContainsAI.allCases.map(Optional.some)).map { counts.count(label: l, declared: $0) } }
        #expect(total.reduce(0, +) == 13)
    }

    @Test("merge adds cell by cell")
    func merge() {
        var a = ContainsAICounts()
        a.add(label: .licensed, declared: .partly)
        a.add(label: .unknown, declared: nil, count: 2)
        var b = ContainsAICounts()
        b.add(label: .licensed, declared: .partly, count: 4)
        b.add(label: .major, declared: .noAI)
        var merged = a
        merged.merge(b)
        #expect(merged.count(label: .licensed, declared: .partly) == 5)
        #expect(merged.count(label: .unknown, declared: nil) == 2)
        #expect(merged.count(label: .major, declared: .noAI) == 1)
        var other = b
        other.merge(a)
        #expect(other == merged)
        var unchanged = merged
        unchanged.merge(ContainsAICounts())
        #expect(unchanged == merged)
    }
}
