import ConsentryModel

/// Turns decoded records into rejects or policy decisions (contract §1.3–§1.4, §2).
///
/// One per worker: it owns the scratch space for unescaping, so it is not shared.
final class RecordProcessor {
    private let isJSON: Bool
    private let evaluator: PolicyEvaluator
    private let policyCount: Int
    private let labelMap: LabelMap?
    private let keepsArtists: Bool
    private let labelNumbers: LabelNumbers
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    @exclusivity(unchecked) private var labels = LabelCache()
    /// The last scanned track whose label is still to be looked up: its index in the
    /// chunk's records (-1: none) and its label's key, the bytes of a label longer than the
    /// key's head in `pendingBytes`. A lookup waits one record, so that the memo's cache
    /// line, asked for when the label was read, has arrived by then (see
    /// ``process(_:into:)``).
    @exclusivity(unchecked) private var pendingRecord = -1
    @exclusivity(unchecked) private var pendingKey = LabelCache.Key.none
    private let pendingBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: TrackRecordLayout.maxTextBytes)
    /// When every decision follows from a track's key (``PolicyEvaluator/isTableDriven``):
    /// each key's packed decisions, one per policy, side by side, so that a track's are one
    /// copy. Going through the evaluator cost two `Array` reads and an append per policy.
    private let decisionsByKey: UnsafeMutablePointer<UInt32>?

    static let maxTrackIDBytes = TrackRecordLayout.maxIDBytes

    init(isJSON: Bool, evaluator: PolicyEvaluator, options: InputOptions, labelNumbers: LabelNumbers) {
        self.isJSON = isJSON
        self.labelNumbers = labelNumbers
        self.evaluator = evaluator
        self.policyCount = evaluator.policies.count
        self.labelMap = options.labelMap
        self.keepsArtists = options.keepsArtists
        scratch.reserveCapacity(4096)
        if evaluator.isTableDriven {
            let rows = UnsafeMutablePointer<UInt32>.allocate(capacity: PolicyEvaluator.keyCount * policyCount)
            for key in 0..<PolicyEvaluator.keyCount {
                for p in 0..<policyCount {
                    (rows + key * policyCount + p).initialize(to: evaluator.evaluate(p, PolicyEvaluator.facts(forKey: key)))
                }
            }
            decisionsByKey = rows
        } else {
            decisionsByKey = nil
        }
    }

    deinit {
        pendingBytes.deallocate()
        decisionsByKey?.deallocate()
    }

    /// Decodes `bytes` with `decoder` into `result`; finishes the input when `isLast`.
    func run(_ decoder: RecordDecoder, _ bytes: UnsafeBufferPointer<UInt8>, isLast: Bool, into result: ChunkResult) {
        let before = decoder.lineFeeds
        let handle: (inout RawRecord) -> Bool = { record in
            self.process(&record, into: result)
            return true
        }
        decoder.decode(bytes, emit: handle)
        if isLast { decoder.finish(emit: handle) }
        numberPendingLabel(into: result)
        foldKeyCounts(into: result)
        result.lineFeeds += decoder.lineFeeds - before
        result.openDecoder = decoder.isAtRecordBoundary ? nil : decoder
    }

    /// Gives the pending track its label's number.
    @inline(__always)
    private func numberPendingLabel(into result: ChunkResult) {
        guard pendingRecord >= 0 else { return }
        result.records[pendingRecord].labelNumber = labels.number(of: pendingKey, tail: pendingBytes, numbers: labelNumbers)
        pendingRecord = -1
    }

    /// Adds the tracks counted by key to the statistics, `n` at a time per key.
    private func foldKeyCounts(into result: ChunkResult) {
        guard evaluator.isTableDriven else { return }
        var packed = [UInt32](repeating: 0, count: policyCount)
        for key in 0..<PolicyEvaluator.keyCount where result.keyCounts[key] != 0 {
            let facts = PolicyEvaluator.facts(forKey: key)
            for p in 0..<policyCount { packed[p] = evaluator.evaluate(p, facts) }
            packed.withUnsafeBufferPointer {
                result.statistics.add(label: facts.labelStatus, packed: $0, sign: result.keyCounts[key])
            }
            result.keyCounts[key] = 0
        }
    }

    private func reject(_ record: RawRecord, _ code: RejectCode, _ field: RecordField?, _ message: String,
                        into result: ChunkResult) {
        result.rejects.append(RejectedRecord(
            line: record.line, offset: record.offset, code: code, column: field?.name,
            message: message, excerpt: FieldText.excerpt(record.excerptBytes)))
    }

    /// A short quotable rendering of a value for messages.
    private static func quoted(_ b: UnsafeBufferPointer<UInt8>) -> String {
        var text = String(decoding: UnsafeBufferPointer(rebasing: b[0..<min(b.count, 60)]), as: UTF8.self)
        if b.count > 60 { text += "…" }
        return "'\(text)'"
    }

    /// A record's bytes and fields: what the common cases read. A plain pair of pointers,
    /// where passing the ``RawRecord`` itself to a function copies all of it first, and the
    /// copy's first load waits for the decoder's stores of it to land.
    private struct Fields {
        let bytes: UnsafeBufferPointer<UInt8>
        let values: UnsafeBufferPointer<FieldValue>

        @inline(__always)
        subscript(_ field: RecordField) -> FieldValue { values[field.rawValue] }

        /// A boolean field's value in the common cases; nil when it needs ``parseFlagSlow``.
        ///
        /// `@_transparent`, as ``time(_:needsValue:)`` and the parsers they call: with
        /// `@inline(__always)` the optimizer still left five calls a record in `process`
        /// (`@_transparent` is refused on a class's methods, so they live here).
        @_transparent
        func flag(_ field: RecordField) -> Bool? {
            switch self[field] {
            case .absent, .null:
                // JSON's null is no value, as an empty CSV field: false.
                return false
            case .bool(let v):
                return v
            case .text(let s, let e, false):
                var start = Int(s)
                var end = Int(e)
                FieldText.trim(bytes, &start, &end)
                return FieldText.parseBool(bytes, start, end)
            case .number(let s, let e, true):
                // JSON's 0 and 1; any other integer is no boolean, which the slow path reports.
                return FieldText.parseBool(bytes, Int(s), Int(e))
            default:
                return nil
            }
        }

        /// A timestamp field's value in the common cases, `.some(nil)` when it is absent; nil
        /// when it needs ``parseTimeSlow``.
        @_transparent
        func time(_ field: RecordField, needsValue: Bool) -> Int64?? {
            switch self[field] {
            case .absent, .null:
                return .some(nil)
            case .text(let s, let e, false):
                var start = Int(s)
                var end = Int(e)
                FieldText.trim(bytes, &start, &end)
                if start == end { return .some(nil) }
                if let v = FieldText.parseTimestamp(bytes, start, end, value: needsValue) { return .some(v) }
                return nil
            default:
                return nil
            }
        }
    }

    private enum Value {
        case empty
        case text(UnsafeBufferPointer<UInt8>)
        case integer(UnsafeBufferPointer<UInt8>)
        case number(UnsafeBufferPointer<UInt8>)
        case bool(Bool)
        case container
        case undecodable
    }

    /// Gives `body` the trimmed value of a field; text that needed unescaping lives in `scratch`.
    @inline(__always)
    private func withValue<R>(_ record: RawRecord, _ field: RecordField, _ body: (Value) -> R) -> R {
        let b = record.bytes
        switch record.fields[field.rawValue] {
        case .absent, .null:
            return body(.empty)
        case .bool(let v):
            return body(.bool(v))
        case .container:
            return body(.container)
        case .number(let s, let e, let integer):
            let slice = UnsafeBufferPointer(rebasing: b[Int(s)..<Int(e)])
            return body(integer ? .integer(slice) : .number(slice))
        case .text(let s, let e, let escaped):
            var start = Int(s)
            var end = Int(e)
            if !escaped {
                FieldText.trim(b, &start, &end)
                return body(start == end ? .empty : .text(UnsafeBufferPointer(rebasing: b[start..<end])))
            }
            scratch.removeAll(keepingCapacity: true)
            let raw = UnsafeBufferPointer(rebasing: b[start..<end])
            if isJSON {
                guard FieldText.appendJSONUnescaped(raw, to: &scratch) else { return body(.undecodable) }
            } else {
                FieldText.appendCSVUnquoted(raw, to: &scratch)
            }
            return scratch.withUnsafeBufferPointer { buf in
                var s2 = 0
                var e2 = buf.count
                FieldText.trim(buf, &s2, &e2)
                return body(s2 == e2 ? .empty : .text(UnsafeBufferPointer(rebasing: buf[s2..<e2])))
            }
        }
    }

    /// The trimmed bounds of a field that is plain text needing no unescaping: the common
    /// case, which skips the general path.
    @inline(__always)
    private static func plainText(_ record: Fields, _ field: RecordField) -> (Int, Int)? {
        guard case .text(let s, let e, false) = record[field] else { return nil }
        var start = Int(s)
        var end = Int(e)
        FieldText.trim(record.bytes, &start, &end)
        return (start, end)
    }

    /// The bounds of a track id written as plain text or, in JSON, as an integer (which
    /// keeps its digits as written); nil when it needs ``trackIDSlow``.
    @inline(__always)
    private static func plainID(_ record: Fields) -> (Int, Int)? {
        if case .number(let s, let e, true) = record[.trackID] { return (Int(s), Int(e)) }
        return plainText(record, .trackID)
    }

    /// The general case of ``Fields/flag(_:)``: escaped text, JSON values, and rejects; nil after
    /// rejecting the record.
    @inline(never)
    private func parseFlagSlow(_ record: RawRecord, _ field: RecordField, into result: ChunkResult) -> Bool? {
        var problem = ""
        let value: Bool? = withValue(record, field) { value in
            switch value {
            case .empty: return false
            case .bool(let v): return v
            case .text(let t), .integer(let t):
                if let v = FieldText.parseBool(t, 0, t.count) { return v }
                problem = RecordProcessor.quoted(t)
            case .number(let t):
                problem = RecordProcessor.quoted(t)
            case .container, .undecodable:
                problem = "(an object, array or broken string)"
            }
            return nil
        }
        if value == nil {
            reject(record, .invalidBoolean, field,
                   "\(field.name) \(problem) is not a boolean; use true/false, yes/no, y/n, t/f, 1/0, or leave it empty",
                   into: result)
        }
        return value
    }

    /// The general case of ``Fields/time(_:needsValue:)``: escaped text, JSON values, and
    /// rejects; `.some(nil)` for an absent timestamp, nil after rejecting the record.
    @inline(never)
    private func parseTimeSlow(_ record: RawRecord, _ field: RecordField, needsValue: Bool,
                               into result: ChunkResult) -> Int64?? {
        var problem = ""
        let value: Int64?? = withValue(record, field) { value in
            switch value {
            case .empty: return .some(nil)
            case .text(let t):
                if let v = FieldText.parseTimestamp(t, 0, t.count, value: needsValue) { return .some(v) }
                problem = RecordProcessor.quoted(t)
            default:
                problem = "(not a string)"
            }
            return nil
        }
        if value == nil {
            reject(record, .invalidTimestamp, field,
                   "\(field.name) \(problem) is not an existing ISO 8601 date or time; write YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm]",
                   into: result)
        }
        return value
    }

    /// The general case of reading `track_id`: appends it to `result.ids`, or returns the
    /// reject.
    @inline(never)
    private func trackIDSlow(_ record: RawRecord, into result: ChunkResult) -> (RejectCode, String)? {
        withValue(record, .trackID) { value in
            switch value {
            case .empty:
                return (.missingTrackID, "track_id is empty; every record needs a track id")
            case .text(let t), .integer(let t):
                if t.count > RecordProcessor.maxTrackIDBytes {
                    return (.invalidTrackID, "track_id is \(t.count) bytes long; at most \(RecordProcessor.maxTrackIDBytes) are allowed")
                }
                for c in t where c < 0x20 || c == 0x7F {
                    return (.invalidTrackID, "track_id contains a control character")
                }
                result.ids.append(contentsOf: t)
                return nil
            case .number(let t):
                return (.invalidTrackID, "track_id \(RecordProcessor.quoted(t)) must be a string or an integer")
            case .bool, .container, .undecodable:
                return (.invalidTrackID, "track_id must be a string or an integer")
            }
        }
    }

    private func process(_ record: inout RawRecord, into result: ChunkResult) {
        result.rowsRead += 1
        if let problem = record.problem {
            switch problem.pointee {
            case .recordTooLong:
                reject(record, .recordTooLong, nil, "record is longer than --max-record-bytes; reading resumed after the next line break", into: result)
            case .unterminatedQuote:
                reject(record, .unterminatedQuote, nil, "a quoted field is still open at the end of the input; a closing \" is missing", into: result)
            case .fieldCount(let expected, let found):
                reject(record, .fieldCount, nil, "record has \(found) fields but the header has \(expected); quote fields that contain the delimiter", into: result)
            case .invalidJSON(let why):
                reject(record, .invalidJSON, nil, "not valid JSON: \(why)", into: result)
            case .notAnObject:
                reject(record, .notAnObject, nil, "valid JSON but not an object; each line must be one JSON object", into: result)
            case .invalidXML(let why):
                reject(record, .invalidXML, nil, why, into: result)
            }
            return
        }
        if record.hasNonASCII && !FieldText.isValidUTF8(record.bytes) {
            reject(record, .invalidUTF8, nil, "record is not valid UTF-8; re-export it as UTF-8", into: result)
            return
        }

        let fields = Fields(bytes: record.bytes, values: record.fields)

        // track_id
        let idStart = result.ids.count
        if let (start, end) = RecordProcessor.plainID(fields), start < end,
           end - start <= RecordProcessor.maxTrackIDBytes,
           !FieldText.containsControl(record.bytes, start, end) {
            result.ids.append(contentsOf: UnsafeBufferPointer(rebasing: record.bytes[start..<end]))
        } else if let (code, message) = trackIDSlow(record, into: result) {
            // Here, not after the branches: a message kept until then was released (nil as
            // it nearly always is) by a call per record.
            reject(record, code, .trackID, message, into: result)
            return
        }
        let idLength = result.ids.count - idStart
        func undo() { result.ids.truncate(to: idStart) }

        // The label's memo entry is likely a cache miss: it starts loading now. (`count > 0`
        // rather than `isEmpty`, here and below: the optimizer left `isEmpty` a call.)
        let labelText = inPlaceText(fields, .label)
        var labelKey = LabelCache.Key.none
        if let text = labelText, text.count > 0 {
            labelKey = LabelCache.key(text)
            labels.prefetch(labelKey)
        }

        // label_status: an explicit value wins; an empty one comes from the label map.
        var label: LabelStatus? = nil
        var labelGiven = true
        if let (start, end) = RecordProcessor.plainText(fields, .labelStatus) {
            labelGiven = start < end
            label = FieldText.parseLabelStatus(record.bytes, start, end)
        }
        if label == nil {
            label = withValue(record, .labelStatus) { value in
            switch value {
            case .empty:
                labelGiven = false
                return .unknown
            case .text(let t): return FieldText.parseLabelStatus(t, 0, t.count)
            default: return nil
            }
            }
        }
        guard var label else {
            let shown: String = withValue(record, .labelStatus) { value in
                if case .text(let t) = value { return RecordProcessor.quoted(t) }
                return "(not a string)"
            }
            reject(record, .invalidLabelStatus, .labelStatus,
                   "label_status \(shown) is not one of major, licensed, independent (or unsigned), unknown", into: result)
            undo()
            return
        }
        let datesNeeded = evaluator.comparesDates
        guard let genai = fields.flag(.genaiOptIn) ?? parseFlagSlow(record, .genaiOptIn, into: result),
              let optOut = fields.flag(.aiOptOut) ?? parseFlagSlow(record, .aiOptOut, into: result),
              let noAI = fields.flag(.noAITag) ?? parseFlagSlow(record, .noAITag, into: result),
              let uploadedAt = fields.time(.uploadedAt, needsValue: datesNeeded)
                ?? parseTimeSlow(record, .uploadedAt, needsValue: datesNeeded, into: result),
              (fields.time(.consentUpdatedAt, needsValue: false)
                ?? parseTimeSlow(record, .consentUpdatedAt, needsValue: false, into: result)) != nil else {
            undo()
            return
        }


        // artist_id follows the id in `ids`; the label travels as its number.
        var artistLength = 0
        if keepsArtists {
            // Appended here, not by a closure shared with the slow path: a closure capturing
            // `result` cost a retain and a release per track.
            if let text = inPlaceText(fields, .artistID) {
                result.ids.append(contentsOf: text)
                artistLength = text.count
            } else {
                artistLength = appendFreeText(record, .artistID, to: result)
            }
        }
        // The previous track's label is looked up now, its memo entry loaded meanwhile.
        numberPendingLabel(into: result)
        var labelNumber: UInt32 = 0
        var labelSlot: Int? = nil
        if let text = labelText {
            if text.count > 0 {
                if labelGiven || labelMap == nil {
                    // The common case: no map to ask, so the number can wait for the next
                    // track (or the chunk's end), by which time the entry has arrived.
                    if text.count > LabelCache.headBytes {
                        pendingBytes.update(from: text.baseAddress!, count: text.count)
                    }
                    pendingRecord = result.records.count
                    pendingKey = labelKey
                } else {
                    labelSlot = labels.slot(of: text, hash: labelKey.hash, numbers: labelNumbers)
                }
            }
        } else {
            labelSlot = withFreeText(record, .label) { text in
                text.count == 0 ? nil : labels.slot(of: text, hash: LabelCache.hash(text), numbers: labelNumbers)
            }
        }
        if let slot = labelSlot {
            labelNumber = labels.number(slot)
            if !labelGiven, let labelMap {
                if labels.length(slot) + 4 > TrackRecordLayout.maxTextBytes {
                    // The label may have been cut for storage; the map is matched with all of it.
                    label = withValue(record, .label) { value in
                        switch value {
                        case .text(let t), .integer(let t), .number(let t): return labelMap.status(of: t) ?? .unknown
                        case .empty, .bool, .container, .undecodable: return .unknown
                        }
                    }
                } else {
                    label = labels.status(slot, in: labelMap)
                }
            }
        }

        let facts = TrackFacts(labelStatus: label, genaiOptIn: genai, aiOptOut: optOut, noAITag: noAI,
                               uploadedAt: uploadedAt)
        if let decisionsByKey {
            let key = PolicyEvaluator.key(facts)
            result.verdicts.append(contentsOf: UnsafeBufferPointer(start: decisionsByKey + key &* policyCount, count: policyCount))
            result.keyCounts[key] &+= 1
        } else {
            let first = result.verdicts.count
            for p in 0..<policyCount {
                result.verdicts.append(evaluator.evaluate(p, facts))
            }
            result.statistics.add(label: label, packed: UnsafeBufferPointer(rebasing: result.verdicts.buffer[first...]))
        }
        let hash = TrackHash.of(result.ids.base + idStart, count: idLength)
        result.records.append(ScannedRecord(
            hash: hash, offset: record.offset, idStart: UInt32(idStart), idLength: UInt16(idLength),
            artistLength: UInt16(artistLength), labelNumber: labelNumber, label: label,
            containsAI: record.containsAI?.rawValue ?? 0))
    }

    /// A free-text field's value when it can be read where it lies — absent, plain text, or a
    /// CSV field quoted only for a comma (the common cases) — trimmed and cut for storage;
    /// nil when it needs ``withFreeText(_:_:_:)``.
    @inline(__always)
    private func inPlaceText(_ record: Fields, _ field: RecordField) -> UnsafeBufferPointer<UInt8>? {
        var start = 0
        var end = 0
        switch record[field] {
        case .absent, .null:
            break
        case .text(let s, let e, let escaped):
            start = Int(s)
            end = Int(e)
            if escaped {
                guard !isJSON, let content = FieldText.simpleQuotedContent(record.bytes, start, end) else { return nil }
                (start, end) = content
            }
            FieldText.trim(record.bytes, &start, &end)
        default:
            return nil
        }
        return RecordProcessor.capped(UnsafeBufferPointer(rebasing: record.bytes[start..<end]))
    }

    /// Gives `body` a free-text field's value, unescaped, trimmed and cut for storage: the
    /// general case of ``inPlaceText(_:_:)``. A number keeps its text; a boolean, an object
    /// or an array, which name nothing, are empty.
    @inline(never)
    private func withFreeText<R>(_ record: RawRecord, _ field: RecordField, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withValue(record, field) { value in
            switch value {
            case .empty, .bool, .container, .undecodable:
                return body(UnsafeBufferPointer(start: nil, count: 0))
            case .text(let t), .integer(let t), .number(let t):
                return body(RecordProcessor.capped(t))
            }
        }
    }

    /// Appends a free-text field's value (``withFreeText(_:_:_:)``) to `result.ids`; returns
    /// its length.
    @inline(never)
    private func appendFreeText(_ record: RawRecord, _ field: RecordField, to result: ChunkResult) -> Int {
        withFreeText(record, field) { text in
            result.ids.append(contentsOf: text)
            return text.count
        }
    }

    /// A `label` or `artist_id` keeps at most ``TrackRecordLayout/maxTextBytes`` (cut at a
    /// character boundary): they are grouped by and stored with every track's history, and
    /// longer values are not names.
    @inline(__always)
    private static func capped(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var n = text.count
        if n > TrackRecordLayout.maxTextBytes {
            n = TrackRecordLayout.maxTextBytes
            // Never cut inside a character.
            while n > 0 && text[n] & 0xC0 == 0x80 { n -= 1 }
        }
        return UnsafeBufferPointer(rebasing: text[0..<n])
    }
}
