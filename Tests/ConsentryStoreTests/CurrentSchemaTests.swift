import Foundation
import GRDB
import Testing
import TestSupport
@testable import ConsentryStore

@Suite struct CurrentSchemaTests {
    /// The schema objects of the database at `path` and the rows of its tables, as text.
    private func contents(_ path: String) throws -> (schema: [String], rows: [String]) {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            let schema = try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
                .map { "\($0["type"] as String) \($0["name"] as String) on \($0["tbl_name"] as String): \($0["sql"] as String? ?? "(automatic)")" }
            var rows: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY 1") {
                    rows.append("\(table): \(row.description)")
                }
            }
            return (schema, rows)
        }
    }

    @Test("a new database made whole has the schema and rows the migrations leave, as the same text")
    func sameAsMigrations() throws {
        let dir = try TempDir("currentschema")
        let fresh = dir.file("fresh.sqlite")
        let migrated = dir.file("migrated.sqlite")
        _ = try ResultsDatabase(path: fresh, create: true)
        try Schema.migrator(databasePath: migrated).migrate(DatabaseQueue(path: migrated))
        let (freshSchema, freshRows) = try contents(fresh)
        let (migratedSchema, migratedRows) = try contents(migrated)
        // When a migration is added or changed, CurrentSchema.statements must become these.
        let statements = try DatabaseQueue(path: migrated).read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")
        }
        #expect(freshSchema == migratedSchema,
                "CurrentSchema.statements differ from the migrations' schema; they are now:\n\(statements.joined(separator: ";\n"));")
        #expect(freshRows == migratedRows)
        #expect(migratedRows.filter { $0.hasPrefix("grdb_migrations:") }.count == CurrentSchema.migrations.count)
    }

    @Test("a database that already holds consentry's tables is not made again: its rows stay")
    func existingDatabaseKept() throws {
        let dir = try TempDir("currentschemakeep")
        let path = dir.file("db.sqlite")
        _ = try ResultsDatabase(path: path, create: true)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO labels (label) VALUES ('kept')")
        }
        _ = try ResultsDatabase(path: path, create: true)
        let labels = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT label FROM labels") }
        #expect(labels == ["kept"])
    }
}
