import ConsentryModel
import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine

@Suite struct TrackSpillTests {
    @Test("a partition file that cannot be created is a work-file error naming it, the files before it closed once")
    func uncreatableFile() throws {
        let dir = try TempDir("spillcreate")
        let blocked = dir.file(TrackSpill.fileName(partition: 5))
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        for _ in 0..<3 {
            // Closing the five opened files twice, or freeing the buffers twice, would crash
            // here or fail a later round's files.
            let error = thrownError { try TrackSpill(directory: dir.path, layout: TrackRecordLayout(policyCount: 1)) }
            let failure = try #require(error as? WorkFileError)
            #expect(failure.file == blocked)
        }
        try FileManager.default.removeItem(atPath: blocked)
        let spill = try TrackSpill(directory: dir.path, layout: TrackRecordLayout(policyCount: 1))
        #expect(try spill.finish().count == TrackSpill.partitionCount)
    }
}
