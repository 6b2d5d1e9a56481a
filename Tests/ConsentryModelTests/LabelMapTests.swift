import Foundation
import Testing
@testable import ConsentryModel

/// Looks `label` up in `map` the way the decoders do: by the bytes of the record's value.
private func lookUp(_ map: LabelMap, _ label: String) -> LabelStatus? {
    Array(label.utf8).withUnsafeBufferPointer { map.status(of: $0) }
}

@Suite("LabelMap: label names matched ignoring case and surrounding spaces (contract §1.3)")
struct LabelMapTests {
    @Test("the lookup key trims spaces and tabs around the name, not inside it, and folds ASCII case")
    func asciiNormalization() {
        #expect(LabelMap.normalized(Array(" Sony Music\t".utf8)) == "sony music")
        #expect(LabelMap.normalized(Array("\t \tSONY MUSIC  ".utf8)) == "sony music")
        #expect(LabelMap.normalized(Array("Sony\tMusic".utf8)) == "sony\tmusic")
        #expect(LabelMap.normalized(Array("Sony  Music".utf8)) != LabelMap.normalized(Array("Sony Music".utf8)))
        #expect(LabelMap.normalized(Array("   ".utf8)) == "")
        #expect(LabelMap.normalized([UInt8]()) == "")
        // Every ASCII letter, and nothing else, folds.
        #expect(LabelMap.normalized(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{0-9_".utf8)) == "abcdefghijklmnopqrstuvwxyz@[`{0-9_")
    }

    @Test("non-ASCII names fold by Unicode's full case folding, which also matches what lowercasing keeps apart")
    func unicodeNormalization() {
        #expect(LabelMap.normalized(Array("BUREAU Ω".utf8)) == "bureau ω")
        #expect(LabelMap.normalized(Array("Bureau ω".utf8)) == "bureau ω")
        #expect(LabelMap.normalized(Array(" ÉDITIONS Mégalo ".utf8)) == "éditions mégalo")
        #expect(LabelMap.normalized(Array("ПОЛЯНА".utf8)) == LabelMap.normalized(Array("поляна".utf8)))
        #expect(LabelMap.normalized(Array("東京レコード".utf8)) == "東京レコード")
        // Lowercasing leaves ς, ß, ſ and ligatures as they are; folding does not.
        for (a, b) in [("ΟΔΟΣ", "οδος"), ("ΣΟΦΟΣ Records", "σοφος records"), ("Straße", "STRASSE"), ("ſtar", "STAR"), ("ﬁne", "FINE")] {
            #expect(LabelMap.normalized(Array(a.utf8)) == LabelMap.normalized(Array(b.utf8)), "\(a) and \(b)")
        }
        #expect(LabelMap.normalized(Array("Straße".utf8)) != LabelMap.normalized(Array("Strase".utf8)))
    }

    @Test("set and status(of:) match any spelling of a name; set returns the status the map had")
    func setAndLookUp() {
        var map = LabelMap(source: "labels.csv", sha256: "abc")
        #expect(map.set("Sony Music", .major) == nil)
        #expect(map.set("Bureau Ω", .licensed) == nil)
        #expect(map.set("tiny", .independent) == nil)
        #expect(map.count == 3)
        #expect(lookUp(map, "sony music") == .major)
        #expect(lookUp(map, "\tSONY MUSIC ") == .major)
        #expect(lookUp(map, "BUREAU ω") == .licensed)
        #expect(lookUp(map, "TINY") == .independent)
        #expect(lookUp(map, "Sony") == nil)
        #expect(lookUp(map, "") == nil)
        // Another spelling of a name already there replaces its status and says what it was.
        #expect(map.set("  SONY music", .licensed) == .major)
        #expect(map.count == 3)
        #expect(lookUp(map, "Sony Music") == .licensed)
        #expect(map.source == "labels.csv" && map.sha256 == "abc")
    }

    @Test("a name's key from its String is the key from its bytes, and is the String itself when nothing folds")
    func stringKeys() {
        let names = ["sony music", "Sony Music", " sony", "sony ", "\tsony", "sony\t", "", " ", "a", "A", "bureau ω", "Bureau Ω",
                     "\u{212A}elvin", "kelvin", "Cafe\u{301}", "caf\u{E9}", "東京レコード", "with\u{0}nul", "@[`{", "ZZ top"]
        for name in names {
            #expect(LabelMap.normalized(name) == LabelMap.normalized(Array(name.utf8)), "\(name)")
        }
        // The Kelvin sign folds to an ASCII k, so its key meets the ASCII name's.
        #expect(LabelMap.normalized("\u{212A}elvin") == LabelMap.normalized("KELVIN"))
        // A key that is already folded is handed back with its bytes as they were.
        for name in ["sony music", "éditions", "a\tb"] where LabelMap.normalized(Array(name.utf8)) == name {
            #expect(Array(LabelMap.normalized(name).utf8) == Array(name.utf8))
        }
    }
}
