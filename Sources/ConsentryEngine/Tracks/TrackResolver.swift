import CMemory
import ConsentryModel
import Foundation

/// What resolving a run's tracks found.
public struct TrackResolution: Sendable {
    /// Statistics to add to the run's: the duplicates' counts taken back (negative).
    public var statistics: RunStatistics
    /// Distinct tracks scanned.
    public var tracks = 0
    /// Records whose id was already scanned earlier in input order.
    public var duplicates = 0
    /// The distinct tracks by label (spellings that differ in case only are one label), and
    /// by declared `ContainsAI`.
    public var labels: LabelTally
    public var containsAI = ContainsAICounts()
    /// The duplicates' records (any order; ``SortedTracks`` puts them in input order); a
    /// partition without duplicates has no file.
    public var duplicateFiles: [String] = []
    /// History: periods begun, and periods ended.
    public var began = 0
    public var ended = 0

    init(policyCount: Int) {
        statistics = RunStatistics(policyCount: policyCount)
        labels = LabelTally(policyCount: policyCount)
    }
}

/// Decides the duplicates of each partition of a run's tracks exactly and — with a
/// ``HistoryPlan`` — merges the tracks with the previous state into history changes and a
/// new state.
///
/// With history, records sort by (hash, id, position), so every occurrence of an id is
/// adjacent and the first in input order comes first: it counts, the others are
/// duplicates. Without, a partition that fits the budget needs no order: the first
/// occurrences are found by ``FirstOccurrences``. Either way ids are compared in full, so a
/// shared hash never makes two tracks one. Partitions are independent: `jobs` threads take
/// them in turn.
final class TrackResolver: @unchecked Sendable {
    private let layout: TrackRecordLayout
    private let partitionFiles: [[String]]
    private let labels: RunLabels
    private let plan: HistoryPlan?
    private let jobs: Int
    private let budgetBytes: Int
    private let workDirectory: String
    private let cancellation: Cancellation

    /// Guards what follows; signalled when a partition is resolved or a thread fails.
    private let lock = NSCondition()
    private var nextPartition = 0
    /// Which partitions are resolved, their history changes and state file written.
    private var resolved: [Bool]
    private var failure: (any Error)?
    private var resolution: TrackResolution
    /// The threads' by-label counts summed, laid out as ``PartitionWork/labelCounts``.
    private var labelCounts: [Int]
    /// Which labels differ only in case, and the labels in the byte order of their texts:
    /// found from their texts beside the threads.
    private var caseGroups: Breakdown.CaseGroups?
    private var byteOrder: [Int32]?
    /// The labels alone in their case group (the empty one aside), in the byte order of
    /// their texts: each names its group's row if it has tracks. Set under `lock`.
    private var loneLabels: [Int]?

    /// `partitionFiles[p]` are the spill files of partition `p` (from a scan, or from every
    /// shard), whose label numbers `labels` reads; `budgetBytes` is each thread's memory for
    /// sorting. Those inside `workDirectory` (a scan's own spill, not a shard's result) are
    /// removed as soon as their partition is resolved: by the thread that read them, so that
    /// freeing their pages runs in parallel, and their space is free for what follows.
    init(layout: TrackRecordLayout, partitionFiles: [[String]], labels: RunLabels, plan: HistoryPlan?, jobs: Int,
         budgetBytes: Int, workDirectory: String, cancellation: Cancellation) {
        self.layout = layout
        self.partitionFiles = partitionFiles
        self.labels = labels
        labelCounts = Array(repeating: 0, count: labels.texts.count * (1 + layout.policyCount))
        self.plan = plan
        self.jobs = max(1, jobs)
        self.budgetBytes = budgetBytes
        self.workDirectory = workDirectory
        self.cancellation = cancellation
        resolution = TrackResolution(policyCount: layout.policyCount)
        resolution.duplicateFiles = partitionFiles.indices.map { workDirectory + "/duplicates-\($0).bin" }
        resolved = Array(repeating: false, count: partitionFiles.count)
    }

    /// Resolves every partition; `consume(p)` is called on the calling thread for each
    /// partition in order, as soon as it is resolved, while the threads go on with the
    /// next ones (the run's transaction inserts a partition's history changes meanwhile,
    /// instead of after the last one). `grouped(labels)` is called on it once, as soon as
    /// the labels' case groups are known: `labels` are the numbers of those alone in their
    /// group (not the empty one), in the byte order of their texts, which name their rows of
    /// the ``LabelTally`` if they have tracks (the run's transaction numbers them meanwhile).
    /// An error `consume` or `grouped` throws stops the threads.
    func run(consume: (Int) throws -> Void = { _ in }, grouped: (([Int]) throws -> Void)? = nil) throws -> TrackResolution {
        let group = DispatchGroup()
        for worker in 0..<min(jobs, partitionFiles.count) {
            group.enter()
            let thread = Thread { [self] in
                work()
                group.leave()
            }
            thread.name = "consentry-resolver-\(worker)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        // Folding tens of thousands of labels' case takes a String and a lookup each, and
        // their byte order a sort: work for the time the threads count, not for after them.
        group.enter()
        let folding = Thread { [self] in
            let groups = Breakdown.CaseGroups(keys: labels.texts)
            let order = RunLabels.byteOrder(of: labels.texts)
            var spellings = [Int](repeating: 0, count: groups.count)
            for g in groups.group { spellings[g] += 1 }
            let lone = order.map(Int.init).filter { $0 != 0 && spellings[groups.group[$0]] == 1 }
            caseGroups = groups
            byteOrder = order
            lock.lock()
            loneLabels = lone
            lock.broadcast()
            lock.unlock()
            group.leave()
        }
        folding.name = "consentry-label-case"
        folding.start()
        var handed = grouped == nil
        do {
            for p in partitionFiles.indices {
                while let lone = try waitUntilResolved(p, orLabels: !handed) {
                    handed = true
                    try grouped!(lone)
                }
                try consume(p)
            }
        } catch {
            lock.lock()
            if failure == nil { failure = error }
            lock.unlock()
        }
        group.wait()
        if let failure { throw failure }
        if let reason = cancellation.error { throw reason }
        if !handed { try grouped!(loneLabels!) }
        resolution.labels = labelTally()
        return resolution
    }

    /// Waits until partition `p` is resolved, or with `orLabels` until the lone labels are
    /// known, which it returns then; throws when a thread failed or the scan was cancelled
    /// (checked every 100 ms: cancelling does not signal this condition).
    private func waitUntilResolved(_ p: Int, orLabels: Bool) throws -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        while !resolved[p] {
            if let failure { throw failure }
            if let reason = cancellation.error { throw reason }
            if orLabels, let loneLabels { return loneLabels }
            _ = lock.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        return nil
    }

    /// The counted labels, case folded: each policy decided every track.
    private func labelTally() -> LabelTally {
        let policies = layout.policyCount
        let stride = 1 + policies
        var rows = [Int](repeating: 0, count: labels.texts.count * 2 * policies)
        for k in labels.texts.indices where labelCounts[k * stride] > 0 {
            for p in 0..<policies {
                rows[2 * policies * k + 2 * p] = labelCounts[k * stride]
                rows[2 * policies * k + 2 * p + 1] = labelCounts[k * stride + 1 + p]
            }
        }
        return LabelTally(policyCount: policies, texts: labels.texts, groups: caseGroups!, order: byteOrder!, rows: rows)
    }

    private func work() {
        var local = PartitionWork(layout: layout, labelCount: labels.texts.count, plan: plan)
        while true {
            lock.lock()
            if failure != nil || nextPartition == partitionFiles.count || cancellation.error != nil {
                lock.unlock()
                break
            }
            let p = nextPartition
            nextPartition += 1
            lock.unlock()
            do {
                try resolve(partition: p, into: &local)
                for file in partitionFiles[p] where file.hasPrefix(workDirectory + "/") { unlink(file) }
            } catch {
                lock.lock()
                if failure == nil { failure = error }
                lock.broadcast()
                lock.unlock()
                return
            }
            lock.lock()
            resolved[p] = true
            lock.broadcast()
            lock.unlock()
        }
        lock.lock()
        resolution.statistics.merge(local.statistics)
        for i in labelCounts.indices { labelCounts[i] += local.labelCounts[i] }
        resolution.containsAI.merge(local.containsAI)
        resolution.tracks += local.tracks
        resolution.duplicates += local.duplicates
        resolution.began += local.began
        resolution.ended += local.ended
        lock.unlock()
    }

    private func resolve(partition p: Int, into work: inout PartitionWork) throws {
        if plan == nil, budgetBytes <= FirstOccurrences.maxBytes, let (records, count) = try SortedTracks.inMemory(
            files: partitionFiles[p], layout: layout, budgetBytes: budgetBytes) {
            try resolveUnordered(records, count: count, partition: p, into: &work)
            return
        }
        let sorted = try SortedTracks(
            files: partitionFiles[p], layout: layout, order: .hash, budgetBytes: budgetBytes,
            workDirectory: workDirectory, runPrefix: "sort-\(p)")
        var duplicates = Duplicates(path: resolution.duplicateFiles[p])
        var history: PartitionHistory?
        if let plan {
            history = try PartitionHistory(plan: plan, partition: p)
        }
        var lastHash: UInt64 = 0
        // The last distinct id, copied: a record read from sorted runs on disk is gone by the
        // next one.
        let lastID = UnsafeMutableRawPointer.allocate(byteCount: TrackRecordLayout.maxIDBytes, alignment: 8)
        defer { lastID.deallocate() }
        var lastLength = 0
        var haveLast = false
        var count = 0
        while let record = try sorted.next() {
            count &+= 1
            // The label counts of a record a few on start to load: a cache miss per distinct
            // track otherwise, as in ``resolveUnordered(_:count:partition:into:)``.
            if let soon = sorted.upcoming(4) { prefetchCounts(of: soon, into: work) }
            if count & 0xFFFF == 0, let reason = cancellation.error { throw reason }
            let id = record.id
            if haveLast && record.hash == lastHash
                && SortedTracks.compareIDs(id, UnsafeRawBufferPointer(start: lastID, count: lastLength)) == 0 {
                try duplicates.add(record, to: &work)
                continue
            }
            haveLast = true
            lastHash = record.hash
            if id.count > 0 { ShortCopy.copy(id.baseAddress!, to: lastID, count: id.count) }
            lastLength = id.count
            work.count(record, label: try label(of: record, partition: p))
            try history?.track(record, work: &work)
        }
        try history?.finish(work: &work)
        try duplicates.close()
    }

    /// Resolves a partition that fits in memory, for a scan without history: the first
    /// occurrences are found by ``FirstOccurrences`` as the records lie, with no sort.
    private func resolveUnordered(_ records: [UInt8], count: Int, partition p: Int, into work: inout PartitionWork) throws {
        var duplicates = Duplicates(path: resolution.duplicateFiles[p])
        try records.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }   // no records
            var table = FirstOccurrences(records: raw, count: count, layout: layout)
            // The slot and the label counts of the record `lookahead` records on start to
            // load while this one is counted: both are cache misses in tables larger than
            // the caches the partition streams through, and one record ahead was too close.
            let lookahead = 6
            var ahead = 0
            @inline(__always) func prefetchAhead() {
                let record = TrackRecordRef(base: base + ahead, layout: layout)
                table.prefetch(hash: record.hash)
                prefetchCounts(of: record, into: work)
                ahead += record.size
            }
            for _ in 0..<lookahead where ahead < raw.count { prefetchAhead() }
            var offset = 0
            var seen = 0
            while offset < raw.count {
                seen &+= 1
                if seen & 0xFFFF == 0, let reason = cancellation.error { throw reason }
                let record = TrackRecordRef(base: base + offset, layout: layout)
                let next = offset + record.size
                if ahead < raw.count { prefetchAhead() }
                switch table.offer(record, offset: offset) {
                case .first:
                    work.count(record, label: try label(of: record, partition: p))
                case .later:
                    try duplicates.add(record, to: &work)
                case .earlier(let replacing):
                    let held = TrackRecordRef(base: base + replacing, layout: layout)
                    work.count(held, label: try label(of: held, partition: p), sign: -1)
                    try duplicates.add(held, to: &work)
                    work.count(record, label: try label(of: record, partition: p))
                }
                offset = next
            }
        }
        try duplicates.close()
    }

    /// Starts loading the label counts `record` will be counted in (none for a label number
    /// its scan never gave, which counting rejects).
    @inline(__always)
    private func prefetchCounts(of record: TrackRecordRef, into work: borrowing PartitionWork) {
        if let label = labels.index(record) { work.prefetchCounts(label: label) }
    }

    /// The index in `labels` of a record's label.
    @inline(__always)
    private func label(of record: TrackRecordRef, partition p: Int) throws -> Int {
        guard let label = labels.index(record) else {
            throw WorkFileError(.damaged, "a spill file holds a track whose label number its scan never gave",
                                remedy: "it was changed while consentry ran; run the scan (or the shard) again",
                                file: partitionFiles[p].joined(separator: ", "))
        }
        return label
    }
}

/// A partition's duplicates: their counts taken back, their records kept for their
/// rejects in a file made by the first one (most partitions have none, and a file made and
/// removed for each cost more than resolving a partition without duplicates).
private struct Duplicates {
    let path: String
    private var file: WorkFileWriter?

    init(path: String) { self.path = path }

    mutating func add(_ record: TrackRecordRef, to work: inout PartitionWork) throws {
        work.takeBack(record)
        if file == nil { file = try WorkFileWriter(path: path, bufferBytes: 64 << 10) }
        try file!.write(UnsafeRawBufferPointer(start: record.base, count: record.size))
    }

    func close() throws { try file?.close() }
}

/// One resolver thread's running totals and caches. Not copyable: a copy would share the
/// counts in memory of their own (``counts``) with it.
struct PartitionWork: ~Copyable {
    let layout: TrackRecordLayout
    var statistics: RunStatistics
    var tracks = 0
    var duplicates = 0
    var began = 0
    var ended = 0
    /// The counts every distinct track adds to, in memory of their own: as arrays, counting
    /// a track checked two arrays' uniqueness.
    private let counts: Counts
    /// Per label (by ``RunLabels`` index): its distinct tracks, then per policy those exposed
    /// to AI training.
    var labelCounts: UnsafeMutableBufferPointer<Int> { counts.labels }
    /// Distinct tracks by their record's flags byte: label status and declared `ContainsAI`
    /// (``TrackRecordLayout``). Counted here, in this module, because ``ContainsAICounts``'
    /// method, in another, was a call per track.
    private var byFlags: UnsafeMutableBufferPointer<Int> { counts.byFlags }

    private final class Counts {
        let labels: UnsafeMutableBufferPointer<Int>
        let byFlags: UnsafeMutableBufferPointer<Int>

        init(labels: Int) {
            self.labels = .allocate(capacity: labels)
            self.labels.initialize(repeating: 0)
            byFlags = .allocate(capacity: 16)
            byFlags.initialize(repeating: 0)
        }

        deinit {
            labels.deallocate()
            byFlags.deallocate()
        }
    }
    private var verdictScratch: [UInt32]
    /// (previous combination, tonight's label and verdicts) → next combination.
    var transitions: [Transition: UInt32] = [:]
    /// Previous combination → the combination without tonight's policies (absent tracks).
    var removals: [UInt32: UInt32] = [:]
    /// The latest transitions of runs with up to four policies, by a cheap hash of the move:
    /// per slot the previous combination, the label status, four decisions and the next
    /// combination + 1 (0: empty). Nearly every track repeats one of a few moves, and
    /// `transitions` costs a full `Hasher` round per track.
    var recentMoves: [UInt32] = Array(repeating: 0, count: PartitionWork.recentSlots * 7)
    static let recentSlots = 256

    /// A track's move: its previous combination and tonight's label and decisions. Up to
    /// four policies are held inline, so that a lookup allocates nothing.
    struct Transition: Hashable {
        var previous: UInt32
        var label: UInt8
        var first: (UInt32, UInt32, UInt32, UInt32)
        var rest: [UInt32]

        init(previous: UInt32, label: UInt8, verdicts: [UInt32]) {
            self.previous = previous
            self.label = label
            let n = verdicts.count
            first = (n > 0 ? verdicts[0] : 0, n > 1 ? verdicts[1] : 0, n > 2 ? verdicts[2] : 0, n > 3 ? verdicts[3] : 0)
            rest = n > 4 ? Array(verdicts[4...]) : []
        }

        static func == (a: Transition, b: Transition) -> Bool {
            a.previous == b.previous && a.label == b.label && a.first == b.first && a.rest == b.rest
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(previous)
            hasher.combine(label)
            hasher.combine(first.0)
            hasher.combine(first.1)
            hasher.combine(first.2)
            hasher.combine(first.3)
            if !rest.isEmpty { hasher.combine(rest) }
        }
    }

    init(layout: TrackRecordLayout, labelCount: Int, plan: HistoryPlan?) {
        self.layout = layout
        statistics = RunStatistics(policyCount: layout.policyCount)
        counts = Counts(labels: labelCount * (1 + layout.policyCount))
        verdictScratch = Array(repeating: 0, count: layout.policyCount)
    }

    /// Counts a distinct track, whose label has index `label`, in the breakdowns the
    /// statistics do not hold; `sign` -1 takes back a track counted as distinct that turned
    /// out to be a later occurrence.
    @inline(__always)
    mutating func count(_ record: TrackRecordRef, label: Int, sign: Int = 1) {
        tracks += sign
        let at = label * (1 + layout.policyCount)
        labelCounts[at] += sign
        for p in 0..<layout.policyCount where PackedDecisions.trainingExposed(record.verdict(p)) {
            labelCounts[at + 1 + p] += sign
        }
        byFlags[Int(record.flags & 0xF)] &+= sign
    }

    /// Starts loading the counts of the label with index `label`, to be counted soon.
    @inline(__always)
    func prefetchCounts(label: Int) {
        consentry_prefetch_write(labelCounts.baseAddress! + label * (1 + layout.policyCount))
    }

    /// The distinct tracks by label status and declared `ContainsAI`.
    var containsAI: ContainsAICounts {
        var counts = ContainsAICounts()
        for (flags, n) in byFlags.enumerated() where n != 0 {
            counts.add(label: LabelStatus(rawValue: UInt8(flags) & 3)!, declared: ContainsAI(rawValue: UInt8(flags) >> 2),
                       count: n)
        }
        return counts
    }

    /// Takes a duplicate's counts back out of the statistics.
    mutating func takeBack(_ record: TrackRecordRef) {
        duplicates += 1
        for p in 0..<layout.policyCount { verdictScratch[p] = record.verdict(p) }
        let label = record.label
        verdictScratch.withUnsafeBufferPointer { statistics.add(label: label, packed: $0, sign: -1) }
    }
}

/// Merges one partition's distinct tracks with its previous state.
///
/// A class: the resolver calls it once per track, and a struct with this many references
/// held in an optional was copied (retained and released field by field) on every call.
final class PartitionHistory {
    let plan: HistoryPlan
    private let previous: TrackStateReader?
    // Accessed by this partition's thread only: no dynamic exclusivity checks per track.
    @exclusivity(unchecked) private var current: TrackStateRef?
    private let state: WorkFileWriter
    private let output: any HistoryPartitionWriter
    /// The track's decisions, copied once per track: not an `Array`, whose every write
    /// checked its uniqueness.
    private let verdicts: UnsafeMutableBufferPointer<UInt32>

    init(plan: HistoryPlan, partition p: Int) throws {
        self.plan = plan
        if let files = plan.previousState, FileManager.default.fileExists(atPath: files[p]) {
            previous = try TrackStateReader(path: files[p])
        } else {
            previous = nil
        }
        state = try WorkFileWriter(path: plan.newStateDirectory + "/" + HistoryPlan.stateFileName(partition: p),
                                   writesBack: true)
        output = try plan.output.partition(p)
        verdicts = .allocate(capacity: plan.policyNumbers.count)
        verdicts.initialize(repeating: 0)
        current = try previous?.next()
    }

    deinit { verdicts.deallocate() }

    /// Orders a state record against a scanned one: by hash, then id bytes.
    @inline(__always)
    private static func compare(_ s: TrackStateRef, _ r: TrackRecordRef) -> Int {
        if s.hash != r.hash { return s.hash < r.hash ? -1 : 1 }
        return SortedTracks.compareIDs(s.id, r.id)
    }

    func track(_ record: TrackRecordRef, work: inout PartitionWork) throws {
        while let s = current, PartitionHistory.compare(s, record) < 0 {
            try absent(s, work: &work)
            current = try previous!.next()
        }
        var present = true
        if plan.exposedOnly {
            present = (0..<record.layout.policyCount).contains { PackedDecisions.anyExposed(record.verdict($0)) }
        }
        if let s = current, PartitionHistory.compare(s, record) == 0 {
            if present {
                try settle(s, next: transition(from: s.combo, record, work: &work), artist: record.artist, work: &work)
            } else {
                try settle(s, next: removal(from: s.combo, work: &work), artist: s.artist, work: &work)
            }
            current = try previous!.next()
        } else if present {
            let next = transition(from: 0, record, work: &work)
            try settle(hash: record.hash, id: record.id, fromRun: nil, combo: 0, artist: nil, next: next,
                       nextArtist: record.artist, work: &work)
        }
    }

    func finish(work: inout PartitionWork) throws {
        while let s = current {
            try absent(s, work: &work)
            current = try previous!.next()
        }
        try state.close(durable: true)
        try output.close()
    }

    private func absent(_ s: TrackStateRef, work: inout PartitionWork) throws {
        try settle(s, next: removal(from: s.combo, work: &work), artist: s.artist, work: &work)
    }

    /// Records a known track's move from its current period to `next` with `artist`.
    private func settle(_ s: TrackStateRef, next: UInt32, artist: UnsafeRawBufferPointer,
                        work: inout PartitionWork) throws {
        try settle(hash: s.hash, id: s.id, fromRun: s.fromRun, combo: s.combo, artist: s.artist, next: next,
                   nextArtist: artist, work: &work)
    }

    /// Records the track's move from `combo` with `artist` (begun in `fromRun`; nil: new) to
    /// `next` with `nextArtist`. A period lasts while both stay the same: the artist is what
    /// the by-artist breakdown of any stored run groups by.
    private func settle(hash: UInt64, id: UnsafeRawBufferPointer, fromRun: Int64?, combo: UInt32,
                        artist: UnsafeRawBufferPointer?, next: UInt32, nextArtist: UnsafeRawBufferPointer,
                        work: inout PartitionWork) throws {
        if next == combo, let fromRun, let artist, SortedTracks.compareIDs(artist, nextArtist) == 0 {
            try TrackStateRef.write(to: state, hash: hash, fromRun: fromRun, combo: combo, id: id, artist: artist)
            return
        }
        if let fromRun {
            try output.ended(hash: hash, id: id, fromRun: fromRun, combo: combo)
            work.ended += 1
        }
        if next != 0 {
            try output.began(hash: hash, id: id, combo: next, artist: nextArtist)
            try TrackStateRef.write(to: state, hash: hash, fromRun: plan.runID, combo: next, id: id, artist: nextArtist)
            work.began += 1
        }
    }

    /// The combination after tonight's scan found the track with `record`'s decisions.
    private func transition(from previous: UInt32, _ record: TrackRecordRef, work: inout PartitionWork) -> UInt32 {
        for p in verdicts.indices { verdicts[p] = record.verdict(p) }
        let label = UInt32(record.label.rawValue)
        var slot = -1
        if verdicts.count <= 4 {
            let v = (verdicts.count > 0 ? verdicts[0] : 0, verdicts.count > 1 ? verdicts[1] : 0,
                     verdicts.count > 2 ? verdicts[2] : 0, verdicts.count > 3 ? verdicts[3] : 0)
            var h = UInt64(previous) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(label)
            h = (h ^ UInt64(v.0) ^ UInt64(v.1) << 32) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ UInt64(v.2) ^ UInt64(v.3) << 32) &* 0x94D0_49BB_1331_11EB
            slot = Int(truncatingIfNeeded: h >> 56) * 7
            let hit: UInt32? = work.recentMoves.withUnsafeBufferPointer { m in
                m[slot + 6] != 0 && m[slot] == previous && m[slot + 1] == label && m[slot + 2] == v.0
                    && m[slot + 3] == v.1 && m[slot + 4] == v.2 && m[slot + 5] == v.3 ? m[slot + 6] - 1 : nil
            }
            if let hit { return hit }
        }
        let next = slowTransition(from: previous, record, work: &work)
        if slot >= 0 {
            work.recentMoves.withUnsafeMutableBufferPointer { m in
                m[slot] = previous
                m[slot + 1] = label
                for p in 0..<4 { m[slot + 2 + p] = p < verdicts.count ? verdicts[p] : 0 }
                m[slot + 6] = next + 1
            }
        }
        return next
    }

    /// ``transition(from:_:work:)`` through the table of every move seen, numbering the
    /// combination when it is new.
    private func slowTransition(from previous: UInt32, _ record: TrackRecordRef, work: inout PartitionWork) -> UInt32 {
        let key = PartitionWork.Transition(previous: previous, label: record.label.rawValue, verdicts: Array(verdicts))
        if let next = work.transitions[key] { return next }
        var entries = plan.combos.entries(previous).filter { !plan.policyNumbers.contains($0.policy) }
        for (p, number) in plan.policyNumbers.enumerated() {
            entries.append(ComboTable.Entry(
                policy: number,
                state: StableDecisions.encode(label: record.label, packed: verdicts[p], ruleNumbers: plan.ruleNumbers[p])))
        }
        let next = plan.combos.number(of: entries)
        work.transitions[key] = next
        return next
    }

    /// The combination after tonight's scan did not find the track.
    private func removal(from previous: UInt32, work: inout PartitionWork) -> UInt32 {
        if let next = work.removals[previous] { return next }
        let entries = plan.combos.entries(previous).filter { !plan.policyNumbers.contains($0.policy) }
        let next = plan.combos.number(of: entries)
        work.removals[previous] = next
        return next
    }
}
