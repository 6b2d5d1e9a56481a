import CFileIO
import Foundation
import GRDB
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import TestSupport

@Suite("WritebackNudger: early writeback on SQLite's own descriptors")
struct WritebackNudgerTests {
    #if os(Linux)
    @Test("the writeback call reaches sync_file_range: 0 on a file, ESPIPE on a pipe")
    func writebackCall() throws {
        let dir = try TempDir("nudge")
        let fd = open(try dir.write("f", String(repeating: "x", count: 100_000)), O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(consentry_start_writeback(fd) == 0)
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        #expect(consentry_start_writeback(ends[0]) == -1)
        #expect(errno == ESPIPE)
    }

    @Test("it finds the database's and the WAL's descriptors, and never closes them")
    func ownDescriptors() throws {
        let dir = try TempDir("nudge")
        let database = try ResultsDatabase(path: dir.db, create: true)
        _ = try database.startRun(toolVersion: "test", storeMode: .all, commandLine: "test")
        let fds = WritebackNudger.openDescriptors(of: [dir.db, dir.db + "-wal"])
        #expect(fds.count == 2, "\(fds)")
        var inodes: Set<UInt64> = []
        for path in [dir.db, dir.db + "-wal"] {
            var s = stat()
            #expect(stat(path, &s) == 0)
            inodes.insert(UInt64(s.st_ino))
        }
        for fd in fds {
            var s = stat()
            #expect(fstat(fd, &s) == 0)
            #expect(inodes.contains(UInt64(s.st_ino)))
        }
        #expect(WritebackNudger.openDescriptors(of: [dir.file("absent.sqlite"), try dir.write("closed", "x")]).isEmpty)

        let nudger = WritebackNudger(databasePath: dir.db, interval: .milliseconds(1))
        try database.write { db in
            try db.execute(sql: "CREATE TABLE filler (b BLOB)")
            for _ in 0..<200 { try db.execute(sql: "INSERT INTO filler VALUES (zeroblob(4096))") }
        }
        Thread.sleep(forTimeInterval: 0.05)
        nudger.stop()
        nudger.stop()
        for fd in fds { #expect(fcntl(fd, F_GETFD) >= 0, "descriptor \(fd) was closed") }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM filler") } == 200)
        #expect(try database.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
    }
    #endif
}
