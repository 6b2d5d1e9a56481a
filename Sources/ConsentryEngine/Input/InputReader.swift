import ConsentryModel

/// Reads one input: decompresses it, decides its format, reads the CSV header and cuts the
/// rest into chunks that end at a line break (a DDEX message is cut the same way, and its
/// decoder is carried from chunk to chunk).
///
/// Only one thread uses a reader at a time (the pipeline hands it over under its lock).
final class InputReader {
    let index: Int
    let path: String
    private let options: InputOptions
    private var reader: DecompressingReader?
    private(set) var format: InputFormat = .csv
    private var csvConfiguration = CSVDecoder.Configuration()
    private var jsonConfiguration = JSONLDecoder.Configuration()
    /// Decompressed bytes read but not yet handed out in a chunk.
    private var pending: [UInt8] = []
    private var nextOffset = 0
    private var sequence = 0
    /// LF bytes before the first chunk (the header and blank lines before it).
    private(set) var headerLineFeeds = 0
    private(set) var finished = false

    private let cancellation: Cancellation?
    /// Where a copy of the raw bytes goes (standard input's), if anywhere.
    private let rawCopy: String?

    init(index: Int, path: String, options: InputOptions, cancellation: Cancellation? = nil, rawCopy: String? = nil) {
        self.cancellation = cancellation
        self.rawCopy = rawCopy
        self.index = index
        self.path = path
        self.options = options
    }

    /// What the finished input's reader said of it (``release()``).
    private var finishedIsGzip = false
    private var finishedRawBytes = 0
    private var finishedSHA256 = ""

    var isGzip: Bool { reader?.isGzip ?? finishedIsGzip }
    var rawBytes: Int { reader?.rawBytesRead ?? finishedRawBytes }
    var sha256: String { reader?.sha256Hex ?? finishedSHA256 }

    /// A decoder for a chunk that starts at a record boundary at `offset`.
    func makeDecoder(offset: Int) -> RecordDecoder {
        switch format {
        case .csv: return CSVDecoder(csvConfiguration, offset: offset)
        case .jsonl: return JSONLDecoder(jsonConfiguration, offset: offset)
        case .ddex: return ERNRecordDecoder(startsInput: offset == 0)
        }
    }

    /// Fills `buffer` with the next chunk; the last chunk has `isLast` set.
    func nextChunk(into buffer: ByteBuffer) throws -> RawChunk {
        precondition(!finished)
        if reader == nil {
            let source = try ByteSource(path: path)
            if let cancellation { source.interruption = { cancellation.error } }
            if let rawCopy { source.copy = try WorkFileWriter(path: rawCopy) }
            reader = DecompressingReader(source: source)
            try begin()
        }
        let reader = reader!
        buffer.count = min(pending.count, buffer.capacity)
        pending.withUnsafeBufferPointer { buffer.base.update(from: $0.baseAddress!, count: buffer.count) }
        pending.removeSubrange(0..<buffer.count)
        var atEnd = false
        while pending.isEmpty && buffer.count < buffer.capacity {
            let n = try reader.read(into: UnsafeMutableRawBufferPointer(
                start: buffer.base + buffer.count, count: buffer.capacity - buffer.count))
            if n == 0 { atEnd = true; break }
            buffer.count += n
        }
        if !atEnd {
            var last = buffer.count - 1
            while last >= 0 && buffer.base[last] != UInt8(ascii: "\n") { last -= 1 }
            if last >= 0 {
                // The partial line after the last break goes back in front of what is pending.
                let cut = last + 1
                pending.insert(contentsOf: UnsafeBufferPointer(start: buffer.base + cut, count: buffer.count - cut), at: 0)
                buffer.count = cut
            }
            // Without a line break the whole buffer goes: the decoder carries the line over.
        } else {
            finished = true
            release()
        }
        let chunk = RawChunk(input: index, sequence: sequence, buffer: buffer, offset: nextOffset, isLast: atEnd)
        sequence += 1
        nextOffset += buffer.count
        return chunk
    }

    /// Closes the finished input and frees its buffers, keeping what the run records of it.
    ///
    /// A scan keeps a reader per input until it ends, and a directory of DDEX deliveries is
    /// thousands of small files: an open descriptor each would pass the usual limit of 1,024
    /// (`Too many open files`), and a read buffer each would make memory grow with the number
    /// of inputs.
    private func release() {
        guard let reader else { return }
        finishedIsGzip = reader.isGzip
        finishedRawBytes = reader.rawBytesRead
        finishedSHA256 = reader.sha256Hex
        self.reader = nil
        pending = []
    }

    /// Reads up to `count` more decompressed bytes onto `into`; false at the end of input.
    private func readMore(_ into: inout [UInt8], _ count: Int) throws -> Bool {
        let start = into.count
        into.append(contentsOf: repeatElement(0, count: count))
        let n = try into.withUnsafeMutableBytes { raw in
            try reader!.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
        into.removeLast(count - n)
        return n > 0
    }

    /// Decides the format and reads the CSV header from the first bytes of the input.
    private func begin() throws {
        var head: [UInt8] = []
        var atEnd = !(try readMore(&head, 64 << 10))
        let hasBOM = head.count >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF
        if let explicit = options.format ?? InputFormat.fromName(path) {
            format = explicit
        } else {
            // By content: the first byte that is not blank (after a BOM) decides.
            var i = hasBOM ? 3 : 0
            while true {
                while i < head.count, [0x20, 0x09, 0x0D, 0x0A].contains(head[i]) { i += 1 }
                if i < head.count || atEnd || head.count > options.maxRecordBytes { break }
                atEnd = !(try readMore(&head, 64 << 10))
            }
            format = i < head.count && head[i] == UInt8(ascii: "{") ? .jsonl
                : i < head.count && head[i] == UInt8(ascii: "<") ? .ddex : .csv
        }
        switch format {
        case .jsonl:
            jsonConfiguration = JSONLDecoder.Configuration(
                maxRecordBytes: options.maxRecordBytes, names: FieldNames(overrides: options.columns, reading: options.reads))
            let skip = hasBOM ? 3 : 0
            pending = Array(head[skip...])
            nextOffset = skip
        case .ddex:
            // The XML parser reads the byte order mark itself; positions count from byte 0.
            pending = head
            nextOffset = 0
        case .csv:
            try readHeader(head, atEnd: atEnd)
        }
    }

    /// Parses the header record from `head` and as much more input as it needs; what
    /// follows it stays pending for the first chunk.
    private func readHeader(_ head: [UInt8], atEnd: Bool) throws {
        let decoder = CSVDecoder(
            CSVDecoder.Configuration(delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes),
            offset: 0, atStreamStart: true)
        decoder.collectsAllFields = true
        var names: [String]? = nil
        var problem: String? = nil
        let take: (inout RawRecord) -> Bool = { record in
            if let error = record.structuralError {
                problem = error == .recordTooLong
                    ? "the header is longer than --max-record-bytes"
                    : "the header has an unterminated quoted field"
                return false
            }
            var scratch: [UInt8] = []
            names = decoder.allFields.map { span in
                scratch.removeAll()
                let raw = UnsafeBufferPointer(rebasing: record.bytes[span.start..<span.end])
                if span.quoted { FieldText.appendCSVUnquoted(raw, to: &scratch) } else { scratch.append(contentsOf: raw) }
                return String(decoding: scratch, as: UTF8.self)
            }
            return false
        }
        var piece = head
        var atEnd = atEnd
        while true {
            let consumed = piece.withUnsafeBufferPointer { decoder.feed($0, emit: take) }
            if names != nil || problem != nil {
                pending = Array(piece[consumed...])
                break
            }
            if atEnd {
                decoder.finish(emit: take)
                break
            }
            piece.removeAll(keepingCapacity: true)
            atEnd = !(try readMore(&piece, 64 << 10))
        }
        if let problem {
            throw InputError(.badHeader, "\(problem)", remedy: "fix the first line of the export", file: path, line: 1)
        }
        guard let names else {
            // Not a byte at all (standard input or a pipe, which no size said was empty) is
            // the failed export a 0-byte file is.
            if reader?.rawBytesRead == 0 { throw InputError.emptyInput(path) }
            throw InputError(.missingColumn, "the input is empty: a CSV export needs a header line with at least track_id and label_status", file: path, line: 1)
        }
        nextOffset = decoder.offset
        headerLineFeeds = decoder.lineFeeds
        let headerLine = decoder.lineFeeds
        let normalized = names.map(FieldNames.key)
        var columnFields = [Int8](repeating: -1, count: names.count)
        let wanted = FieldNames(overrides: options.columns)
        for field in RecordField.allCases {
            let target = FieldNames.key(wanted[field])
            let matches = normalized.indices.filter { normalized[$0] == target }
            if matches.count > 1 {
                throw InputError(.badHeader, "columns \(matches.map { String($0 + 1) }.joined(separator: " and ")) are both named '\(target)'; a field must come from one column", file: path, line: max(headerLine, 1))
            }
            // A field not read is still checked: a header is wrong whatever the scan stores.
            if let column = matches.first, options.reads(field) { columnFields[column] = Int8(field.rawValue) }
        }
        for field in RecordField.requiredColumns(labelMap: options.labelMap != nil)
        where !columnFields.contains(Int8(field.rawValue)) {
            let hint = options.columns[field].map { " (mapped by --column to '\($0)')" } ?? ""
            let wantedColumn = wanted[field] == FieldNames.unmatchable
                ? "column for \(field.name) (--column gave '\(field.name)' to another field)" : "'\(wanted[field])' column\(hint)"
            throw InputError(
                .missingColumn,
                "the header has no \(wantedColumn); found: \(names.joined(separator: ", ")). Use --column \(field.name)=NAME if it has another name",
                file: path, line: max(headerLine, 1))
        }
        csvConfiguration = CSVDecoder.Configuration(
            delimiter: options.delimiter, maxRecordBytes: options.maxRecordBytes,
            columnFields: columnFields, columnCount: names.count)
    }
}
