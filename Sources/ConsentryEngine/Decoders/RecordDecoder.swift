import ConsentryModel

/// A record decoder the pipeline can drive without knowing the format.
/// CSV, JSONL, or DDEX ERN (``ERNRecordDecoder``).
protocol RecordDecoder: AnyObject {
    var lineFeeds: Int { get }
    var lineOrigin: Int { get set }
    var isAtRecordBoundary: Bool { get }
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool)
    func finish(emit: (inout RawRecord) -> Bool)
}

extension CSVDecoder: RecordDecoder {
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) {
        feed(bytes, emit: emit)
    }
}

extension JSONLDecoder: RecordDecoder {
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) {
        feed(bytes, emit: emit)
    }
}
