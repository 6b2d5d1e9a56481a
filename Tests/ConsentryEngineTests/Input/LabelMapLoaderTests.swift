import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// The status `map` gives a record whose label is `label`.
private func lookUp(_ map: LabelMap, _ label: String) -> LabelStatus? {
    Array(label.utf8).withUnsafeBufferPointer { map.status(of: $0) }
}

@Suite("LabelMapLoader: --label-map files, CSV or YAML, every problem at its file and line (contract §1.3)")
struct LabelMapLoaderTests {
    /// Loads `text` written as `name` in `dir`; the map and the path.
    static func load(_ name: String, _ text: String, in dir: TempDir? = nil) throws -> (LabelMap, String) {
        let dir = try dir ?? TempDir("labelmap")
        let path = try dir.write(name, text)
        return (try LabelMapLoader.load(file: path), path)
    }

    /// The error loading `text` as `name` throws; checks it is a label-map error naming the
    /// file and `line`, and returns it.
    static func failure(_ name: String, _ text: String? = nil, bytes: [UInt8]? = nil, line: Int?,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> PolicyError {
        let dir = try TempDir("labelmap")
        let path = try bytes.map { try dir.write(name, $0) } ?? dir.write(name, text ?? "")
        let error = try #require(throws: PolicyError.self, sourceLocation: sourceLocation) { try LabelMapLoader.load(file: path) }
        #expect(error.kind == .invalidLabelMap, "\(error.kind)", sourceLocation: sourceLocation)
        #expect(error.code == "label_map_invalid", sourceLocation: sourceLocation)
        #expect(error.file == path, "the error names the file", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error.message)", sourceLocation: sourceLocation)
        return error
    }

    // MARK: CSV

    @Test("CSV: quoted labels with commas and quotes, statuses in any case, unsigned, padding")
    func csvEntries() throws {
        let (map, path) = try Self.load("labels.csv", """
            label,label_status
            "Sony Music, Inc.",major
            "The ""Best"" Label",Licensed
            Tiny Records,  UNSIGNED
              Padded Label  ,independent
            "Nobody Knows",unknown
            Bureau Ω,licensed

            """)
        #expect(map.count == 6)
        #expect(map.source == path)
        #expect(lookUp(map, "sony music, inc.") == .major)
        #expect(lookUp(map, "The \"Best\" Label") == .licensed)
        #expect(lookUp(map, "TINY RECORDS") == .independent)
        #expect(lookUp(map, "padded label") == .independent)
        #expect(lookUp(map, "nobody knows") == .unknown)
        #expect(lookUp(map, "BUREAU ω") == .licensed)
        #expect(lookUp(map, "Sony Music") == nil)
    }

    @Test("CSV: a byte order mark, CRLF line ends, blank lines, extra columns in any order and header case")
    func csvLayout() throws {
        let text = "\u{FEFF}id, Label_Status ,notes,LABEL\r\n\r\n1,major,\"a, b\",Sony\r\n   \r\n2,licensed,,Orchard\r\n\t\r\n3,independent,x,\"Tiny\"\r\n"
        let (map, _) = try Self.load("labels.csv", text)
        #expect(map.count == 3)
        #expect(lookUp(map, "sony") == .major)
        #expect(lookUp(map, "orchard") == .licensed)
        #expect(lookUp(map, "tiny") == .independent)
    }

    @Test("CSV: the same label again with the same status, in any spelling, is accepted")
    func csvSameStatusDuplicate() throws {
        let (map, _) = try Self.load("labels.csv", "label,label_status\nSony,major\n SONY ,Major\nsony,MAJOR\n")
        #expect(map.count == 1)
        #expect(lookUp(map, "Sony") == .major)
    }

    @Test("the SHA-256 is that of the file's bytes")
    func digest() throws {
        let dir = try TempDir("labelmap")
        let text = "label,label_status\nSony,major\n"
        let (map, path) = try Self.load("labels.csv", text, in: dir)
        #expect(map.sha256 == (try sha256sum(path)))
        let (other, _) = try Self.load("other.csv", text + "Tiny,independent\n", in: dir)
        #expect(other.sha256 != map.sha256)
    }

    @Test("CSV errors name the line: bad status, empty status, empty label")
    func csvEntryErrors() throws {
        let status = try Self.failure("labels.csv", "label,label_status\nSony,major\n\nTiny,indie\nLater,major\n", line: 4)
        #expect(status.message.contains("indie") && status.message.contains("Tiny"), "\(status.message)")
        _ = try Self.failure("labels.csv", "label,label_status\nSony,\n", line: 2)
        let empty = try Self.failure("labels.csv", "label,label_status\nSony,major\n   ,independent\n", line: 3)
        #expect(empty.message.contains("empty label"), "\(empty.message)")
        _ = try Self.failure("labels.csv", "label,label_status\r\nSony,major\r\n\"\",major\r\n", line: 3)
    }

    @Test("CSV: a label listed again with another status is an error at the second line, naming the first")
    func csvConflict() throws {
        let error = try Self.failure(
            "labels.csv", "label,label_status\nSony Music,major\nTiny,independent\n\n  sony MUSIC ,licensed\n", line: 5)
        #expect(error.message.contains("line 2"), "\(error.message)")
        #expect(error.message.contains("major") && error.message.contains("licensed"), "\(error.message)")
    }

    @Test("CSV: a header without label and label_status is an error at its line")
    func csvHeader() throws {
        _ = try Self.failure("labels.csv", "name,status\nSony,major\n", line: 1)
        _ = try Self.failure("labels.csv", "label\nSony\n", line: 1)
        // Blank lines before the header count.
        _ = try Self.failure("labels.csv", "\n\nlabel,status\nSony,major\n", line: 3)
        // Nothing at all.
        _ = try Self.failure("labels.csv", "", line: 1)
        _ = try Self.failure("labels.csv", "\n  \n", line: 1)
    }

    @Test("CSV: a wrong field count and an unclosed quote are errors at their line")
    func csvStructure() throws {
        let fields = try Self.failure("labels.csv", "label,label_status\nSony,major\nSony, Inc.,major\n", line: 3)
        #expect(fields.message.contains("3 fields") && fields.message.contains("2"), "\(fields.message)")
        _ = try Self.failure("labels.csv", "label,label_status\nSony\n", line: 2)
        _ = try Self.failure("labels.csv", "label,label_status\r\nA,major\r\n\r\n\"Sony, Inc.,major\r\nB,major\r\n", line: 4)
    }

    @Test("a map that is not UTF-8 is an error at the line of the first bad byte")
    func notUTF8() throws {
        var bytes = Array("label,label_status\nSony,major\n".utf8)
        bytes += [0x54, 0x69, 0x6E, 0xFF, 0x79] + Array(",independent\n".utf8)
        let error = try Self.failure("labels.csv", bytes: bytes, line: 3)
        #expect(error.message.contains("UTF-8"), "\(error.message)")
        var yaml = Array("Sony: major\n\n".utf8)
        yaml += [0xC3, 0x28] + Array(": independent\n".utf8)
        _ = try Self.failure("labels.yaml", bytes: yaml, line: 3)
    }

    @Test("an unreadable map is a label-map error naming the file")
    func unreadable() throws {
        let dir = try TempDir("labelmap")
        let path = dir.file("missing.csv")
        let error = try #require(throws: PolicyError.self) { try LabelMapLoader.load(file: path) }
        #expect(error.kind == .invalidLabelMap && error.file == path)
    }

    // MARK: YAML

    @Test("YAML: a mapping from label to status, with quoting, comments and a document marker")
    func yamlEntries() throws {
        let (map, _) = try Self.load("labels.yaml", """
            # label statuses
            ---
            Sony Music: major
            "Sony, Inc.: Classics": Licensed   # a colon in a quoted key
            'Tiny Records': unsigned
            Bureau Ω: licensed
            123: independent

            nobody: unknown

            """)
        #expect(map.count == 6)
        #expect(lookUp(map, "SONY MUSIC") == .major)
        #expect(lookUp(map, "sony, inc.: classics") == .licensed)
        #expect(lookUp(map, "tiny records") == .independent)
        #expect(lookUp(map, "bureau ω") == .licensed)
        #expect(lookUp(map, "123") == .independent)
        #expect(lookUp(map, "Nobody") == .unknown)
    }

    @Test("YAML: spellings of one label with one status are accepted; with two it is an error at the second")
    func yamlDuplicates() throws {
        let (map, _) = try Self.load("labels.yml", "Sony: major\nSONY: Major\n' sony ': major\n")
        #expect(map.count == 1 && lookUp(map, "sony") == .major)
        let error = try Self.failure("labels.yaml", "Sony: major\nTiny: independent\nsony: licensed\n", line: 3)
        #expect(error.message.contains("line 1"), "\(error.message)")
    }

    @Test("YAML errors name the line: bad status, empty status, empty label, a list as a status")
    func yamlEntryErrors() throws {
        _ = try Self.failure("labels.yaml", "Sony: major\n\nTiny: indie\n", line: 3)
        _ = try Self.failure("labels.yaml", "Sony: major\nTiny:\nOther: major\n", line: 2)
        _ = try Self.failure("labels.yaml", "Sony: major\n\"\": independent\n", line: 2)
        _ = try Self.failure("labels.yaml", "Sony: major\nTiny: [independent, major]\n", line: 2)
    }

    @Test("YAML: a label YAML reads as null (~, null unquoted) is an error at its line; quoted, it is a label")
    func yamlNullLabels() throws {
        for null in ["~", "null", "NULL"] {
            let error = try Self.failure("labels.yaml", "Sony: major\n\(null): independent\n", line: 2)
            #expect(error.message.contains("'\(null)' unquoted is YAML's null"), "\(error.message)")
        }
        let (map, _) = try Self.load("labels.yaml", "'~': independent\n\"null\": major\n")
        #expect(lookUp(map, "~") == .independent && lookUp(map, "NULL") == .major)
    }

    @Test("YAML that is not a mapping, or not YAML at all, is an error at its line")
    func yamlShape() throws {
        let list = try Self.failure("labels.yaml", "# a list\n- Sony\n- Tiny\n", line: 2)
        #expect(list.message.contains("mapping"), "\(list.message)")
        _ = try Self.failure("labels.yaml", "just some words\n", line: 1)
        _ = try Self.failure("labels.yaml", "Sony: major\nTiny: independent\n  bad: [unclosed\n", line: 3)
        _ = try Self.failure("labels.yaml", "Sony: major\n\"Tiny: independent\n", line: 2)
        _ = try Self.failure("labels.yaml", "", line: 1)
    }

    // MARK: Format

    @Test("the format follows the name: .csv is CSV whatever it holds, .yaml and .yml are YAML")
    func formatByName() throws {
        let (csv, _) = try Self.load("MAP.CSV", "label,label_status\nSony,major\n")
        #expect(lookUp(csv, "sony") == .major)
        // A YAML text named .csv is read as CSV: its first line is no CSV header.
        _ = try Self.failure("map.csv", "Sony: major\n", line: 1)
        // A CSV text named .yaml is read as YAML: a scalar, not a mapping.
        _ = try Self.failure("map.yaml", "label,label_status\nSony,major\n", line: 1)
    }

    @Test("without a telling name, a first line naming label and label_status means CSV, anything else YAML")
    func formatByContent() throws {
        let (csv, _) = try Self.load("labels.txt", "\n label_status , label\nmajor,Sony\n")
        #expect(lookUp(csv, "sony") == .major)
        let (yaml, _) = try Self.load("labels", "Sony: major\nTiny: unsigned\n")
        #expect(lookUp(yaml, "tiny") == .independent)
        let (bom, _) = try Self.load("labels.map", "\u{FEFF}label,label_status\r\n\"A, B\",licensed\r\n")
        #expect(lookUp(bom, "a, b") == .licensed)
    }
}
