import ConsentryModel
import Crypto
import Foundation
import Yams

/// Reads a `--label-map` file (contract §1.3): CSV with the header `label,label_status`, or
/// a YAML mapping from label to status. Every problem names the file and line.
///
/// The format follows the name (`.csv`; `.yaml`, `.yml`), else the first line: a CSV header
/// naming both columns means CSV. A label listed twice must have one status both times.
public enum LabelMapLoader {
    public static func load(file path: String) throws -> LabelMap {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PolicyError(.invalidLabelMap, "cannot read the label map: \(FailureReason.of(error))",
                              remedy: "check the path and its permissions", file: path, underlying: error)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw PolicyError(.invalidLabelMap, "the label map is not UTF-8 text", remedy: "save it as UTF-8", file: path,
                              line: firstInvalidUTF8Line(data))
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        var map = LabelMap(source: path, sha256: digest)
        var lines: [String: Int] = [:]
        let entries = isCSV(path: path, text: text) ? try readCSV(text, path: path) : try readYAML(text, path: path)
        for (label, statusText, line) in entries {
            let trimmed = label.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else {
                throw PolicyError(.invalidLabelMap, "an entry has an empty label", remedy: "name the label or remove the line",
                                  file: path, line: line)
            }
            guard let status = LabelStatus(name: statusText.trimmingCharacters(in: .whitespaces)) else {
                throw PolicyError(
                    .invalidLabelMap,
                    "label '\(trimmed)' has the status '\(statusText)', which is not one of major, licensed, independent (or unsigned), unknown",
                    remedy: "correct the status", file: path, line: line)
            }
            let key = LabelMap.normalized(Array(trimmed.utf8))
            if let previous = map.set(trimmed, status), previous != status {
                throw PolicyError(
                    .invalidLabelMap,
                    "label '\(trimmed)' is \(previous.name) on line \(lines[key] ?? 0) and \(status.name) here (labels match ignoring case and surrounding spaces)",
                    remedy: "keep one status for it", file: path, line: line)
            }
            if lines[key] == nil { lines[key] = line }
        }
        return map
    }

    /// The line of the first byte that is not UTF-8.
    private static func firstInvalidUTF8Line(_ data: Data) -> Int {
        var iterator = data.makeIterator()
        var decoder = UTF8()
        var valid = 0
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): valid += UTF8.width(scalar)
            case .emptyInput, .error: break decoding
            }
        }
        return 1 + data.prefix(valid).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    private static func isCSV(path: String, text: String) -> Bool {
        let name = path.lowercased()
        if name.hasSuffix(".csv") { return true }
        if name.hasSuffix(".yaml") || name.hasSuffix(".yml") { return false }
        guard let first = text.split(whereSeparator: \.isNewline).first(where: { !$0.allSatisfy(\.isWhitespace) }),
              let fields = try? splitCSV(String(first)) else { return false }
        let names = fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return names.contains("label") && names.contains("label_status")
    }

    /// A map's entries as written: label, status, line.
    private typealias Entry = (label: String, status: String, line: Int)

    private static func readCSV(_ text: String, path: String) throws -> [Entry] {
        var entries: [Entry] = []
        var header: (label: Int, status: Int, count: Int)?
        // "\r\n" is one Character, not equal to "\n": split on both.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = index + 1
            var content = String(raw)
            if content.hasSuffix("\r") { content.removeLast() }
            if content.allSatisfy(\.isWhitespace) { continue }
            let fields: [String]
            do {
                fields = try splitCSV(content)
            } catch {
                throw PolicyError(.invalidLabelMap, "a quoted field is not closed on its line",
                                  remedy: "close the quote (a label map entry is one line)", file: path, line: line)
            }
            guard let columns = header else {
                let names = fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let label = names.firstIndex(of: "label"), let status = names.firstIndex(of: "label_status") else {
                    throw PolicyError(.invalidLabelMap, "the header must name the columns label and label_status; found: \(fields.joined(separator: ", "))",
                                      remedy: "start the file with the line label,label_status", file: path, line: line)
                }
                header = (label, status, fields.count)
                continue
            }
            guard fields.count == columns.count else {
                throw PolicyError(.invalidLabelMap, "the line has \(fields.count) fields but the header has \(columns.count)",
                                  remedy: "quote labels that contain a comma", file: path, line: line)
            }
            entries.append((fields[columns.label], fields[columns.status], line))
        }
        if header == nil {
            throw PolicyError(.invalidLabelMap, "the label map is empty", remedy: "start it with the line label,label_status",
                              file: path, line: 1)
        }
        return entries
    }

    /// The fields of one CSV line; a field may be quoted, with `""` for a quote.
    private static func splitCSV(_ line: String) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var iterator = Array(line).makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let n = iterator.next() {
                        if n == "\"" { field.append("\"") } else if n == "," {
                            quoted = false
                            fields.append(field)
                            field = ""
                            atFieldStart = true
                        } else {
                            quoted = false
                            field.append(n)
                        }
                        continue
                    }
                    quoted = false
                    continue
                }
                field.append(c)
            } else if c == "\"" && atFieldStart {
                quoted = true
                atFieldStart = false
            } else if c == "," {
                fields.append(field)
                field = ""
                atFieldStart = true
            } else {
                field.append(c)
                if !c.isWhitespace { atFieldStart = false }
            }
        }
        if quoted { throw CocoaError(.fileReadCorruptFile) }
        fields.append(field)
        return fields
    }

    private static func readYAML(_ text: String, path: String) throws -> [Entry] {
        let root: Node?
        do {
            root = try compose(text, path: path)
        } catch YamlError.duplicatedKeysInMapping {
            // Yams refuses a label written twice in the same spelling. Read each top-level
            // entry on its own instead, so that, as in CSV, a repeat with the same status is
            // accepted and one with another status is an error at its own line.
            var entries: [Entry] = []
            for chunk in topLevelEntries(text) {
                let node: Node?
                do {
                    node = try compose(chunk, path: path)
                } catch let error as YamlError {
                    // A key repeated within one entry (a flow mapping).
                    let converted = PolicyLoader.yamlError(error, origin: path)
                    throw PolicyError(.invalidLabelMap, converted.message, remedy: converted.remedy, file: path, line: converted.line)
                }
                guard let node else { continue }
                entries += try mappingEntries(node, path: path)
            }
            return entries
        }
        guard let root else {
            throw PolicyError(.invalidLabelMap, "the label map is empty", remedy: "write one 'label: status' line per label",
                              file: path, line: 1)
        }
        return try mappingEntries(root, path: path)
    }

    /// The YAML's nodes; errors become label-map errors at their line, except a repeated key,
    /// which is rethrown as it is.
    private static func compose(_ text: String, path: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            if case .duplicatedKeysInMapping = error { throw error }
            let converted = PolicyLoader.yamlError(error, origin: path)
            var line = converted.line
            // An unclosed quote or bracket is noticed where the text ends or the next entry
            // starts; the entry is on the line where it opened.
            switch error {
            case .scanner(let context?, _, _, _), .parser(let context?, _, _, _):
                if context.text.hasPrefix("while scanning a quoted scalar") || context.text.hasPrefix("while parsing a flow") {
                    line = context.mark.line
                }
            default:
                break
            }
            throw PolicyError(.invalidLabelMap, converted.message, remedy: converted.remedy, file: path, line: line,
                              underlying: converted.underlying)
        } catch {
            throw PolicyError(.invalidLabelMap, "not valid YAML: \(error)", file: path, underlying: error)
        }
    }

    /// The text split before each line that starts a top-level entry (anything but
    /// indentation, a comment or a blank line at its start), each part padded with empty lines
    /// so that it keeps the file's line numbers.
    private static func topLevelEntries(_ text: String) -> [String] {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        var chunks: [String] = []
        var start = 0
        for index in lines.indices.dropFirst() {
            guard let first = lines[index].first, first != " ", first != "\t", first != "#", first != "\r" else { continue }
            chunks.append(String(repeating: "\n", count: start) + lines[start..<index].joined(separator: "\n"))
            start = index
        }
        chunks.append(String(repeating: "\n", count: start) + lines[start...].joined(separator: "\n"))
        return chunks
    }

    private static func mappingEntries(_ root: Node, path: String) throws -> [Entry] {
        guard let mapping = root.mapping else {
            throw PolicyError(.invalidLabelMap, "a YAML label map must be a mapping from label to status",
                              remedy: "write one 'label: status' line per label, or use CSV with the header label,label_status",
                              file: path, line: root.mark.map { $0.line })
        }
        var entries: [Entry] = []
        for (key, value) in mapping {
            let line = key.mark?.line ?? 0
            guard let scalar = key.scalar else {
                throw PolicyError(.invalidLabelMap, "a label must be plain text", file: path, line: line)
            }
            let label = scalar.string
            if scalar.style == .plain && ["~", "null", "Null", "NULL", ""].contains(label) {
                // YAML reads these as no value at all: a label this way is likely a slip.
                throw PolicyError(.invalidLabelMap, "'\(label)' unquoted is YAML's null, not a label",
                                  remedy: "quote it ('\(label)') if a label is written so", file: path, line: line)
            }
            guard let status = value.scalar?.string else {
                throw PolicyError(.invalidLabelMap, "the status of '\(label)' must be one word: major, licensed, independent or unknown",
                                  file: path, line: value.mark?.line ?? line)
            }
            entries.append((label, status, value.mark?.line ?? line))
        }
        return entries
    }
}
