/// Copies of a few bytes — ids, artists, labels — inline, where `memmove` is a call.
enum ShortCopy {
    /// Copies `count` bytes from `source` to `destination` (not overlapping): up to 32 with
    /// overlapping loads and stores of words, reading and writing no byte outside the two.
    @inline(__always)
    static func copy(_ source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count n: Int) {
        @inline(__always) func move<T: FixedWidthInteger>(_: T.Type, at offset: Int) {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: T.self),
                                   toByteOffset: offset, as: T.self)
        }
        if n >= 8 && n <= 16 {
            move(UInt64.self, at: 0)
            move(UInt64.self, at: n &- 8)
        } else if n > 16 && n <= 32 {
            move(UInt64.self, at: 0)
            move(UInt64.self, at: 8)
            move(UInt64.self, at: n &- 16)
            move(UInt64.self, at: n &- 8)
        } else if n >= 4 && n < 8 {
            move(UInt32.self, at: 0)
            move(UInt32.self, at: n &- 4)
        } else {
            destination.copyMemory(from: source, byteCount: n)
        }
    }
}
