/// A growable array of plain values for the per-record hot loop of one ``ChunkResult``.
///
/// An `Array` stored in a class checks that its buffer is uniquely referenced (a runtime
/// call) on every append; a record appends to three of them. This one cannot be copied, so
/// it owns its memory alone and appends with a bounds check only.
struct ChunkArray<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    fileprivate var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The elements; valid until the array next grows or goes away.
    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    subscript(index: Int) -> Element {
        @inline(__always) get {
            precondition(index >= 0 && index < count, "ChunkArray index out of range")
            return base[index]
        }
        @inline(__always) set {
            precondition(index >= 0 && index < count, "ChunkArray index out of range")
            base[index] = newValue
        }
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Appends `elements` one at a time: a track appends a few (its decisions), for which a
    /// `memmove` call cost more than the copy.
    @inline(__always)
    mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        let n = elements.count
        if count + n > capacity { grow(to: count + n) }
        for i in 0..<n { (base + count + i).initialize(to: elements[i]) }
        count += n
    }

    /// Drops the elements from `newCount` on.
    mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count)
        count = newCount
    }

    mutating func removeAll() { count = 0 }

    /// Sets every element to `value`.
    mutating func fill(with value: Element) {
        base.update(repeating: value, count: count)
    }

    @inline(never)
    fileprivate mutating func grow(to minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        bigger.initialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }
}

extension ChunkArray where Element == UInt8 {
    /// Appends bytes; ids and artists, a few bytes each, through ``ShortCopy``.
    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        if count + n > capacity { grow(to: count + n) }
        guard let source = bytes.baseAddress else { return }
        ShortCopy.copy(UnsafeRawPointer(source), to: UnsafeMutableRawPointer(base + count), count: n)
        count += n
    }
}
