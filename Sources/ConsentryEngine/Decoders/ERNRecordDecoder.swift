import ConsentryModel

/// Drives an ``ERNDecoder`` for the pipeline: each `SoundRecording` of a DDEX ERN message
/// becomes one record whose fields are its id, label and artist (contract §1.5).
///
/// A message can only be mapped once it has been read to its end (in ERN 4 the releases that
/// name the labels follow the recordings), so the decoder is at a record boundary only
/// after ``finish(emit:)``: the merge continues it through every chunk of its input in turn.
/// A decoder made for a chunk that does not start its input therefore decodes nothing — its
/// speculative result is always replaced.
///
/// A record's bytes are the recording's XML excerpt (what a reject quotes), then its id,
/// label and artist, which its fields point at.
final class ERNRecordDecoder: RecordDecoder {
    private let decoder: ERNDecoder?
    private(set) var lineFeeds = 0
    var lineOrigin = 0
    private var finished = false
    private var bytes: [UInt8] = []
    private let fields: UnsafeMutableBufferPointer<FieldValue>
    private let problems = RawRecord.ProblemSlot()

    /// `startsInput`: the chunk is the input's first; otherwise the decoder is inert.
    init(startsInput: Bool) {
        decoder = startsInput ? ERNDecoder() : nil
        fields = .allocate(capacity: RecordField.allCases.count)
        fields.initialize(repeating: .absent)
    }

    deinit { fields.deallocate() }

    var isAtRecordBoundary: Bool { finished }

    func decode(_ bytes: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) {
        guard let decoder else { return }
        for byte in bytes where byte == 0x0A { lineFeeds += 1 }
        decoder.feed(bytes)
    }

    func finish(emit: (inout RawRecord) -> Bool) {
        guard let decoder, !finished else { return }
        finished = true
        decoder.finish { event in
            switch event {
            case .track(let track):
                emitTrack(track, emit)
            case .invalidMessage(let problem):
                bytes = Array(problem.excerpt.utf8)
                bytes.withUnsafeBufferPointer { buffer in
                    var record = RawRecord(
                        bytes: buffer, line: lineOrigin + problem.line, offset: problem.offset,
                        problem: problems.hold(.invalidXML(problem.message)), hasNonASCII: false,
                        fields: UnsafeBufferPointer(fields))
                    _ = emit(&record)
                }
            }
        }
    }

    private func emitTrack(_ track: ERNTrack, _ emit: (inout RawRecord) -> Bool) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: track.excerpt.utf8)
        let excerptEnd = bytes.count
        for (field, value) in [(RecordField.trackID, track.trackID), (.label, track.label), (.artistID, track.artistID)] {
            guard let value else {
                fields[field.rawValue] = .absent
                continue
            }
            let start = bytes.count
            bytes.append(contentsOf: value.utf8)
            fields[field.rawValue] = .text(start: Int32(start), end: Int32(bytes.count), escaped: false)
        }
        bytes.withUnsafeBufferPointer { buffer in
            // The decoder hands out valid UTF-8 only, so nothing needs checking.
            var record = RawRecord(
                bytes: buffer, line: lineOrigin + track.line, offset: track.offset, problem: nil,
                hasNonASCII: false, fields: UnsafeBufferPointer(fields), containsAI: track.containsAI,
                excerptEnd: excerptEnd)
            _ = emit(&record)
        }
    }
}
