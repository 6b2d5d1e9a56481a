import ConsentryModel

/// The labels a run's tracks carry as numbers (``TrackRecordLayout``), and what each number
/// means: the index of its text in `texts`, the run's distinct labels (0: none).
///
/// A scan's records carry its ``LabelNumbers`` directly. A merge's carry each shard's own
/// numbers: every input was read by one shard, so a record's input finds its shard's
/// translation into the merge's labels.
struct RunLabels: Sendable {
    /// The run's distinct labels, by index; the first is the empty label.
    let texts: [String]
    /// For a merge: per input, where its shard's translation starts in `translation`, and
    /// how many numbers that shard gave.
    private let inputStart: [Int]
    private let numbersGiven: [Int]
    private let translation: [UInt32]

    /// A scan's labels: record numbers are indexes into `texts`.
    init(texts: [String]) {
        self.texts = texts.isEmpty ? [""] : texts
        inputStart = []
        numbersGiven = []
        translation = []
    }

    /// A merge's labels: each shard read `inputs` and numbered the labels `labels()` loads,
    /// which is called for one shard at a time; `inputCount` is the number of inputs of the
    /// whole scan.
    init(shards: [(inputs: [Int], labels: () throws -> [String])], inputCount: Int) throws {
        // Keyed by bytes, as ``LabelNumbers`` numbers them: `String`s that are canonically
        // equivalent Unicode are equal, and would make one label of two that a scan keeps apart.
        var index: [[UInt8]: UInt32] = [[]: 0]
        var texts = [""]
        var starts = Array(repeating: 0, count: inputCount)
        var counts = Array(repeating: 0, count: inputCount)
        var translation: [UInt32] = []
        for shard in shards {
            let start = translation.count
            let labels = try shard.labels()
            for text in labels {
                let key = Array(text.utf8)
                if let known = index[key] {
                    translation.append(known)
                } else {
                    index[key] = UInt32(texts.count)
                    translation.append(UInt32(texts.count))
                    texts.append(text)
                }
            }
            for input in shard.inputs where input < inputCount {
                starts[input] = start
                counts[input] = labels.count
            }
        }
        self.texts = texts
        inputStart = starts
        numbersGiven = counts
        self.translation = translation
    }

    /// The index in `texts` of a record's label; nil when its number is not one its scan
    /// gave (a damaged spill or shard file).
    @inline(__always)
    func index(_ record: TrackRecordRef) -> Int? {
        let number = Int(record.labelNumber)
        if inputStart.isEmpty { return number < texts.count ? number : nil }
        let input = TrackRecordLayout.input(ofPosition: record.position)
        guard input < numbersGiven.count, number < numbersGiven[input] else { return nil }
        return Int(translation[inputStart[input] + number])
    }

    /// The numbers of `texts` in the byte order of their texts, as history orders ids: their
    /// bytes side by side, sorted as (first eight bytes as one number, number) pairs, most of
    /// them told apart by the number.
    static func byteOrder(of texts: [String]) -> [Int32] {
        var bytes: [UInt8] = []
        var starts = [0]
        starts.reserveCapacity(texts.count + 1)
        var order: [(prefix: UInt64, index: Int32)] = []
        order.reserveCapacity(texts.count)
        for (index, text) in texts.enumerated() {
            bytes.append(contentsOf: text.utf8)
            // Big-endian, zero-padded: numbers in the order of the bytes, a shorter text first
            // or equal (then its bytes decide).
            var prefix: UInt64 = 0
            for k in 0..<min(8, bytes.count - starts[index]) { prefix |= UInt64(bytes[starts[index] + k]) << UInt64(56 - 8 * k) }
            starts.append(bytes.count)
            order.append((prefix, Int32(index)))
        }
        bytes.withUnsafeBytes { raw in
            starts.withUnsafeBufferPointer { starts in
                order.sort { a, b in
                    if a.prefix != b.prefix { return a.prefix < b.prefix }
                    let (i, j) = (Int(a.index), Int(b.index))
                    return TrackOrder.compareIDs(UnsafeRawBufferPointer(rebasing: raw[starts[i]..<starts[i + 1]]),
                                                 UnsafeRawBufferPointer(rebasing: raw[starts[j]..<starts[j + 1]])) < 0
                }
            }
        }
        return order.map(\.index)
    }
}
