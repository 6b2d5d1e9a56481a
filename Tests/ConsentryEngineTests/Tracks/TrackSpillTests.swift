import ConsentryModel
import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine

@Suite struct TrackSpillTests {
    @Test("a partition file that cannot be created is a work-file error naming it when it is first written, the files before it closed once")
    func uncreatableFile() throws {
        let dir = try TempDir("spillcreate")
        let blocked = dir.file(TrackSpill.fileName(partition: 5))
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        for _ in 0..<3 {
            // Closing the five opened files twice, or freeing the buffers twice, would crash
            // here or fail a later round's files.
            let spill = TrackSpill(directory: dir.path, layout: TrackRecordLayout(policyCount: 1))
            let error = thrownError { try spill.finish() }
            let failure = try #require(error as? WorkFileError)
            #expect(failure.file == blocked)
        }
        try FileManager.default.removeItem(atPath: blocked)
        let spill = TrackSpill(directory: dir.path, layout: TrackRecordLayout(policyCount: 1))
        #expect(try spill.finish().count == TrackSpill.partitionCount)
    }

    @Test("the partition files are made as they are first written, and every one exists once the spill is finished")
    func filesMadeWhenWritten() throws {
        let dir = try TempDir("spilllazy")
        let layout = TrackRecordLayout(policyCount: 1)
        let spill = TrackSpill(directory: dir.path, layout: layout)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let id = Array("track-1".utf8)
        let hash = TrackHash.of(id)
        try [UInt32(7)].withUnsafeBufferPointer { verdicts in
            try id.withUnsafeBufferPointer { text in
                try spill.append(hash: hash, position: 0, flags: 0, labelNumber: 0, verdicts: verdicts, text: text,
                                 idLength: id.count, artistLength: 0)
            }
        }
        let files = try spill.finish()
        #expect(files.count == TrackSpill.partitionCount)
        let sizes = try files.map { try #require(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        #expect(sizes[TrackSpill.partition(of: hash)] == layout.size(textBytes: id.count))
        #expect(sizes.reduce(0, +) == layout.size(textBytes: id.count))
    }
}
