import Foundation
import GRDB
import GRDBSQLite
import ConsentryModel
import ConsentryEngine

/// How many verdict rows a scan keeps (contract §5 `--store`).
public enum StoreMode: String, Sendable, CaseIterable {
    case all, exposed, none
}

/// One row of `runs`, for listings.
public struct RunInfo: Sendable, Equatable {
    public var id: Int64
    public var startedAt: String
    public var finishedAt: String?
    public var status: String
    public var error: String?
    public var rowsRead: Int?
    public var rowsScanned: Int?
    public var rowsRejected: Int?
    public var inputs: [String]
    /// `all`, `exposed` or `none` (`--store`).
    public var storeMode: String
    /// When `consentry prune` deleted the run's verdict and reject rows.
    public var prunedAt: String?
    /// Rejects counted but not stored (beyond `--keep-rejects`).
    public var rejectsNotKept = 0
}

/// The SQLite results database: schema, run lifecycle and queries (contract §4).
///
/// Every row a run writes (verdicts, rejects, statistics) is committed in one transaction
/// together with the run's change to `completed`. A crash or kill before that commit leaves
/// only the `running` row, which the next scan marks `failed` ("interrupted"): no partial
/// run is ever visible and earlier runs are never touched.
public final class ResultsDatabase {
    public let path: String
    let queue: DatabaseQueue
    /// Set while a new database's first run writes it in SQLite's rollback journal rather
    /// than the WAL (``openReadWrite(_:holdingLock:create:)``); ``useWAL()`` ends it.
    private var writesWithoutWAL: Bool

    /// Opens (creating when `create`) the database at `path`, upgrading its schema if needed.
    ///
    /// An upgrade writes (v2 copies `verdicts`), so it runs under the scan lock: a reader
    /// such as `consentry runs` that finds an old schema while a scan runs is refused
    /// (`locked`) instead of racing it, and keeps the next scan out until the upgrade is
    /// done. `holdingLock`: the caller has the lock.
    ///
    /// A reader (`create` false) that may not write the file or its directory — an analyst
    /// reading the database a nightly job writes as another user — opens it read-only
    /// instead (``openReadOnly(_:)``).
    public init(path: String, create: Bool, holdingLock: Bool = false) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if !create && !exists {
            throw StoreError(.missing, "no results database here", remedy: "run `consentry scan` first or pass --db PATH", file: path)
        }
        // SQLite would say only that it cannot open the file, which reads as a permissions
        // problem.
        if isDirectory.boolValue { throw ResultsDatabase.directoryError(path) }
        // A reader that may not write the file opens it read-only from the start. Opened
        // for writing, SQLite quietly opens such a file read-only, and in a directory the
        // reader may write (a shared or sticky one) it then creates `-wal` and `-shm` files
        // owned by the reader, which the nightly job's next scan, as the file's owner, cannot
        // write: it failed. So does a reader that could not remove the journal a killed
        // first run left: SQLite would roll the file back, then fail to delete the journal
        // with an I/O error; read-only, it is told what the journal means.
        if !create && (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0 || !ResultsDatabase.mayRemoveJournal(of: path)) {
            (queue, immutableSnapshot) = try ResultsDatabase.openReadOnly(path)
            writesWithoutWAL = false
            return
        }
        do {
            (queue, writesWithoutWAL) = try ResultsDatabase.openReadWrite(path, holdingLock: holdingLock, create: create)
            immutableSnapshot = nil
        } catch let error as StoreError where error.kind == .readOnly && !create {
            (queue, immutableSnapshot) = try ResultsDatabase.openReadOnly(path)
            writesWithoutWAL = false
        }
    }

    /// Opens the database at `path` read-only, as a reader without write access does;
    /// `internal` so that tests can do it as root.
    init(readOnly path: String) throws {
        self.path = path
        (queue, immutableSnapshot) = try ResultsDatabase.openReadOnly(path)
        writesWithoutWAL = false
    }

    /// `notADatabase`, as any other file that is not SQLite: nothing at `--db` is a database.
    private static func directoryError(_ path: String) -> StoreError {
        StoreError(.notADatabase, "this is a directory, not a database", remedy: "pass the database file to --db", file: path)
    }

    /// The page size of a database this tool creates.
    static let newPageSize = 32768

    /// How long a connection waits for another process's lock before it gives up (`locked`).
    public static let busyTimeout: TimeInterval = 10

    /// Opens the database for writing; returns whether this connection writes it without
    /// the WAL, which only the first run of a new database does.
    private static func openReadWrite(_ path: String, holdingLock: Bool, create: Bool) throws -> (DatabaseQueue, Bool) {
        let queue: DatabaseQueue
        var withoutWAL = false
        var configuration = Configuration()
        configuration.busyMode = .timeout(ResultsDatabase.busyTimeout)
        configuration.label = "consentry"
        configuration.prepareDatabase { db in
            // A small cache makes a bulk insert spill pages to the WAL (or, in a first run, the
            // file) while the scan runs instead of all at commit. Measured on a --store all scan: 32 MiB → 8 MiB saved
            // ~5%; 8 → 2 MiB ~2% (faster in 7 of 10 alternating rounds, slower in 1); 1 MiB lost.
            try db.execute(sql: "PRAGMA cache_size = -2048")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                // Refuse another program's database, or a newer one, before anything (even the
                // journal mode) is changed.
                try refuseForeignDatabase(db, path: path)
                try refuseNewerSchema(db, path: path)
                // A new database gets 32 KiB pages. A night writes its history a page per
                // write (through the WAL, twice: into it, then the checkpoint): 4 KiB pages made
                // that 47,000 pages each way for a first night of 5 M tracks, when it still went
                // through the WAL, and on a VM every write is a system call. Later nights, which write their changes, are no slower. SQLite keeps an
                // existing database's pages (in WAL mode they only change with a VACUUM).
                if try Int.fetchOne(db, sql: "PRAGMA page_count") == 0 {
                    try db.execute(sql: "PRAGMA page_size = \(ResultsDatabase.newPageSize)")
                }
                // The journal. A scan or merge (creating, with the scan lock) into a database
                // with no run yet writes its run in SQLite's rollback journal: its history is
                // nearly all pages the file did not have, which that journal never copies, so
                // they are written once, into the file. Through the WAL they were written
                // twice — into the WAL, then into the file at the checkpoint, the whole history
                // at a first night (0.4 s of 2.1 at 5 M tracks, and twice its size on disk until
                // the end). The price: readers wait for that run to end (``completeRun(_:_:)``;
                // ``translate(_:path:)`` says why).
                // Every other writer puts the database in WAL mode, which lets readers read
                // while a scan writes; readers leave the mode as it is.
                var mode = (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "").lowercased()
                if mode != "wal" && (create || holdingLock) {
                    if create && holdingLock, try !Schema.hasRuns(db) {
                        if mode != "delete" { mode = (try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") ?? "").lowercased() }
                        withoutWAL = true
                    } else {
                        mode = (try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") ?? "").lowercased()
                    }
                }
                // NORMAL is safe from power cuts in WAL mode only; the rollback journal needs
                // FULL not to risk a corrupt file (SQLite's documentation of `synchronous`).
                try db.execute(sql: mode == "wal" ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL")
            }
            let migrator = Schema.migrator(databasePath: path)
            if try queue.read({ db in try !migrator.hasCompletedMigrations(db) }) {
                var lock: DatabaseLock? = nil
                if !holdingLock {
                    do {
                        lock = try DatabaseLock(databasePath: path)
                    } catch let error as StoreError where error.kind == .locked {
                        throw StoreError(.locked, "the database's schema needs an upgrade, and a scan (or prune) that will do it is running", remedy: "try again when it has finished", file: path)
                    }
                }
                // A new database is made whole in one transaction; the migrations then find
                // nothing left to do.
                try queue.writeWithoutTransaction { db in
                    if try Schema.isEmpty(db) {
                        try db.inTransaction(.immediate) {
                            try CurrentSchema.create(db)
                            return .commit
                        }
                    }
                }
                try migrator.migrate(queue)
                withExtendedLifetime(lock) {}
            }
        } catch {
            throw ResultsDatabase.translate(error, path: path)
        }
        return (queue, withoutWAL)
    }

    /// Puts a database whose first run was written without the WAL into WAL mode, as every
    /// later run and reader uses it; call it when that run has ended, completed or failed.
    ///
    /// The switch needs the database to itself for a moment: it waits out readers for up to
    /// `attempts` busy timeouts (the run has ended, so waiting costs only time). When one
    /// still holds it, or the switch fails otherwise, it throws, and the next writer to open
    /// the database makes it (``openReadWrite(_:holdingLock:create:)``).
    public func useWAL(attempts: Int = 3, timeout: TimeInterval = ResultsDatabase.busyTimeout) throws {
        guard writesWithoutWAL else { return }
        var attempt = 1
        while true {
            do {
                try queue.writeWithoutTransaction { db in
                    sqlite3_busy_timeout(db.sqliteConnection, Int32(timeout * 1000))
                    defer { sqlite3_busy_timeout(db.sqliteConnection, Int32(ResultsDatabase.busyTimeout * 1000)) }
                    let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") ?? ""
                    guard mode.lowercased() == "wal" else {
                        throw StoreError(.other, "SQLite kept the journal mode '\(mode)' when asked for WAL", remedy: "run the next scan; it tries again", file: path)
                    }
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
                writesWithoutWAL = false
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < attempts {
                attempt += 1
            } catch {
                throw ResultsDatabase.translate(error, path: path)
            }
        }
    }

    /// Throws `notConsentry` for a SQLite database another program made: tables, and not this
    /// tool's first migration with the `runs` table it made. A mistyped `--db` must not add
    /// tables to it (a reader would have created the schema), nor fail halfway through a
    /// migration. (`v1` alone is GRDB's usual first migration: another GRDB program has it.)
    private static func refuseForeignDatabase(_ db: Database, path: String) throws {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name
            """)
        guard !tables.isEmpty else { return }
        if tables.contains("grdb_migrations") && tables.contains("runs"),
           try Schema.migrator(databasePath: path).appliedIdentifiers(db).contains(Schema.firstMigration),
           try Set(Row.fetchAll(db, sql: "PRAGMA table_info(runs)").map { $0["name"] as String })
               .isSuperset(of: ["tool_version", "store_mode", "command_line"]) { return }
        let shown = tables.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
        throw StoreError(
            .notConsentry, "this SQLite database was not made by consentry (it holds the tables \(shown)); it was left as it is",
            remedy: "pass --db a new file, or a database consentry made", file: path)
    }

    /// Throws `newerSchema` for a database with migrations this version does not know.
    private static func refuseNewerSchema(_ db: Database, path: String) throws {
        let migrator = Schema.migrator(databasePath: path)
        guard try migrator.hasBeenSuperseded(db) else { return }
        throw StoreError(
            .newerSchema,
            "this database was written by a newer consentry (schema \(try migrator.appliedIdentifiers(db).sorted().joined(separator: ", ")))", remedy: "upgrade consentry or use another --db",
            file: path)
    }

    /// The database file as a reader that opened it immutably saw it: the device, inode,
    /// size and modification time.
    struct FileSnapshot: Equatable {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

        init?(_ path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            device = UInt64(s.st_dev)
            inode = UInt64(s.st_ino)
            size = Int64(s.st_size)
            seconds = s.st_mtim.tv_sec
            nanoseconds = s.st_mtim.tv_nsec
        }
    }

    /// Set when the database was opened immutably: what the file looked like then.
    private let immutableSnapshot: FileSnapshot?

    /// Opens the database read-only, for a reader that may not write it.
    ///
    /// A WAL database is read through its `-shm` file, which SQLite needs to create when it
    /// is missing — and it is missing whenever no scan has the database open, since the last
    /// connection removes it. So: while a `-wal` and `-shm` are there (a scan is writing),
    /// SQLite reads through them read-only; otherwise the file is opened `immutable`, without
    /// locks or a `-shm`. That is exact as long as nothing writes the file meanwhile, and only
    /// the end of a scan (its checkpoint) or a prune does, so ``read(_:)`` compares the file
    /// before and after each read and refuses a read during which it changed.
    private static func openReadOnly(_ path: String) throws -> (DatabaseQueue, FileSnapshot?) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(ResultsDatabase.busyTimeout)
        configuration.label = "consentry"
        // A rollback journal beside the file: it is being written without the WAL (a new
        // database's first run, ``useWAL()``), or such a write was killed and left pages only
        // a writer can roll back. Either way the file's pages are not a state any run committed.
        if access(path + "-journal", F_OK) == 0 {
            throw StoreError(.locked, "the database is being written without its WAL (a new database's first run keeps readers out until it ends), or such a write was interrupted and no scan has undone it yet", remedy: "try again when the scan has finished, or after the next scan", file: path)
        }
        let snapshot: FileSnapshot?
        let location: String
        if access(path + "-wal", F_OK) == 0 && access(path + "-shm", R_OK) == 0 {
            snapshot = nil
            location = path
        } else if ResultsDatabase.usesRollbackJournal(path) {
            // Not in WAL mode (its first run, or one that has not switched yet): read with
            // SQLite's locks, which wait for a writer and never see its uncommitted pages,
            // and which this journal takes without creating any file.
            snapshot = nil
            location = "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?mode=ro"
        } else {
            snapshot = FileSnapshot(path)
            location = "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
        }
        do {
            let queue = try DatabaseQueue(path: location, configuration: configuration)
            try queue.read { db in
                try refuseForeignDatabase(db, path: path)
                try refuseNewerSchema(db, path: path)
                if try !Schema.migrator(databasePath: path).hasCompletedMigrations(db) {
                    throw StoreError(.readOnly, "the database's schema needs an upgrade, which needs write access to the file and its directory", remedy: "run any consentry command once as a user who can write it", file: path)
                }
            }
            return (queue, snapshot)
        } catch let error as StoreError {
            throw error
        } catch {
            let detail = (error as? DatabaseError)?.message ?? "\(error)"
            if let db = error as? DatabaseError, db.resultCode.primaryResultCode == .SQLITE_NOTADB {
                throw translate(error, path: path)
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw directoryError(path)
            }
            throw StoreError(.readOnly, "cannot open the database for reading (\(detail))", remedy: "check that the file is readable, and its directory, by this user", file: path)
        }
    }

    /// Whether this process may remove the rollback journal beside the database (true when
    /// there is none): it may write the directory, and, when the directory is sticky, owns
    /// the journal or the directory (or is root).
    static func mayRemoveJournal(of path: String) -> Bool {
        var journal = stat()
        guard stat(path + "-journal", &journal) == 0 else { return true }
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        var info = stat()
        guard faccessat(AT_FDCWD, folder, W_OK, AT_EACCESS) == 0, stat(folder, &info) == 0 else { return false }
        let user = geteuid()
        return info.st_mode & S_ISVTX == 0 || user == 0 || user == journal.st_uid || user == info.st_uid
    }

    /// Whether the database file's header says it is in rollback-journal mode: its read and
    /// write versions (bytes 18 and 19) are 1, where WAL mode has 2.
    static func usesRollbackJournal(_ path: String) -> Bool {
        guard let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        guard let header = try? file.read(upToCount: 20), header.count == 20 else { return false }
        return header[18] == 1 && header[19] == 1
    }

    /// Maps SQLite failures to messages that say what to do; other errors pass through.
    static func translate(_ error: any Error, path: String) -> any Error {
        guard let db = error as? DatabaseError else { return error }
        let detail = db.message ?? "\(db.resultCode)"
        switch db.resultCode.primaryResultCode {
        case .SQLITE_NOTADB:
            return StoreError(.notADatabase, "this file is not a SQLite database", remedy: "pass another --db path (consentry will not overwrite it)", file: path, underlying: db)
        case .SQLITE_CORRUPT:
            return StoreError(.notADatabase, "the database is corrupt (\(detail))", remedy: "restore it from a backup or use another --db", file: path, underlying: db)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return StoreError(.readOnly, "cannot write the database (\(detail))", remedy: "check that the file and its directory are writable", file: path, underlying: db)
        case .SQLITE_FULL:
            return StoreError(.diskFull, "the disk is full (\(detail))", remedy: "free space and run the scan again — the run was not recorded as completed", file: path, underlying: db)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            if access(path + "-journal", F_OK) == 0 || usesRollbackJournal(path) {
                return StoreError(.locked, "the database is busy (\(detail)): it is being written without its WAL, as a new database's first run is, which keeps readers out until it ends (later runs let them read meanwhile)", remedy: "try again when that scan has finished", file: path, underlying: db)
            }
            return StoreError(.locked, "the database is busy (\(detail)): another process holds it", remedy: "try again", file: path, underlying: db)
        case .SQLITE_IOERR:
            // The extended code says which operation failed (SQLite's "Result and Error Codes").
            return StoreError(.io, "I/O error on the database (\(detail), SQLite code \(db.extendedResultCode.rawValue))", remedy: "check that its disk is not full and is healthy, then run the scan again", file: path, underlying: db)
        default:
            return StoreError(.other, "database error: \(detail)", remedy: "check the file with `sqlite3 FILE 'PRAGMA integrity_check'`, or use another --db", file: path, underlying: db)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.writeWithoutTransaction { db in try body(db) }
        } catch {
            throw ResultsDatabase.translate(error, path: path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let value: T
        do {
            value = try queue.read { db in try body(db) }
        } catch {
            try checkUnchanged()
            throw ResultsDatabase.translate(error, path: path)
        }
        try checkUnchanged()
        return value
    }

    /// Refuses what an immutable reader read if the file changed meanwhile (see
    /// ``openReadOnly(_:)``): the pages may then come from two states of the database.
    private func checkUnchanged() throws {
        guard let immutableSnapshot, FileSnapshot(path) != immutableSnapshot else { return }
        throw StoreError(.locked, "the database was written while this command read it without write access (a scan or prune wrote it)", remedy: "run the command again", file: path)
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    // MARK: - Run lifecycle

    /// Marks runs left `running` by a killed process as failed; call while holding the lock.
    @discardableResult
    public func markInterruptedRuns() throws -> [Int64] {
        try markInterruptedRunsWithWork().map(\.id)
    }

    /// ``markInterruptedRuns()``, with the work folder each interrupted run recorded.
    func markInterruptedRunsWithWork() throws -> [(id: Int64, workDirectory: String?)] {
        try write { db in
            let runs = try Row.fetchAll(db, sql: "SELECT id, work_dir FROM runs WHERE status = 'running' ORDER BY id")
                .map { (id: $0[0] as Int64, workDirectory: $0[1] as String?) }
            if !runs.isEmpty {
                try db.execute(
                    sql: "UPDATE runs SET status = 'failed', error = 'interrupted', finished_at = ? WHERE status = 'running'",
                    arguments: [ResultsDatabase.now()])
            }
            return runs
        }
    }

    /// Inserts a new `running` run and returns its id.
    public func startRun(toolVersion: String, storeMode: StoreMode, commandLine: String,
                         workDirectory: String? = nil) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (started_at, status, tool_version, store_mode, command_line, pid, work_dir)
                    VALUES (?, 'running', ?, ?, ?, ?, ?)
                    """,
                arguments: [ResultsDatabase.now(), toolVersion, storeMode.rawValue, commandLine, Int(getpid()),
                            workDirectory])
            return db.lastInsertedRowID
        }
    }

    /// Runs `body` in one transaction that ends with the run `completed`; rolls back on error.
    public func completeRun<T>(_ runID: Int64, _ body: (Database) throws -> T) throws -> T {
        try write { db in
            let nudger = WritebackNudger(databasePath: path)
            defer { nudger.stop() }
            var value: T?
            // A first run takes the database to itself from the start: in the rollback
            // journal every cache spill needs the exclusive lock, and a reader's lock held
            // meanwhile would make each spill wait, the cache grow past its size, and the
            // commit fail. So it waits for readers once, before any work.
            try db.inTransaction(writesWithoutWAL ? .exclusive : .immediate) {
                value = try body(db)
                return .commit
            }
            return value!
        }
    }

    /// Marks a run failed with `message`; its rows were never committed.
    public func failRun(_ runID: Int64, error message: String) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
                arguments: [message, ResultsDatabase.now(), runID])
        }
    }

    /// Stores a finished scan's inputs, policies, statistics and totals, and completes the run;
    /// `numbered` are the labels ``numberLabels(_:texts:numbers:)`` numbered for it.
    func saveOutcome(_ db: Database, runID: Int64, policies: [Policy], outcome: ScanOutcome, rejectsNotKept: Int,
                     history: (began: Int, ended: Int)?, labelMap: LabelMap?, numbered: NumberedLabels? = nil) throws {
        for (index, input) in outcome.inputs.enumerated() {
            try db.execute(
                sql: "INSERT INTO run_inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [runID, index, input.path, input.format.rawValue, input.compression, input.bytes,
                            input.sha256, input.rowsRead])
        }
        for (index, policy) in policies.enumerated() {
            let headline = Headline(statistics: outcome.statistics, policy: index)
            try db.execute(
                sql: "INSERT INTO run_policies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [runID, index, policy.id, policy.sha256, policy.yaml, policy.title, policy.origin,
                            headline.independent, headline.labelled, headline.gap])
            for use in AIUse.allCases {
                for (ruleIndex, rule) in policy.rules(for: use).enumerated() {
                    try db.execute(
                        sql: "INSERT INTO policy_rules VALUES (?, ?, ?, ?, ?, ?)",
                        arguments: [runID, index, use.rawValue, ruleIndex, rule.id, rule.verdict.name])
                }
            }
            for group in ReportGroup.allCases {
                let stats = outcome.statistics.group(policy: index, label: group.labelStatus)
                try db.execute(
                    sql: "INSERT INTO group_exposure VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [runID, policy.id, group.rawValue, stats.tracks, stats.anyTrainingExposed, stats.exposedShare])
                for use in AIUse.allCases {
                    try db.execute(
                        sql: "INSERT INTO group_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [runID, policy.id, group.rawValue, use.name, stats.tracks,
                                    stats.count(use, .exposed), stats.count(use, .consented), stats.count(use, .blocked)])
                }
            }
        }
        for (pairIndex, pair) in outcome.statistics.pairs.enumerated() {
            for group in ReportGroup.allCases {
                for use in AIUse.allCases {
                    for from in Verdict.allCases {
                        for to in Verdict.allCases {
                            let tracks = outcome.statistics.transitions(
                                pair: pairIndex, label: group.labelStatus, use: use, from: from, to: to)
                            guard tracks > 0 else { continue }
                            try db.execute(
                                sql: "INSERT INTO policy_transitions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                arguments: [runID, policies[pair.from].id, policies[pair.to].id, group.rawValue,
                                            use.name, from.name, to.name, tracks])
                        }
                    }
                }
            }
        }
        for (code, count) in outcome.rejectsByCode {
            try db.execute(sql: "INSERT INTO run_reject_counts VALUES (?, ?, ?)", arguments: [runID, code.rawValue, count])
        }
        try saveLabels(db, runID: runID, labels: outcome.labels, numbered: numbered)
        if outcome.containsAI.anyDeclared {
            for group in ReportGroup.allCases {
                for declared in [nil] + ContainsAI.allCases.map(Optional.some) {
                    try db.execute(sql: "INSERT INTO contains_ai_stats VALUES (?, ?, ?, ?)", arguments: [
                        runID, group.rawValue, declared?.key ?? ContainsAICounts.undeclaredKey,
                        outcome.containsAI.count(label: group.labelStatus, declared: declared)])
                }
            }
        }
        try db.execute(
            sql: """
                UPDATE runs SET status = 'completed', finished_at = ?, rows_read = ?, rows_scanned = ?, rows_rejected = ?,
                    rejects_not_kept = ?, history_began = ?, history_ended = ?, label_map = ?, label_map_sha256 = ?
                WHERE id = ?
                """,
            arguments: [ResultsDatabase.now(), outcome.rowsRead, outcome.rowsScanned, outcome.rowsRejected,
                        rejectsNotKept, history?.began, history?.ended, labelMap?.source, labelMap?.sha256, runID])
    }

    /// Labels a run numbered before its counts were known (``numberLabels(_:texts:numbers:)``).
    struct NumberedLabels {
        /// By the label's number in the run's texts: its id in `labels`, nil when not
        /// numbered, and whether this run added it.
        var ids: [(id: Int64, added: Bool)?]
    }

    /// Numbers `numbers` of `texts` (each once, in the byte order of their texts) in `labels`
    /// while the run's tracks are still being resolved: the labels that will name the run's
    /// rows if they have tracks. The statistics then find them numbered, and one core does not
    /// do it alone after the last partition.
    func numberLabels(_ db: Database, texts: [String], numbers: [Int]) throws -> NumberedLabels {
        var ids = [(id: Int64, added: Bool)?](repeating: nil, count: texts.count)
        for (k, id) in zip(numbers, try labelIDs(db, numbers.map { texts[$0] })) { ids[k] = id }
        return NumberedLabels(ids: ids)
    }

    /// The ids of `texts` (no two alike, in the byte order of their texts) in `labels`, and
    /// whether they were added: looked up (unless no run has numbered any yet), and those not
    /// there numbered in this order.
    private func labelIDs(_ db: Database, _ texts: [String]) throws -> [(id: Int64, added: Bool)] {
        guard !texts.isEmpty else { return [] }
        let anyKnown = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM labels)") ?? false
        let labelID = try PreparedStatement(db, sql: "SELECT id FROM labels WHERE label = ?", path: path)
        defer { labelID.close() }
        var ids = [(id: Int64, added: Bool)?](repeating: nil, count: texts.count)
        if anyKnown {
            for i in ids.indices {
                labelID.bindText(1, texts[i])
                ids[i] = try labelID.firstInt64().map { ($0, false) }
            }
        }
        let unknown = ids.indices.filter { ids[$0] == nil }
        let numbers = try insertLabels(db, unknown.map { texts[$0] }, lookup: labelID)
        for (i, id) in zip(unknown, numbers) { ids[i] = (id, true) }
        return ids.map { $0! }
    }

    /// Stores a run's by-label breakdown: each label's text once across runs (`labels`), and
    /// one `label_counts` row per label of the run.
    ///
    /// A run holds tens of thousands of labels: they are bound through the C API
    /// (``PreparedStatement``), by length, so a label may hold any byte; most were `numbered`
    /// while the tracks were resolved, the others are looked up or numbered here, in the
    /// tally's order, their bytes', and the rows written in number order, so that SQLite
    /// appends to its B-trees rather than visiting pages at random.
    private func saveLabels(_ db: Database, runID: Int64, labels: LabelTally, numbered: NumberedLabels?) throws {
        var ids = [Int64?](repeating: nil, count: labels.count)
        if let numbered { for i in ids.indices { ids[i] = numbered.ids[labels.names[i]]?.id } }
        let missing = ids.indices.filter { ids[$0] == nil }
        for (i, id) in zip(missing, try labelIDs(db, missing.map { labels.name($0) })) { ids[i] = id.id }
        if let numbered {
            // Labels this run added that name none of its rows (every track of theirs was a
            // duplicate) leave `labels` as they found it.
            var names = [Bool](repeating: false, count: numbered.ids.count)
            for k in labels.names { names[k] = true }
            for (k, id) in numbered.ids.enumerated() where !names[k] {
                if let id, id.added { try db.execute(sql: "DELETE FROM labels WHERE id = ?", arguments: [id.id]) }
            }
        }
        guard labels.count > 0 else { return }

        // Each row's exposed counts as text, in one buffer.
        let policyCount = labels.policyCount
        var rows: [(id: Int64, tracks: Int64, text: Range<Int>)] = []
        rows.reserveCapacity(labels.count)
        var texts: [UInt8] = []
        texts.reserveCapacity(labels.count * (2 + 8 * policyCount))
        var exposed: [Int?] = Array(repeating: nil, count: policyCount)
        for i in ids.indices {
            var tracks = 0
            for p in 0..<policyCount {
                let counted = labels.tracks(i, policy: p)
                tracks = max(tracks, counted)
                exposed[p] = counted > 0 ? labels.exposed(i, policy: p) : nil
            }
            let start = texts.count
            Schema.appendExposedText(exposed, to: &texts)
            rows.append((ids[i]!, Int64(tracks), start..<texts.count))
        }
        // New labels are numbered in this order: sorted already, unless some were known.
        if !zip(rows, rows.dropFirst()).allSatisfy({ $0.id < $1.id }) { rows.sort { $0.id < $1.id } }
        try texts.withUnsafeBytes { texts in
            try PreparedStatement.insertInBatches(db, path: path, into: "label_counts", columns: 4, count: rows.count) { statement, row, first in
                statement.bind(first, runID)
                statement.bind(first + 1, rows[row].id)
                statement.bind(first + 2, rows[row].tracks)
                statement.bindText(first + 3, UnsafeRawBufferPointer(rebasing: texts[rows[row].text]))
            }
        }
    }

    /// Numbers `texts`, none of them in `labels` yet, in their order, and returns their ids;
    /// `lookup` finds a label's id.
    private func insertLabels(_ db: Database, _ texts: [String], lookup: PreparedStatement) throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(texts.count)
        func id(_ text: String) throws -> Int64? {
            lookup.bindText(1, text)
            return try lookup.firstInt64()
        }
        try PreparedStatement.insertInBatches(
            db, path: path, into: "labels (label)", columns: 1, count: texts.count,
            bind: { statement, row, first in statement.bindText(first, texts[row]) },
            inserted: { range in
                // New rows take the numbers after the table's largest, one after another
                // (SQLite picks at random only once that is the largest possible): checked at
                // the first row, the last being `lastInsertedRowID`.
                let last = db.lastInsertedRowID
                let first = last - Int64(range.count) + 1
                if try id(texts[range.lowerBound]) == first {
                    ids.append(contentsOf: first...last)
                } else {
                    for row in range { ids.append(try id(texts[row])!) }
                }
            })
        return ids
    }

    // MARK: - Queries

    /// All runs, newest first.
    public func runs() throws -> [RunInfo] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, started_at, finished_at, status, error, rows_read, rows_scanned, rows_rejected, store_mode, pruned_at,
                       rejects_not_kept,
                       (SELECT group_concat(path, char(10)) FROM (SELECT path FROM run_inputs i WHERE i.run_id = runs.id ORDER BY input_index)) AS inputs
                FROM runs ORDER BY id DESC
                """)
            return rows.map { row in
                RunInfo(
                    id: row["id"], startedAt: row["started_at"], finishedAt: row["finished_at"], status: row["status"],
                    error: row["error"], rowsRead: row["rows_read"], rowsScanned: row["rows_scanned"],
                    rowsRejected: row["rows_rejected"],
                    inputs: (row["inputs"] as String?)?.split(separator: "\n").map(String.init) ?? [],
                    storeMode: row["store_mode"], prunedAt: row["pruned_at"], rejectsNotKept: row["rejects_not_kept"] ?? 0)
            }
        }
    }

    /// The stored report of a run; nil `runID` means the latest completed run.
    public func report(runID: Int64?) throws -> RunReport {
        try read { db in
            let id = try resolveRun(db, runID)
            let run = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id])!
            var report = RunReport(
                runID: id, status: run["status"], startedAt: run["started_at"], finishedAt: run["finished_at"],
                error: run["error"], rowsRead: run["rows_read"] ?? 0, rowsScanned: run["rows_scanned"] ?? 0,
                rowsRejected: run["rows_rejected"] ?? 0)
            report.rejectsNotKept = run["rejects_not_kept"] ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT code, count FROM run_reject_counts WHERE run_id = ?", arguments: [id]) {
                if let code = RejectCode(rawValue: row["code"]) { report.rejectsByCode[code] = row["count"] }
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM run_inputs WHERE run_id = ? ORDER BY input_index", arguments: [id]) {
                report.inputs.append(InputSummary(
                    path: row["path"], format: InputFormat(rawValue: row["format"]) ?? .csv, compression: row["compression"],
                    bytes: row["bytes"], sha256: row["sha256"], rowsRead: row["rows_read"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM run_policies WHERE run_id = ? ORDER BY policy_index", arguments: [id]) {
                let policyID: String = row["policy_id"]
                var policy = PolicyReport(
                    id: policyID, title: row["policy_title"], independentExposedShare: row["independent_exposed_share"],
                    labelledExposedShare: row["labelled_exposed_share"], exposureGap: row["exposure_gap"])
                for g in try Row.fetchAll(db, sql: "SELECT * FROM group_exposure WHERE run_id = ? AND policy_id = ?", arguments: [id, policyID]) {
                    guard let group = ReportGroup(rawValue: g["label_status"]) else { continue }
                    var stats = GroupStatistics()
                    stats.tracks = g["tracks"]
                    stats.anyTrainingExposed = g["any_training_exposed"]
                    policy.groups[group] = stats
                }
                for u in try Row.fetchAll(db, sql: "SELECT * FROM group_stats WHERE run_id = ? AND policy_id = ?", arguments: [id, policyID]) {
                    guard let group = ReportGroup(rawValue: u["label_status"]), let use = AIUse(name: u["use"]) else { continue }
                    policy.groups[group, default: GroupStatistics()].uses[use.rawValue] = [u["exposed"], u["consented"], u["blocked"]]
                }
                report.policies.append(policy)
            }
            report.transitions = try ResultsDatabase.transitions(db, runID: id, policies: report.policies.map(\.id))
            report.labelMap = run["label_map"]
            var containsAI = ContainsAICounts()
            var declaredAny = false
            for row in try Row.fetchAll(db, sql: "SELECT label_status, declared, tracks FROM contains_ai_stats WHERE run_id = ?",
                                        arguments: [id]) {
                // The per-group rows; 'all' is their sum.
                guard let label = LabelStatus(name: row[0]) else { continue }
                let key: String = row[1]
                let declared = ContainsAI.allCases.first { $0.key == key }
                guard declared != nil || key == ContainsAICounts.undeclaredKey else { continue }
                containsAI.add(label: label, declared: declared, count: row[2])
                declaredAny = true
            }
            report.containsAI = declaredAny ? containsAI : nil
            return report
        }
    }
}

extension ResultsDatabase {
    /// A run's stored policy transitions that change the verdict, in report order.
    static func transitions(_ db: Database, runID: Int64, policies: [String]) throws -> [PolicyTransition] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT from_policy_id, to_policy_id, label_status, use, from_verdict, to_verdict, tracks
            FROM policy_transitions WHERE run_id = ? AND from_verdict <> to_verdict
            """, arguments: [runID])
        // A database edited by another tool may repeat a policy id; keep its first position.
        let policyOrder = Dictionary(policies.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let groupOrder = Dictionary(uniqueKeysWithValues: ReportGroup.displayOrder.enumerated().map { ($1, $0) })
        let transitions = rows.compactMap { row -> PolicyTransition? in
            guard let group = ReportGroup(rawValue: row[2]), let use = AIUse(name: row[3]),
                  let from = Verdict(name: row[4]), let to = Verdict(name: row[5]) else { return nil }
            return PolicyTransition(fromPolicy: row[0], toPolicy: row[1], group: group, use: use, from: from, to: to, tracks: row[6])
        }
        return transitions.sorted { a, b in
            let ka = [policyOrder[a.fromPolicy] ?? 0, policyOrder[a.toPolicy] ?? 0, groupOrder[a.group] ?? 0,
                      a.use.rawValue, Int(a.from.rawValue), Int(a.to.rawValue)]
            let kb = [policyOrder[b.fromPolicy] ?? 0, policyOrder[b.toPolicy] ?? 0, groupOrder[b.group] ?? 0,
                      b.use.rawValue, Int(b.from.rawValue), Int(b.to.rawValue)]
            return ka.lexicographicallyPrecedes(kb)
        }
    }
}

// MARK: - Rejects and trends

/// One stored reject, for `consentry rejects`.
public struct StoredReject: Sendable, Equatable {
    public var input: String
    public var line: Int
    public var offset: Int
    public var code: String
    public var column: String?
    public var message: String
    public var excerpt: String

    /// From a row of `SELECT input, line, byte_offset, code, "column", message, excerpt`.
    init(row: Row) {
        self.init(input: row[0], line: row[1], offset: row[2], code: row[3], column: row[4], message: row[5], excerpt: row[6])
    }

    public init(input: String, line: Int, offset: Int, code: String, column: String?, message: String, excerpt: String) {
        self.input = input
        self.line = line
        self.offset = offset
        self.code = code
        self.column = column
        self.message = message
        self.excerpt = excerpt
    }
}

/// One completed run's headline figures under one policy, for `consentry trend`.
public struct TrendPoint: Sendable, Equatable {
    public var runID: Int64
    public var startedAt: String
    public var tracks: Int
    public var independentExposedShare: Double?
    public var labelledExposedShare: Double?
    public var exposureGap: Double?
}

/// Which run a command means: an id, `latest` (the newest completed run) or `previous` (the
/// completed run before it).
public enum RunSelector: Sendable, Equatable {
    case id(Int64)
    case latest
    case previous

    /// Parses `42`, `latest` or `previous`.
    public init?(_ text: String) {
        switch text {
        case "latest": self = .latest
        case "previous": self = .previous
        default:
            guard let id = Int64(text), id > 0 else { return nil }
            self = .id(id)
        }
    }
}

extension ResultsDatabase {
    /// The id of the run `selector` names; throws `runNotFound` when there is none.
    public func resolve(_ selector: RunSelector) throws -> Int64 {
        try read { db in
            switch selector {
            case .id(let id): return try resolveRun(db, id)
            case .latest: return try resolveRun(db, nil)
            case .previous:
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE status = 'completed' ORDER BY id DESC LIMIT 2")
                guard ids.count == 2 else {
                    throw StoreError(.runNotFound, "there is no previous completed run yet (\(ids.count) completed)", remedy: "`consentry runs` lists them", file: path)
                }
                return ids[1]
            }
        }
    }

    /// The id of a run: `runID` when it exists, else the latest completed one.
    func resolveRun(_ db: Database, _ runID: Int64?) throws -> Int64 {
        if let runID {
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [runID]) != nil else {
                throw StoreError(.runNotFound, "there is no run \(runID)", remedy: "`consentry runs` lists them", file: path)
            }
            return runID
        }
        guard let latest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs WHERE status = 'completed'") else {
            throw StoreError(.runNotFound, "no completed run yet", remedy: "run `consentry scan` first", file: path)
        }
        return latest
    }

    /// The rejects of a run in input order, optionally of one code, at most `limit`.
    public func rejects(runID: Int64?, code: String?, limit: Int?) throws -> (run: Int64, rejects: [StoredReject]) {
        try read { db in
            let id = try resolveRun(db, runID)
            if let pruned = try String.fetchOne(db, sql: "SELECT pruned_at FROM runs WHERE id = ?", arguments: [id]) {
                throw StoreError(.runNotFound, "the reject rows of run \(id) were deleted by `consentry prune` at \(pruned)", remedy: "`consentry report --run \(id)` still shows its rejects by code", file: path)
            }
            var sql = "SELECT input, line, byte_offset, code, \"column\", message, excerpt FROM rejects WHERE run_id = ?"
            var arguments: StatementArguments = [id]
            if let code {
                sql += " AND code = ?"
                arguments += [code]
            }
            sql += " ORDER BY input_index, byte_offset, rowid"
            if let limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments).map(StoredReject.init(row:))
            return (id, rows)
        }
    }

    /// The last `last` completed runs that applied `policyID`, oldest first.
    public func trend(policyID: String, last: Int) throws -> [TrendPoint] {
        try read { db in try ResultsDatabase.trend(db, policyID: policyID, last: last, through: Int64.max) }
    }
}
