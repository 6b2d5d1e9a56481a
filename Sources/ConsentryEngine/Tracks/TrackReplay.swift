import ConsentryModel
import Foundation

/// Feeds tracks that were stored before (not read from inputs) through the same spill and
/// resolution as a scan: how a database from before history storage is turned into history,
/// one stored run after another.
public final class TrackReplay {
    private let spill: TrackSpill
    private let layout: TrackRecordLayout
    private let workDirectory: String
    private let jobs: Int
    private var position: UInt64 = 0

    public init(policyCount: Int, workDirectory: String, jobs: Int) throws {
        layout = TrackRecordLayout(policyCount: policyCount)
        spill = TrackSpill(directory: workDirectory, layout: layout)
        self.workDirectory = workDirectory
        self.jobs = jobs
    }

    /// Adds a track; tracks count in the order they are added.
    public func append(trackID: [UInt8], label: LabelStatus, verdicts: [UInt32]) throws {
        precondition(verdicts.count == layout.policyCount)
        try trackID.withUnsafeBufferPointer { id in
            try verdicts.withUnsafeBufferPointer { v in
                try spill.append(hash: TrackHash.of(id), position: position,
                                 flags: TrackRecordLayout.flags(label: label, containsAI: 0), labelNumber: 0,
                                 verdicts: v, text: id, idLength: id.count, artistLength: 0)
            }
        }
        position += 1
    }

    /// Resolves the tracks into history with `plan`; returns periods begun and ended.
    public func resolve(plan: HistoryPlan) throws -> (began: Int, ended: Int) {
        let files = try spill.finish()
        let resolver = TrackResolver(
            layout: layout, partitionFiles: files.map { [$0] }, labels: RunLabels(texts: []), plan: plan, jobs: jobs,
            budgetBytes: 48 << 20,
            workDirectory: workDirectory, cancellation: Cancellation())
        let resolution = try resolver.run()
        for file in files + resolution.duplicateFiles { try? FileManager.default.removeItem(atPath: file) }
        return (resolution.began, resolution.ended)
    }
}
