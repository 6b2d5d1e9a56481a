import GRDB
import ConsentryModel
import ConsentryEngine

/// The results database's schema, created and upgraded by migrations (contract §4).
///
/// Each migration is append-only: a released migration never changes, so a database can be
/// upgraded in place from any earlier version, and one written by a newer consentry is
/// recognised by the migrations it has that this version does not know.
enum Schema {
    /// A label's training-exposed tracks per policy as `label_counts.exposed` stores them.
    static func exposedText(_ exposed: [Int?]) -> String {
        var text: [UInt8] = []
        appendExposedText(exposed, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends ``exposedText(_:)``'s bytes to `text`: a run writes one per label, tens of
    /// thousands, and building each through `String`s cost more than SQLite's insert of it.
    static func appendExposedText(_ exposed: [Int?], to text: inout [UInt8]) {
        text.append(UInt8(ascii: "["))
        for (i, value) in exposed.enumerated() {
            if i > 0 { text.append(UInt8(ascii: ",")) }
            guard let value else {
                text.append(contentsOf: "null".utf8)
                continue
            }
            if value < 0 { text.append(UInt8(ascii: "-")) }
            var digits = value.magnitude
            let start = text.count
            repeat {
                text.append(UInt8(ascii: "0") + UInt8(digits % 10))
                digits /= 10
            } while digits > 0
            text[start...].reverse()
        }
        text.append(UInt8(ascii: "]"))
    }

    /// `verdicts_readable` (contract §4): for every completed run that stored history and is
    /// not pruned, one row per track live in that run, policy and use.
    ///
    /// A track is live in run R when a period of it began at or before R (a pack entry of a
    /// run ≤ R) and has not ended by R (no `history_ends` row with `to_run` ≤ R). Its
    /// combination holds the policy's label status, verdicts and rule numbers
    /// (``StableDecisions``).
    static let verdictsReadableView = """
        CREATE VIEW verdicts_readable AS
            SELECT hr.run_id AS run_id,
                   hp.policy_id AS policy_id,
                   json_extract(e.value, '$[0]') AS track_id,
                   CASE c.state & 3 WHEN 0 THEN 'major' WHEN 1 THEN 'licensed'
                        WHEN 2 THEN 'independent' ELSE 'unknown' END AS label_status,
                   u.name AS use,
                   CASE (c.state >> (2 + 15 * u.use_index)) & 3 WHEN 0 THEN 'exposed'
                        WHEN 1 THEN 'consented' ELSE 'blocked' END AS verdict,
                   r.rule_id AS rule_id
            FROM history_runs hr
            JOIN history_policies hp ON hp.policy_no = hr.policy_no
            JOIN history_packs p ON p.from_run <= hr.run_id
            JOIN json_each(p.entries) e
            JOIN history_combos c ON c.combo = json_extract(e.value, '$[1]') AND c.policy_no = hr.policy_no
            CROSS JOIN ai_uses u
            CROSS JOIN history_rules r ON r.policy_no = hr.policy_no AND r.use_index = u.use_index
                 AND r.rule_no = (c.state >> (4 + 15 * u.use_index)) & 8191
            WHERE NOT EXISTS (
                SELECT 1 FROM history_ends x
                WHERE x.from_run = p.from_run AND x.hash BETWEEN p.first_hash AND p.last_hash
                  AND x.track_id = json_extract(e.value, '$[0]') AND x.to_run <= hr.run_id);
        """

    /// The view as migration v3 created it, over its packed `verdicts` rows; frozen with it.
    private static let verdictsReadableViewV3 = """
        CREATE VIEW verdicts_readable AS
            SELECT v.run_id AS run_id,
                   p.policy_id AS policy_id,
                   v.track_id AS track_id,
                   CASE (v.packed >> 32) & 3 WHEN 0 THEN 'major' WHEN 1 THEN 'licensed'
                        WHEN 2 THEN 'independent' ELSE 'unknown' END AS label_status,
                   u.name AS use,
                   CASE (v.packed >> (8 * u.use_index)) & 3 WHEN 0 THEN 'exposed'
                        WHEN 1 THEN 'consented' ELSE 'blocked' END AS verdict,
                   r.rule_id AS rule_id
            FROM verdicts v
            JOIN run_policies p ON p.run_id = v.run_id AND p.policy_index = v.packed >> 34
            CROSS JOIN ai_uses u
            JOIN policy_rules r ON r.run_id = v.run_id AND r.policy_index = v.packed >> 34
                 AND r.use_index = u.use_index
                 AND r.rule_index = (v.packed >> (8 * u.use_index + 2)) & 63;
        """

    /// The view as migrations v1 and v2 created it, over their `verdicts` columns; frozen
    /// with them.
    private static let verdictsReadableViewV1 = """
        CREATE VIEW verdicts_readable AS
            SELECT v.run_id AS run_id,
                   p.policy_id AS policy_id,
                   v.track_id AS track_id,
                   CASE v.label_status WHEN 0 THEN 'major' WHEN 1 THEN 'licensed'
                        WHEN 2 THEN 'independent' ELSE 'unknown' END AS label_status,
                   u.name AS use,
                   CASE (v.verdicts >> (8 * u.use_index)) & 3 WHEN 0 THEN 'exposed'
                        WHEN 1 THEN 'consented' ELSE 'blocked' END AS verdict,
                   r.rule_id AS rule_id
            FROM verdicts v
            JOIN run_policies p ON p.run_id = v.run_id AND p.policy_index = v.policy_index
            CROSS JOIN ai_uses u
            JOIN policy_rules r ON r.run_id = v.run_id AND r.policy_index = v.policy_index
                 AND r.use_index = u.use_index
                 AND r.rule_index = (v.verdicts >> (8 * u.use_index + 2)) & 63;
        """

    /// The identifier of the first migration: every database this tool made has it.
    static let firstMigration = "v1"

    /// Whether `db` holds no table yet: a new database, which ``CurrentSchema`` makes
    /// whole instead of the migrations.
    static func isEmpty(_ db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") == 0
    }

    /// Whether `db` has recorded a run, of any status: false for a new database.
    static func hasRuns(_ db: Database) throws -> Bool {
        guard try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'") == 1
        else { return false }
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs)") ?? false
    }

    /// The migrations; `databasePath` is where the conversion to history (v4) keeps its
    /// work files.
    static func migrator(databasePath: String) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(firstMigration) { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
                    error TEXT,
                    rows_read INTEGER,
                    rows_scanned INTEGER,
                    rows_rejected INTEGER,
                    tool_version TEXT NOT NULL,
                    store_mode TEXT NOT NULL,
                    command_line TEXT NOT NULL,
                    pid INTEGER
                );
                CREATE TABLE run_inputs (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    input_index INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    format TEXT NOT NULL,
                    compression TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    rows_read INTEGER NOT NULL,
                    PRIMARY KEY (run_id, input_index)
                );
                CREATE TABLE run_policies (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_index INTEGER NOT NULL,
                    policy_id TEXT NOT NULL,
                    policy_sha256 TEXT NOT NULL,
                    policy_source TEXT NOT NULL,
                    policy_title TEXT NOT NULL,
                    policy_origin TEXT NOT NULL,
                    independent_exposed_share REAL,
                    labelled_exposed_share REAL,
                    exposure_gap REAL,
                    PRIMARY KEY (run_id, policy_index)
                );
                CREATE TABLE policy_rules (
                    run_id INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    use_index INTEGER NOT NULL,
                    rule_index INTEGER NOT NULL,
                    rule_id TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    PRIMARY KEY (run_id, policy_index, use_index, rule_index)
                ) WITHOUT ROWID;
                CREATE TABLE ai_uses (
                    use_index INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                INSERT INTO ai_uses VALUES
                    (0, 'ai_generative_training'), (1, 'ai_training'), (2, 'ai_inference'), (3, 'data_mining');
                CREATE TABLE group_stats (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_id TEXT NOT NULL,
                    label_status TEXT NOT NULL,
                    use TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    exposed INTEGER NOT NULL,
                    consented INTEGER NOT NULL,
                    blocked INTEGER NOT NULL,
                    PRIMARY KEY (run_id, policy_id, label_status, use)
                );
                CREATE TABLE group_exposure (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_id TEXT NOT NULL,
                    label_status TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    any_training_exposed INTEGER NOT NULL,
                    exposed_share REAL,
                    PRIMARY KEY (run_id, policy_id, label_status)
                );
                CREATE TABLE run_reject_counts (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    code TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (run_id, code)
                );
                -- One row per scanned track and policy. `verdicts` packs the four uses, 8 bits
                -- each (use i at bits 8i..8i+7): verdict in the low 2 bits (0 exposed,
                -- 1 consented, 2 blocked), deciding rule index in the high 6 (policy_rules).
                CREATE TABLE verdicts (
                    run_id INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    label_status INTEGER NOT NULL,
                    verdicts INTEGER NOT NULL
                );
                CREATE TABLE rejects (
                    run_id INTEGER NOT NULL,
                    input TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    byte_offset INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    "column" TEXT,
                    message TEXT NOT NULL,
                    excerpt TEXT NOT NULL
                );
                CREATE INDEX rejects_by_run ON rejects (run_id, code);
                \(verdictsReadableViewV1)
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                -- verdicts gets an INTEGER PRIMARY KEY so that VACUUM (after `consentry prune`)
                -- keeps every row's rowid, and with it the ranges below.
                DROP VIEW verdicts_readable;
                CREATE TABLE verdicts_v2 (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    label_status INTEGER NOT NULL,
                    verdicts INTEGER NOT NULL
                );
                INSERT INTO verdicts_v2 (id, run_id, policy_index, track_id, label_status, verdicts)
                    SELECT rowid, run_id, policy_index, track_id, label_status, verdicts FROM verdicts ORDER BY rowid;
                DROP TABLE verdicts;
                ALTER TABLE verdicts_v2 RENAME TO verdicts;
                \(verdictsReadableViewV1)
                -- The rowid range of a run's verdict rows: they are inserted in one transaction by
                -- the one scan holding the lock, so they are contiguous. diff and export read a run
                -- by range instead of scanning the rows of every run.
                ALTER TABLE runs ADD COLUMN verdicts_first_rowid INTEGER;
                ALTER TABLE runs ADD COLUMN verdicts_last_rowid INTEGER;
                -- Set by `consentry prune` when the run's verdict and reject rows were deleted.
                ALTER TABLE runs ADD COLUMN pruned_at TEXT;
                -- What-if between the policies of one run: per pair (from_policy listed before
                -- to_policy in the scan), group and use, the tracks with each pair of verdicts.
                -- Only non-zero cells are stored; from_verdict = to_verdict rows are the tracks
                -- that stay, so each (pair, group, use) adds up to the group's tracks.
                CREATE TABLE policy_transitions (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    from_policy_id TEXT NOT NULL,
                    to_policy_id TEXT NOT NULL,
                    label_status TEXT NOT NULL,
                    use TEXT NOT NULL,
                    from_verdict TEXT NOT NULL,
                    to_verdict TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    PRIMARY KEY (run_id, from_policy_id, to_policy_id, label_status, use, from_verdict, to_verdict)
                );
                """)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                -- The label status and policy index move into the packed integer (bits 32-33 and 34+),
                -- renamed `packed`: one column instead of three per row. Rowids are kept.
                DROP VIEW verdicts_readable;
                CREATE TABLE verdicts_v3 (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    packed INTEGER NOT NULL
                );
                INSERT INTO verdicts_v3 (id, run_id, track_id, packed)
                    SELECT id, run_id, track_id, verdicts | (label_status << 32) | (policy_index << 34)
                    FROM verdicts ORDER BY id;
                DROP TABLE verdicts;
                ALTER TABLE verdicts_v3 RENAME TO verdicts;
                \(verdictsReadableViewV3)
                """)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                -- History (contract §4.1): per track, the periods over which its state under
                -- every policy stayed the same, instead of a copy of every verdict per run.
                CREATE TABLE history_policies (
                    policy_no INTEGER PRIMARY KEY,
                    policy_id TEXT NOT NULL UNIQUE
                );
                -- Rule numbers stay the same across runs and policy revisions (by rule id).
                CREATE TABLE history_rules (
                    policy_no INTEGER NOT NULL,
                    use_index INTEGER NOT NULL,
                    rule_no INTEGER NOT NULL,
                    rule_id TEXT NOT NULL,
                    PRIMARY KEY (policy_no, use_index, rule_no),
                    UNIQUE (policy_no, use_index, rule_id)
                );
                -- A combination: a track's state under each policy its history holds. `state`:
                -- label status in bits 0-1; use u at bit 2 + 15u: verdict (2 bits), rule_no (13).
                CREATE TABLE history_combos (
                    combo INTEGER NOT NULL,
                    policy_no INTEGER NOT NULL,
                    state INTEGER NOT NULL,
                    PRIMARY KEY (combo, policy_no)
                ) WITHOUT ROWID;
                -- The completed, unpruned runs whose tracks the history holds, per policy.
                CREATE TABLE history_runs (
                    run_id INTEGER NOT NULL,
                    policy_no INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    PRIMARY KEY (run_id, policy_no)
                ) WITHOUT ROWID;
                -- Periods that began in from_run, a pack of tracks at a time: `entries` is a JSON
                -- array of [track_id, combo] in (hash, track_id) order; `first_hash` and `last_hash`
                -- are the hashes of its first and last track (Engine's TrackHash).
                CREATE TABLE history_packs (
                    id INTEGER PRIMARY KEY,
                    from_run INTEGER NOT NULL,
                    first_hash INTEGER NOT NULL,
                    last_hash INTEGER NOT NULL,
                    tracks INTEGER NOT NULL,
                    entries TEXT NOT NULL
                );
                CREATE INDEX history_packs_by_run ON history_packs (from_run, first_hash);
                -- The runs that began periods, with how many.
                CREATE TABLE history_segments (
                    from_run INTEGER PRIMARY KEY,
                    packs INTEGER NOT NULL,
                    tracks INTEGER NOT NULL
                );
                -- Periods that ended: the track changed, or was not in to_run. `combo` is the
                -- ended period's.
                CREATE TABLE history_ends (
                    from_run INTEGER NOT NULL,
                    hash INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    to_run INTEGER NOT NULL,
                    combo INTEGER NOT NULL,
                    PRIMARY KEY (from_run, hash, track_id)
                ) WITHOUT ROWID;
                CREATE INDEX history_ends_by_run ON history_ends (to_run);
                -- Identifies the state files beside the database that match this history.
                CREATE TABLE history_meta (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                -- Rejects counted but not kept (--keep-rejects), and each reject's input position.
                ALTER TABLE runs ADD COLUMN rejects_not_kept INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE runs ADD COLUMN history_began INTEGER;
                ALTER TABLE runs ADD COLUMN history_ended INTEGER;
                ALTER TABLE rejects ADD COLUMN input_index INTEGER;
                UPDATE rejects SET input_index = (
                    SELECT i.input_index FROM run_inputs i WHERE i.run_id = rejects.run_id AND i.path = rejects.input
                    ORDER BY i.input_index LIMIT 1);
                DROP VIEW verdicts_readable;
                """)
            try HistoryMigration.convert(db, databasePath: databasePath)
            try db.execute(sql: """
                DROP TABLE verdicts;
                \(verdictsReadableView)
                """)
        }
        /// The by-label breakdown with its texts, as the v5 table had it.
        let labelStatsView = """
            CREATE VIEW label_stats AS
                SELECT c.run_id, p.policy_id, l.label, c.tracks, c.any_training_exposed
                FROM label_counts c
                JOIN run_policies p ON p.run_id = c.run_id AND p.policy_index = c.policy_index
                JOIN labels l ON l.id = c.label_id;
            """
        migrator.registerMigration("v5") { db in
            try db.execute(sql: """
                -- The by-label breakdown (contract §3): per run, policy and label (as the export
                -- wrote it, trimmed; '' for tracks without one), the distinct tracks and those
                -- exposed to AI training. (History pack entries gain a third element, the track's
                -- artist, read by the by-artist breakdown; older entries have none.)
                CREATE TABLE label_stats (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_id TEXT NOT NULL,
                    label TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    any_training_exposed INTEGER NOT NULL,
                    PRIMARY KEY (run_id, policy_id, label)
                ) WITHOUT ROWID;
                -- DDEX ContainsAI (contract §3): per run and group ('all' included), the tracks
                -- declaring 'all', 'partly', 'none', or nothing ('undeclared'). Only runs in which
                -- some track declared a value have rows.
                CREATE TABLE contains_ai_stats (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    label_status TEXT NOT NULL,
                    declared TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    PRIMARY KEY (run_id, label_status, declared)
                ) WITHOUT ROWID;
                -- The --label-map file a run applied, and the SHA-256 of its bytes.
                ALTER TABLE runs ADD COLUMN label_map TEXT;
                ALTER TABLE runs ADD COLUMN label_map_sha256 TEXT;
                -- The scan's work folder (under --temp-dir, maybe), so that the next scan removes
                -- it if the run was killed, whatever --temp-dir that scan is given.
                ALTER TABLE runs ADD COLUMN work_dir TEXT;
                """)
        }
        migrator.registerMigration("v6") { db in
            try db.execute(sql: """
                -- label_stats repeated each label's text and each policy's id in every run's rows:
                -- with 20,000 labels that made the statistics the larger part of a night's growth.
                -- Labels are now numbered once (labels) and a run's rows hold numbers
                -- (label_counts, with the policy's index in run_policies); label_stats is a view
                -- with the columns it had, so queries on it keep working.
                CREATE TABLE labels (
                    id INTEGER PRIMARY KEY,
                    label TEXT NOT NULL UNIQUE
                );
                CREATE TABLE label_counts (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_index INTEGER NOT NULL,
                    label_id INTEGER NOT NULL REFERENCES labels(id),
                    tracks INTEGER NOT NULL,
                    any_training_exposed INTEGER NOT NULL,
                    PRIMARY KEY (run_id, policy_index, label_id)
                ) WITHOUT ROWID;
                INSERT INTO labels (label) SELECT DISTINCT label FROM label_stats ORDER BY label;
                INSERT INTO label_counts
                    SELECT s.run_id, p.policy_index, l.id, s.tracks, s.any_training_exposed
                    FROM label_stats s
                    JOIN run_policies p ON p.run_id = s.run_id AND p.policy_id = s.policy_id
                    JOIN labels l ON l.label = s.label;
                DROP TABLE label_stats;
                \(labelStatsView)
                """)
        }
        migrator.registerMigration("v7") { db in
            // Every policy of a run counts a label's tracks alike, so one row per run and label
            // holds them all: the tracks once, then per policy (its index in run_policies) the
            // training-exposed tracks, as a JSON array; null for a policy that counted none of
            // the label's tracks (only a database older than v6 can hold one). A night writes a
            // third of the rows, and label_stats keeps its columns and rows.
            try db.execute(sql: """
                DROP VIEW label_stats;
                CREATE TABLE label_counts_v7 (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    label_id INTEGER NOT NULL REFERENCES labels(id),
                    tracks INTEGER NOT NULL,
                    exposed TEXT NOT NULL,
                    PRIMARY KEY (run_id, label_id)
                ) WITHOUT ROWID;
                """)
            let insert = try db.makeStatement(sql: "INSERT INTO label_counts_v7 VALUES (?, ?, ?, ?)")
            let policyCounts = try Dictionary(uniqueKeysWithValues: Row.fetchAll(
                db, sql: "SELECT run_id, count(*) FROM run_policies GROUP BY run_id").map { ($0[0] as Int64, $0[1] as Int) })
            var current: (run: Int64, label: Int64)? = nil
            var tracks = 0
            var exposed: [Int?] = []
            func flush() throws {
                guard let (run, label) = current else { return }
                try insert.execute(arguments: [run, label, tracks, Schema.exposedText(exposed)])
            }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT run_id, label_id, policy_index, tracks, any_training_exposed FROM label_counts
                ORDER BY run_id, label_id, policy_index
                """)
            while let row = try rows.next() {
                let run: Int64 = row[0], label: Int64 = row[1], policy: Int = row[2]
                guard (0..<4096).contains(policy) else {
                    throw StoreError(.other, "label_counts holds a row of policy index \(policy), which no run has",
                                     remedy: "check the file with `sqlite3 FILE 'PRAGMA integrity_check'`, or restore a backup",
                                     file: databasePath)
                }
                if current?.run != run || current?.label != label {
                    try flush()
                    current = (run, label)
                    tracks = 0
                    exposed = Array(repeating: nil, count: max(policyCounts[run] ?? 0, policy + 1))
                }
                if policy >= exposed.count { exposed += Array(repeating: nil, count: policy + 1 - exposed.count) }
                tracks = max(tracks, row[3] as Int)
                exposed[policy] = row[4] as Int
            }
            try flush()
            try db.execute(sql: """
                DROP TABLE label_counts;
                ALTER TABLE label_counts_v7 RENAME TO label_counts;
                CREATE VIEW label_stats AS
                    SELECT c.run_id, p.policy_id, l.label, c.tracks,
                           json_extract(c.exposed, '$[' || p.policy_index || ']') AS any_training_exposed
                    FROM label_counts c
                    JOIN run_policies p ON p.run_id = c.run_id
                    JOIN labels l ON l.id = c.label_id
                    WHERE json_extract(c.exposed, '$[' || p.policy_index || ']') IS NOT NULL;
                """)
        }
        return migrator
    }
}
