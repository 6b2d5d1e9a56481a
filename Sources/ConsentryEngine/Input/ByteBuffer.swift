import ConsentryModel

/// A fixed-capacity byte buffer that moves between threads by reference and is reused.
///
/// The pipeline recycles these instead of allocating a megabyte per chunk, which would page
/// fault its way through fresh memory on every chunk.
final class ByteBuffer: @unchecked Sendable {
    let capacity: Int
    let base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}
