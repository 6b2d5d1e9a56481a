import ConsentryModel

/// Reads an input again to find records by byte offset: the line and excerpt of a
/// duplicate's reject.
///
/// Duplicates are only known once every input has been read, and keeping every record's
/// line and excerpt until then would cost memory or disk per track. A catalogue has few
/// duplicates, and only the first `--keep-rejects` of each input are stored, so reading the
/// inputs that have some once more costs less. Standard input is read again from the copy
/// the scan kept of it.
final class DuplicateLocator {
    private let reader: InputReader
    private let chunkBytes: Int

    /// `path` is where the input's bytes are now (a copy, for standard input).
    init(path: String, index: Int, options: InputOptions, cancellation: Cancellation) {
        reader = InputReader(index: index, path: path, options: options, cancellation: cancellation)
        chunkBytes = options.chunkBytes
    }

    /// Decodes the input front to back, calling `found` for each record whose offset
    /// `wanted` names; `wanted` gives increasing offsets, then nil, which ends the reading.
    func run(wanted: () throws -> Int?, found: (_ offset: Int, _ line: Int, _ excerpt: String) throws -> Void) throws {
        guard var target = try wanted() else { return }
        let buffer = ByteBuffer(capacity: chunkBytes)
        var decoder: RecordDecoder?
        var failure: (any Error)?
        var done = false
        let handle: (inout RawRecord) -> Bool = { record in
            guard !done, failure == nil, record.offset >= target else { return true }
            if record.offset == target {
                do {
                    try found(record.offset, record.line, FieldText.excerpt(record.excerptBytes))
                    if let next = try wanted() { target = next } else { done = true }
                } catch {
                    failure = error
                }
            } else {
                failure = WorkFileError(
                    .damaged, "no record starts at byte \(target) any more: the input changed while it was scanned",
                    remedy: "scan it again once it is complete", file: self.reader.path)
            }
            return true
        }
        while !done {
            let chunk = try reader.nextChunk(into: buffer)
            if decoder == nil {
                decoder = reader.makeDecoder(offset: chunk.offset)
                decoder!.lineOrigin = reader.headerLineFeeds
            }
            decoder!.decode(chunk.buffer.bytes, emit: handle)
            if chunk.isLast { decoder!.finish(emit: handle) }
            if let failure { throw failure }
            if chunk.isLast { break }
        }
        if !done {
            throw WorkFileError(
                .damaged, "the input ended before byte \(target): it changed while it was scanned",
                remedy: "scan it again once it is complete", file: self.reader.path)
        }
    }
}
