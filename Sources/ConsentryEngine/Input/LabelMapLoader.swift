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
            throw PolicyError(.invalidLabelMap, "cannot read the label map: \(error.localizedDescription)",
                              remedy: "check the path and its permissions", file: path, underlying: error)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw PolicyError(.invalidLabelMap, "the label map is not UTF-8 text", remedy: "save it as UTF-8", file: path)
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
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
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
            root = try PolicyLoader.compose(text, origin: path)
        } catch let error as PolicyError {
            throw PolicyError(.invalidLabelMap, error.message, remedy: error.remedy, file: path, line: error.line,
                              underlying: error.underlying)
        }
        guard let root else {
            throw PolicyError(.invalidLabelMap, "the label map is empty", remedy: "write one 'label: status' line per label",
                              file: path, line: 1)
        }
        guard let mapping = root.mapping else {
            throw PolicyError(.invalidLabelMap, "a YAML label map must be a mapping from label to status",
                              remedy: "write one 'label: status' line per label, or use CSV with the header label,label_status",
                              file: path, line: root.mark.map { $0.line })
        }
        var entries: [Entry] = []
        for (key, value) in mapping {
            let line = key.mark?.line ?? 0
            guard let label = key.scalar?.string else {
                throw PolicyError(.invalidLabelMap, "a label must be plain text", file: path, line: line)
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
