import ConsentryModel

/// What `consentry --version` prints: the version (``ConsentryVersion/current``, also stored
/// in `runs.tool_version`) and the git commit the binary was built from, e.g.
/// `0.1.0 (commit 0503fe9c5f2a493de7a18d61a4104ce618af302a)`. The commit is "unknown" in a
/// build from outside a git checkout, and is followed by ", modified" when tracked files
/// differed from it. `BuildCommit` is generated before each build (Plugins/BuildCommit).
enum VersionText {
    static let line = "\(ConsentryVersion.current) (commit \(BuildCommit.hash)\(BuildCommit.modified ? ", modified" : ""))"
}
